// The run waits for approvals (Foundry's MCP calls): approve or deny each call. As with outputs, any tab may answer any
// call; the hub tells every watcher which are still pending and submits upstream once all have their answer.
import { useId, useState } from "react";
import type { RunRef, ToolApprovalCall } from "../../src/client";
import { describeError, runcast } from "./runcast";
import { describeArguments } from "./tool-arguments";

export function ApprovalForm({ run, calls, pending }: { run: RunRef; calls: ToolApprovalCall[]; pending: string[] }) {
  const baseId = useId();
  const [sending, setSending] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const open = new Set(pending);

  const answer = async (call: ToolApprovalCall, approve: boolean) => {
    setSending(call.id);
    setError(null);
    try {
      await runcast.runs.submitToolOutputs.mutate({ ...run, tool_approvals: [{ tool_call_id: call.id, approve }] });
    } catch (cause) {
      setError(`The answer was not accepted: ${describeError(cause)}`);
    } finally {
      setSending(null);
    }
  };

  return (
    <section className="tool-form" aria-labelledby={`${baseId}-heading`} data-testid="approval-form">
      <h3 id={`${baseId}-heading`}>The run asks to call a tool</h3>
      <p data-testid="approval-pending-count">
        {pending.length} of {calls.length} {calls.length === 1 ? "call waits" : "calls wait"} for approval. Anyone
        watching this run may answer.
      </p>
      {calls.map((call) => {
        const isPending = open.has(call.id);
        const labelId = `${baseId}-${call.id}`;
        return (
          <div
            className="tool-call"
            key={call.id}
            role="group"
            aria-labelledby={labelId}
            data-testid="approval-call"
            data-pending={String(isPending)}
          >
            <p id={labelId}>
              <code>
                {call.server_label}.{call.name}
              </code>
              ({describeArguments(call.arguments)})
            </p>
            <div className="tool-call-row">
              <button type="button" onClick={() => answer(call, true)} disabled={!isPending || sending !== null}>
                Approve
              </button>
              <button type="button" onClick={() => answer(call, false)} disabled={!isPending || sending !== null}>
                Deny
              </button>
              <span className={isPending ? "badge pending" : "badge answered"}>
                {isPending ? "pending" : "answered"}
              </span>
            </div>
          </div>
        );
      })}
      {error && (
        <p className="error" role="alert" data-testid="approval-error">
          {error}
        </p>
      )}
    </section>
  );
}
