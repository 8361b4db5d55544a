// The run waits for tool outputs: one input per call. Any tab may answer any call; the hub tells every
// watcher which calls are still pending, and submits upstream once all have their output.
import { useId, useState, type FormEvent } from "react";
import type { RunRef, RunSnapshot } from "../../src/client";
import { describeError, runcast } from "./runcast";
import { describeArguments } from "./tool-arguments";

type ToolCall = RunSnapshot["toolCalls"][number];

export function ToolForm({ run, toolCalls, pending }: { run: RunRef; toolCalls: ToolCall[]; pending: string[] }) {
  const baseId = useId();
  const [values, setValues] = useState<Record<string, string>>({});
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const open = new Set(pending);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const ready = toolCalls.filter((call) => open.has(call.id) && (values[call.id] ?? "").trim() !== "");
    if (ready.length === 0) return setError("Enter an output for at least one pending call.");
    setSending(true);
    setError(null);
    try {
      await runcast.runs.submitToolOutputs.mutate({
        ...run,
        tool_outputs: ready.map((call) => ({ tool_call_id: call.id, output: values[call.id]!.trim() })),
      });
      setValues((current) =>
        Object.fromEntries(Object.entries(current).filter(([id]) => !ready.some((call) => call.id === id))),
      );
    } catch (cause) {
      setError(`The outputs were not accepted: ${describeError(cause)}`);
    } finally {
      setSending(false);
    }
  };

  return (
    <form className="tool-form" onSubmit={submit} aria-labelledby={`${baseId}-heading`} data-testid="tool-form">
      <h3 id={`${baseId}-heading`}>The run needs tool outputs</h3>
      <p data-testid="tool-pending-count">
        {pending.length} of {toolCalls.length} {toolCalls.length === 1 ? "call" : "calls"} still pending. Anyone
        watching this run may answer.
      </p>
      {toolCalls.map((call) => {
        const isPending = open.has(call.id);
        const inputId = `${baseId}-${call.id}`;
        return (
          <div
            className="tool-call"
            key={call.id}
            data-testid="tool-call"
            data-tool-call-id={call.id}
            data-pending={String(isPending)}
          >
            <label htmlFor={inputId}>
              Output of <code>{call.function.name}</code>({describeArguments(call.function.arguments)})
            </label>
            <div className="tool-call-row">
              <input
                id={inputId}
                data-testid="tool-output"
                type="text"
                autoComplete="off"
                value={isPending ? (values[call.id] ?? "") : ""}
                placeholder={isPending ? "e.g. Sunny, 21 °C" : "Answered"}
                onChange={(event) => setValues((current) => ({ ...current, [call.id]: event.target.value }))}
                disabled={!isPending || sending}
                aria-describedby={`${inputId}-state`}
              />
              <span
                id={`${inputId}-state`}
                className={isPending ? "badge pending" : "badge answered"}
                data-testid="tool-call-state"
              >
                {isPending ? "pending" : "answered"}
              </span>
            </div>
          </div>
        );
      })}
      {error && (
        <p className="error" role="alert" data-testid="tool-error">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" data-testid="submit-tool-outputs" disabled={sending || pending.length === 0}>
          {sending ? "Submitting…" : "Submit outputs"}
        </button>
      </div>
    </form>
  );
}
