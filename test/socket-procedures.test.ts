// A run's socket answers runs.retrieve, runs.cancel and runs.submitToolOutputs through tRPC's own caller (a hub-side
// router, src/durable/socket-procedures.ts), so a refusal on the socket is the very error /trpc gives over HTTP:
// same code, message, fields and upstream details. Each case sends the same call both ways and compares the answers.
import { afterEach, describe, expect, it } from "vitest";
import { GATEWAY, gatewayFetch } from "./helpers/emulator";
import { RecordingWebSocket, runSetup, wsUrl } from "./helpers/hub";
import { runcastClient, waitForRun } from "./helpers/runcast";

const sockets: RecordingWebSocket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

/** Sent on both ways of calling, so the errors' request ids (the socket's is its upgrade's) match too. */
const REQUEST_ID = { "x-request-id": "socket-procedures" };

let nextId = 1;
/** One call on a run's socket, answered with its `error` (or `result`) as the frame carries it. */
async function overSocket(ref: { threadId: string; runId: string }, method: string, path: string, input: unknown) {
  const socket = new RecordingWebSocket(wsUrl(ref.threadId, ref.runId), REQUEST_ID);
  sockets.push(socket);
  await socket.opened();
  const id = nextId++;
  socket.send(JSON.stringify({ id, method, params: { path, input } }));
  return socket.waitFor((frame) => frame.id === id);
}

/** The same call over /trpc's HTTP link (no batching), answered with its body. */
async function overHttp(method: string, path: string, input: unknown) {
  const response =
    method === "query"
      ? await gatewayFetch(`${GATEWAY}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, {
          headers: REQUEST_ID,
        })
      : await gatewayFetch(`${GATEWAY}/trpc/${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...REQUEST_ID },
          body: JSON.stringify(input),
        });
  return (await response.json()) as { error?: Record<string, any>; result?: { data: unknown } };
}

/** A finished run, to call on. */
async function finishedRun() {
  const { assistant, thread } = await runSetup("Hello");
  const run = await runcastClient().runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
  await waitForRun(thread.id, run.id);
  return { threadId: thread.id, runId: run.id };
}

/** The upstream's request id differs per request; everything else must match. */
const withoutRequestId = (error: Record<string, any>) =>
  error.data?.upstream
    ? { ...error, data: { ...error.data, upstream: { ...error.data.upstream, request_id: null } } }
    : error;

describe("socket calls answer as /trpc does", () => {
  it("refused input: the same code, message and fields", async () => {
    const ref = await finishedRun();
    const cases: Array<[string, string, unknown]> = [
      ["mutation", "runs.submitToolOutputs", { thread_id: ref.threadId, run_id: ref.runId, tool_outputs: [] }],
      [
        "mutation",
        "runs.submitToolOutputs",
        { thread_id: ref.threadId, run_id: ref.runId, tool_outputs: [{ tool_call_id: 7, output: "x" }], extra: 1 },
      ],
      ["query", "runs.retrieve", { thread_id: ref.threadId, run_id: "not a run id" }],
      ["mutation", "runs.cancel", { thread_id: ref.threadId }],
    ];
    for (const [method, path, input] of cases) {
      const socket = await overSocket(ref, method, path, input);
      const http = await overHttp(method, path, input);
      expect(http.error?.data?.code, `${path} ${JSON.stringify(input)}`).toBe("BAD_REQUEST");
      expect(http.error?.data?.fields?.length).toBeGreaterThan(0);
      expect(socket.error, `${path} ${JSON.stringify(input)}`).toEqual(http.error);
    }
  });

  it("the hub's and the upstream's refusals: the same code, message and upstream details", async () => {
    const ref = await finishedRun();
    const own = { thread_id: ref.threadId, run_id: ref.runId };
    const cases: Array<[string, string, unknown]> = [
      // The hub refuses: the run is not waiting for outputs.
      ["mutation", "runs.submitToolOutputs", { ...own, tool_outputs: [{ tool_call_id: "call_a", output: "x" }] }],
      // The upstream refuses: a finished run cannot be cancelled (its 400, with its details).
      ["mutation", "runs.cancel", own],
    ];
    for (const [method, path, input] of cases) {
      const socket = await overSocket(ref, method, path, input);
      const http = await overHttp(method, path, input);
      expect(http.error?.data?.code, path).toBe("BAD_REQUEST");
      expect(withoutRequestId(socket.error), path).toEqual(withoutRequestId(http.error!));
    }
    // And what succeeds over HTTP answers the same data on the socket.
    const socket = await overSocket(ref, "query", "runs.retrieve", own);
    const http = await overHttp("query", "runs.retrieve", own);
    expect(socket.result).toEqual({ type: "data", data: http.result!.data });
  });
});
