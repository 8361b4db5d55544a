// How many subscribers watch a run: asked every second while the run goes on, once more when it ends.
import { useEffect, useState } from "react";
import type { RunRef } from "../../src/client";
import { runcast } from "./runcast";

const POLL_MS = 1000;

export function useWatchers(run: RunRef | null, live: boolean): number | null {
  const [count, setCount] = useState<number | null>(null);
  const threadId = run?.thread_id;
  const runId = run?.run_id;
  useEffect(() => {
    if (!threadId || !runId) {
      setCount(null);
      return;
    }
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ask = async () => {
      try {
        const { subscribers } = await runcast.runs.watchers.query({ thread_id: threadId, run_id: runId });
        if (!stopped) setCount(subscribers);
      } catch {
        // A missed count is not worth an error on the page; the next one follows.
      }
      if (!stopped && live) timer = setTimeout(ask, POLL_MS);
    };
    void ask();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [threadId, runId, live]);
  return count;
}
