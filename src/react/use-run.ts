// useRun: a React hook over watchRun, in its own entry (`@runcast/client/react`) so the Worker's bundle never carries React.
import { useEffect, useState } from "react";
import {
  emptySnapshot,
  replyText,
  type RuncastClient,
  type RunRef,
  type RunSnapshot,
  type WatchOptions,
} from "../client";

export interface RunState extends RunSnapshot {
  /** The latest assistant message's text. */
  text: string;
  error: unknown;
}

/**
 * Follows a run while the component is mounted (or while `ref` is set) and re-renders on every change.
 *
 * @example
 * const run = useRun(runcast, runId ? { thread_id, run_id: runId } : null, { persist: sessionStorage });
 * return <p aria-live="polite">{run.text}</p>;
 */
export function useRun(client: RuncastClient, ref: RunRef | null, options?: WatchOptions): RunState {
  const [state, setState] = useState<{ snapshot: RunSnapshot; error: unknown }>({
    snapshot: emptySnapshot(),
    error: null,
  });
  const threadId = ref?.thread_id;
  const runId = ref?.run_id;
  useEffect(() => {
    if (!threadId || !runId) return;
    setState({ snapshot: emptySnapshot(), error: null });
    const watch = client.watchRun(
      { thread_id: threadId, run_id: runId },
      {
        onUpdate: (snapshot) => setState({ snapshot, error: null }),
        onError: (error) => setState((current) => ({ ...current, error })),
      },
      options,
    );
    return () => watch.stop();
    // The options object is read once per run: watching restarts only when the run changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, threadId, runId]);
  return { ...state.snapshot, text: replyText(state.snapshot), error: state.error };
}
