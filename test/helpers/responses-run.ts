// A Responses-provider run as a thread starts it, for the tests of its pure parts (translation, the run driver): an
// assistant and the run's state, without a store or an upstream.
import type { Assistant } from "../../src/providers/provider";
import { newRunState, type RunState } from "../../src/providers/responses/run-objects";
import { newRun } from "../../src/providers/responses/run-request";

export function testAssistant(tools: Assistant["tools"] = []): Assistant {
  return {
    id: "asst_test",
    object: "assistant",
    created_at: 1,
    name: null,
    description: null,
    model: "gpt-4o",
    instructions: "Be brief.",
    tools,
    metadata: {},
    temperature: 1,
    top_p: 1,
    response_format: "auto",
  };
}

/** Queued, as created at t = 1000, with `queuedTimeoutMs` as the bound on how long its response may stay queued. */
export function queuedRunState(assistant: Assistant, queuedTimeoutMs: number): RunState {
  const run = newRun({
    id: "run_test",
    threadId: "thread_test",
    assistant,
    params: { assistant_id: assistant.id },
    now: 1000,
  });
  return newRunState(run, "conv_test", { expiresInSeconds: 600, queuedTimeoutMs });
}
