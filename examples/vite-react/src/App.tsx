// Ask the assistant, watch its reply stream in (useRun), and answer its tool calls by hand.
import type { RunRef } from "@runcast/client";
import { useRun } from "@runcast/client/react";
import { useEffect, useState, type FormEvent } from "react";
import { demoAssistantId, runcast } from "./runcast";

export function App() {
  const [question, setQuestion] = useState("What's it like in Lisbon? get_weather Lisbon.");
  const [ref, setRef] = useState<RunRef | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const run = useRun(runcast, ref);
  useTitleWhenDone(ref);

  async function ask(event: FormEvent) {
    event.preventDefault();
    setFailure(null);
    try {
      const created = await runcast.runs.createThreadAndRun.mutate({
        assistant_id: await demoAssistantId(),
        thread: { messages: [{ role: "user", content: question }] },
      });
      setRef({ thread_id: created.thread_id, run_id: created.id });
    } catch (error) {
      setFailure(String(error));
    }
  }

  return (
    <main>
      <h1>Ask through Runcast</h1>
      <form onSubmit={ask}>
        <label>
          Question <input value={question} onChange={(event) => setQuestion(event.target.value)} />
        </label>
        <button type="submit">Ask</button>
      </form>
      <p>
        Status:{" "}
        <output data-testid="status" data-thread-id={ref?.thread_id} data-run-id={ref?.run_id}>
          {run.status ?? "none"}
        </output>
      </p>
      {ref && run.pendingToolCallIds.length > 0 && (
        <ToolOutputs runRef={ref} calls={run.toolCalls} pending={run.pendingToolCallIds} />
      )}
      <p data-testid="reply" aria-live="polite">
        {run.text}
      </p>
      {(failure ?? run.error) ? <p role="alert">{failure ?? String(run.error)}</p> : null}
    </main>
  );
}

/**
 * The tab's title says how the run ended, for a reader in another tab: watchRun directly, for a side effect outside
 * rendering (useRun is watchRun kept in a component's state).
 */
function useTitleWhenDone(ref: RunRef | null) {
  useEffect(() => {
    if (!ref) return;
    document.title = "Ask through Runcast";
    const watch = runcast.watchRun(ref, { onDone: ({ status }) => (document.title = `Run ${status ?? "ended"}`) });
    return () => watch.stop();
  }, [ref]);
}

type ToolCall = ReturnType<typeof useRun>["toolCalls"][number];

function ToolOutputs({ runRef, calls, pending }: { runRef: RunRef; calls: ToolCall[]; pending: string[] }) {
  const [outputs, setOutputs] = useState<Record<string, string>>({});
  const open = calls.filter((call) => pending.includes(call.id));

  async function send(event: FormEvent) {
    event.preventDefault();
    await runcast.runs.submitToolOutputs.mutate({
      ...runRef,
      tool_outputs: open.map((call) => ({ tool_call_id: call.id, output: outputs[call.id] ?? "" })),
    });
  }

  return (
    <form data-testid="tool-outputs" onSubmit={send}>
      {open.map((call) => (
        <label key={call.id}>
          Output of {call.function.name}({call.function.arguments}){" "}
          <input
            value={outputs[call.id] ?? ""}
            onChange={(event) => setOutputs((current) => ({ ...current, [call.id]: event.target.value }))}
          />
        </label>
      ))}
      <button type="submit">Send outputs</button>
    </form>
  );
}
