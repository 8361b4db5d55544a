// One run as every watcher sees it: status, how many watch, the prompt, the streaming reply, the tool form and its link.
import { TRPCClientError } from "@trpc/client";
import { useEffect, useId, useState } from "react";
import type { RunRef, SnapshotStore } from "../../src/client";
import { useRun } from "../../src/react";
import { ApprovalForm } from "./approval-form";
import { shareUrl } from "./location";
import { describeError, runcast } from "./runcast";
import { ToolForm } from "./tool-form";
import { useWatchers } from "./use-watchers";

/** The tab's sessionStorage, where a browser allows it: a reload then resumes after the last event it showed. */
function tabStorage(): SnapshotStore | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}
const watchOptions = { persist: tabStorage() };

/** The thread's user messages (what the run answers), for a page that opened the run from its link. */
function usePrompt(run: RunRef): string | null {
  const [prompt, setPrompt] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    runcast.threads.messages.list
      .query({ thread_id: run.thread_id, order: "asc", limit: 100 })
      .then((page) => {
        const text = page.data
          .filter((message) => message.role === "user")
          .map((message) => message.content.map((part) => (part.type === "text" ? part.text.value : "")).join(""))
          .join("\n\n");
        if (current) setPrompt(text);
      })
      .catch(() => current && setPrompt(null));
    return () => {
      current = false;
    };
  }, [run.thread_id]);
  return prompt;
}

/**
 * A link may name a run that does not exist (or ids that are not ids): asked once, the gateway says so, and the
 * page shows why instead of waiting on a socket that keeps being refused.
 */
function useMissing(run: RunRef): string | null {
  const [missing, setMissing] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    runcast.runs.retrieve.query(run).catch((cause: unknown) => {
      const code = cause instanceof TRPCClientError ? (cause.data as { code?: string } | undefined)?.code : undefined;
      if (current && (code === "NOT_FOUND" || code === "BAD_REQUEST")) setMissing(describeError(cause));
    });
    return () => {
      current = false;
    };
  }, [run.thread_id, run.run_id]);
  return missing;
}

export function RunPanel({ run }: { run: RunRef }) {
  const headingId = useId();
  const missing = useMissing(run);
  const state = useRun(runcast, missing ? null : run, watchOptions);
  const watchers = useWatchers(missing ? null : run, !state.done);
  const prompt = usePrompt(run);
  const [copied, setCopied] = useState(false);
  const link = shareUrl(run);
  const replies = state.messages.filter((message) => message.role === "assistant");
  const earlier = replies.slice(0, -1);
  const streaming = !state.done && state.status === "in_progress";
  const status = state.status ?? "connecting";

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      setCopied(false);
    }
  };

  if (missing)
    return (
      <section className="run" aria-labelledby={headingId} data-testid="run" data-status="missing" data-done="true">
        <h2 id={headingId}>
          Run <code>{run.run_id}</code>
        </h2>
        <p className="error" role="alert" data-testid="run-missing">
          This run cannot be shown: {missing}
        </p>
      </section>
    );

  return (
    <section
      className="run"
      aria-labelledby={headingId}
      data-testid="run"
      data-status={status}
      data-done={String(state.done)}
    >
      <h2 id={headingId}>
        Run <code>{run.run_id}</code>
      </h2>
      <div className="facts">
        <p role="status">
          Status:{" "}
          <strong data-testid="run-status" className={`status status-${status}`}>
            {status}
          </strong>
        </p>
        <p>
          Watching: <strong data-testid="watchers">{watchers ?? "…"}</strong>
          <span className="hint">{state.done ? " (when the run ended)" : " (live, every second)"}</span>
        </p>
      </div>
      <p className="share">
        <span>Share this run:</span>{" "}
        <a href={link} data-testid="share-link">
          {link}
        </a>{" "}
        <button type="button" className="secondary" onClick={copy}>
          Copy link
        </button>
        <span aria-live="polite" className="hint">
          {copied ? "Copied" : ""}
        </span>
      </p>

      <ol className="transcript">
        {prompt && (
          <li className="message user">
            <span className="who">You</span>
            <p data-testid="prompt">{prompt}</p>
          </li>
        )}
        {earlier.map((message) => (
          <li className="message assistant" key={message.id}>
            <span className="who">Assistant</span>
            <p>{message.text}</p>
          </li>
        ))}
        <li className="message assistant">
          <span className="who">Assistant</span>
          <p data-testid="reply" aria-live="polite" aria-busy={streaming} className="reply">
            {state.text}
          </p>
          {!state.text && !state.done && state.status !== "requires_action" && (
            <p className="hint">Waiting for the reply…</p>
          )}
        </li>
      </ol>

      {state.status === "requires_action" && state.toolCalls.length > 0 && (
        <ToolForm run={run} toolCalls={state.toolCalls} pending={state.pendingToolCallIds} />
      )}
      {state.status === "requires_action" && state.approvalCalls.length > 0 && (
        <ApprovalForm run={run} calls={state.approvalCalls} pending={state.pendingToolCallIds} />
      )}

      {state.run?.last_error && (
        <p className="error" role="alert" data-testid="run-error">
          The run failed: {state.run.last_error.message} ({state.run.last_error.code})
        </p>
      )}
      {state.error != null && (
        <p className="error" role="alert" data-testid="watch-error">
          {describeError(state.error)}
        </p>
      )}
    </section>
  );
}
