// Runs for the benchmarks, made through the gateway's REST surface (/v1) with the emulator's knobs in their metadata:
// a tool assistant, and a run waiting for its tool output, so subscribers can gather before the long reply streams.

const HEADERS = { authorization: "Bearer bench", "content-type": "application/json" };

export interface RunRef {
  thread_id: string;
  run_id: string;
}

async function call<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}/v1${path}`, {
    method,
    headers: HEADERS,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} /v1${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export async function createToolAssistant(base: string): Promise<string> {
  const assistant = await call<{ id: string }>(base, "POST", "/assistants", {
    model: "gpt-4o",
    name: "Bench",
    tools: [
      {
        type: "function",
        function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
      },
    ],
  });
  return assistant.id;
}

interface RunObject {
  id: string;
  thread_id: string;
  status: string;
  required_action?: { submit_tool_outputs: { tool_calls: Array<{ id: string }> } } | null;
  completed_at?: number | null;
  failed_at?: number | null;
  last_error?: { code: string; message: string } | null;
}

export async function retrieveRun(base: string, ref: RunRef): Promise<RunObject> {
  return call<RunObject>(base, "GET", `/threads/${ref.thread_id}/runs/${ref.run_id}`);
}

/** A run asked to get_weather, once it waits for the output: its ref and the call to answer. */
export async function waitingRun(
  base: string,
  assistantId: string,
  metadata: Record<string, string>,
): Promise<{ ref: RunRef; callId: string }> {
  const created = await call<RunObject>(base, "POST", "/threads/runs", {
    assistant_id: assistantId,
    thread: { messages: [{ role: "user", content: "Please get_weather Paris." }] },
    metadata,
  });
  const ref = { thread_id: created.thread_id, run_id: created.id };
  for (let attempt = 0; attempt < 400; attempt++) {
    const run = await retrieveRun(base, ref);
    if (run.status === "requires_action")
      return { ref, callId: run.required_action!.submit_tool_outputs.tool_calls[0]!.id };
    if (!["queued", "in_progress"].includes(run.status)) throw new Error(`run ${ref.run_id} ended ${run.status}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`run ${ref.run_id} never waited for its tool output`);
}

export async function submitOutput(base: string, ref: RunRef, callId: string, output = "Sunny"): Promise<void> {
  await call(base, "POST", `/threads/${ref.thread_id}/runs/${ref.run_id}/submit_tool_outputs`, {
    tool_outputs: [{ tool_call_id: callId, output }],
  });
}

/** The run's socket; `batched` asks for frames of several messages, as @runcast/client's watchRun does. */
export const socketUrl = (base: string, ref: RunRef, batched = false) =>
  `${base.replace(/^http/, "ws")}/ws/threads/${ref.thread_id}/runs/${ref.run_id}${batched ? "?frames=batch" : ""}`;
