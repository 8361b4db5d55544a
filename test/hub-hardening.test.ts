// What an attack on a run's hub found, each pinned (issue 9): frames that make the hub answer far more than they carry,
// HTTP subscribers that vanish, runs the hub settled, polls that fail oddly, wording that tells runs apart, tool-output
// races, metadata updates the hub never heard of, and active-run slots that stick.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { RunHub } from "../src/durable/run-hub";
import {
  createToolAssistant,
  emulatorRequest,
  emulatorSdk,
  GATEWAY,
  gatewayFetch,
  TIME_TOOL,
  WEATHER_TOOL,
  toolAssistantAndThread,
} from "./helpers/emulator";
import { RecordingWebSocket, runSetup, subscriptionFrame, wsUrl } from "./helpers/hub";
import { abortHub, fireHubAlarm, hubAlarm, hubState, hubStub, setHubState, Tab } from "./helpers/hub-lifecycle";
import { rpcError, runcastClient, sleep, waitForRun } from "./helpers/runcast";

const sockets: RecordingWebSocket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

async function openSocket(threadId: string, runId: string) {
  const socket = new RecordingWebSocket(wsUrl(threadId, runId));
  sockets.push(socket);
  await socket.opened();
  return socket;
}

/** A finished plain run created through Runcast. */
async function finishedRun(message = "Tell me about lighthouses") {
  const { assistant, thread } = await runSetup(message);
  const run = await runcastClient().runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
  await waitForRun(thread.id, run.id);
  return { threadId: thread.id, runId: run.id, assistantId: assistant.id };
}

/** A tool run created through Runcast on a thread of the emulator's, not yet waiting (the caller waits as it needs). */
async function toolRun() {
  const { assistant, thread } = await toolAssistantAndThread("get_weather Oslo");
  const run = await runcastClient().runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
  return { thread, run };
}

/** The same, waiting for its tool outputs (requires_action). */
async function waitingToolRun() {
  const { thread, run } = await toolRun();
  const waiting = await waitForRun(thread.id, run.id, ["requires_action"]);
  return { thread, run, waiting };
}

/** Deletes the run's thread upstream, then polls until the hub finds the run gone and settles it (the poll made due
 * now, and fired again if the hub's own alarm took the due time first). */
async function vanishUpstream(threadId: string, runId: string) {
  expect((await emulatorRequest("DELETE", `/threads/${threadId}`)).status).toBe(200);
  await expect
    .poll(async () => {
      await setHubState(runId, (state) => ({ ...state, poll: { ...state.poll, at: Date.now() } }));
      await fireHubAlarm(runId);
      return (await hubState(runId))?.settled;
    })
    .toBe(true);
}

/** Bytes received on a socket so far. */
const bytesIn = (socket: RecordingWebSocket) => socket.received.reduce((sum, frame) => sum + frame.length, 0);

describe("1. a frame cannot make the hub answer more than it carries", () => {
  it("a 64 KiB frame of 32,000 items gets at most one answer, and its socket is closed with 1008", async () => {
    const { threadId, runId } = await finishedRun();
    const hostile = `[${Array<string>(32_000).fill("0").join(",")}]`;
    expect(hostile.length).toBeLessThanOrEqual(64 * 1024);
    const socket = await openSocket(threadId, runId);
    socket.send(hostile);
    const close = await socket.closed();
    expect(close.code).toBe(1008);
    expect(close.reason).toMatch(/too many messages/);
    // Before the fix: 32,000 error frames, 3.46 MB back for 64 KB in.
    expect(socket.messages().length).toBeLessThanOrEqual(1);
    expect(bytesIn(socket)).toBeLessThan(1024);
  });

  it("a batch over the per-frame limit is one error, not one per item, nothing in it is done, and the socket is closed (1008)", async () => {
    const { threadId, runId } = await finishedRun();
    const socket = await openSocket(threadId, runId);
    const frame = JSON.parse(subscriptionFrame(1, threadId, runId)) as Record<string, unknown>;
    socket.send(JSON.stringify(Array.from({ length: 33 }, (_, index) => ({ ...frame, id: index + 1 }))));
    expect((await socket.closed()).code).toBe(1008);
    // One frame with no request id (wsLink then backs off before reconnecting): the requests in the batch are not answered one by one.
    expect(socket.messages()).toHaveLength(1);
    expect(socket.messages()[0]).toMatchObject({ id: null, error: { data: { code: "TOO_MANY_REQUESTS" } } });
    expect(socket.messages()[0]!.error.message).toMatch(/at most 32 messages/);
  });

  it("replays are paid for from the socket's budget: a frame of subscriptions to a long log closes the socket (1008) early", async () => {
    const { assistant, thread } = await runSetup();
    const run = await runcastClient().runs.create.mutate({
      thread_id: thread.id,
      assistant_id: assistant.id,
      metadata: { emulator_reply_words: "3000", emulator_words_per_delta: "1" },
    });
    await waitForRun(thread.id, run.id, undefined, 30_000);
    const socket = await openSocket(thread.id, run.id);
    const frame = JSON.parse(subscriptionFrame(1, thread.id, run.id)) as Record<string, unknown>;
    socket.send(JSON.stringify(Array.from({ length: 8 }, (_, index) => ({ ...frame, id: index + 1 }))));
    expect((await socket.closed()).code).toBe(1008);
    // About 3,000 events per replay: far fewer than eight replays' worth were sent.
    const events = socket.messages().filter((message) => message.result?.type === "data").length;
    expect(events).toBeGreaterThan(3_000);
    expect(events).toBeLessThan(8 * 3_000);
  });

  it("more than 100 tool outputs in one request are answered with a 4xx, not a failure of the hub", async () => {
    const { thread, run } = await waitingToolRun();
    const outputs = Array.from({ length: 101 }, (_, index) => ({ tool_call_id: `call_many${index}`, output: "x" }));
    const error = await rpcError(
      runcastClient().runs.submitToolOutputs.mutate({ thread_id: thread.id, run_id: run.id, tool_outputs: outputs }),
    );
    expect(error.data?.code).toBe("BAD_REQUEST");
  });

  it("a batch holding one malformed message is answered once, and its valid messages are not done", async () => {
    const { threadId, runId } = await finishedRun();
    const socket = await openSocket(threadId, runId);
    socket.send(
      `[${subscriptionFrame(1, threadId, runId)},{"id":2,"method":"nonsense"},${subscriptionFrame(3, threadId, runId)}]`,
    );
    const error = await socket.waitFor((message) => message.error !== undefined);
    expect(error.error.message).toMatch(/batch item 1/);
    await sleep(100);
    // No subscription started: one answer in all.
    expect(socket.messages()).toHaveLength(1);
  });

  it("a socket sending more messages per second than allowed is closed with 1008; a well-behaved one on the same run is served", async () => {
    const { threadId, runId } = await finishedRun();
    const calm = await openSocket(threadId, runId);
    const flood = await openSocket(threadId, runId);
    // 300 messages in ten frames, sent at once: more than a burst (200) holds, however busy the machine.
    const stops = JSON.stringify(
      Array.from({ length: 30 }, (_, index) => ({ id: index + 1, method: "subscription.stop" })),
    );
    for (let i = 0; i < 10; i++) flood.send(stops);
    expect((await flood.closed()).code).toBe(1008);
    // Fewer answers than messages: the hub stopped answering once the budget ran out.
    expect(flood.messages().filter((message) => message.result?.type === "stopped").length).toBeLessThan(300);
    calm.send(subscriptionFrame(1, threadId, runId));
    await calm.waitFor((message) => message.id === 1 && message.result?.type === "stopped");
    expect(calm.closes).toEqual([]);
  });

  it("frames that are not the protocol count ten times: a socket sending 30 of them is closed with 1008, one sending 100 well-formed messages is not", async () => {
    const { threadId, runId } = await finishedRun();
    const garbage = await openSocket(threadId, runId);
    const pings = await openSocket(threadId, runId);
    // 30 × 10 = 300, more than a burst (200) holds; 100 PINGs are half of it.
    for (let i = 0; i < 30; i++) garbage.send("not tRPC");
    for (let i = 0; i < 100; i++) pings.send("PING");
    const close = await garbage.closed();
    expect(close.code).toBe(1008);
    expect(close.reason).toMatch(/not the protocol/);
    // Each one it was answered before the close was a PARSE_ERROR; fewer than it sent.
    const answered = garbage.messages().filter((message) => message.error?.data?.code === "PARSE_ERROR").length;
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(30);
    pings.send(subscriptionFrame(1, threadId, runId));
    await pings.waitFor((message) => message.id === 1 && message.result?.type === "stopped");
    expect(pings.closes).toEqual([]);
  });

  it("wsLink batches within the limit are served as before", async () => {
    const { threadId, runId } = await finishedRun();
    const socket = await openSocket(threadId, runId);
    socket.send(`[${subscriptionFrame(1, threadId, runId)},${subscriptionFrame(2, threadId, runId)}]`);
    await socket.waitFor((message) => message.id === 1 && message.result?.type === "stopped");
    await socket.waitFor((message) => message.id === 2 && message.result?.type === "stopped");
  });

  it("a request id too long to keep across hibernation is refused with a clear error, and the socket keeps working", async () => {
    const { threadId, runId } = await finishedRun();
    const socket = await openSocket(threadId, runId);
    socket.send(
      JSON.stringify({
        id: "x".repeat(17_000),
        method: "subscription",
        params: { path: "runs.events", input: { thread_id: threadId, run_id: runId } },
      }),
    );
    const error = await socket.waitFor((message) => message.error !== undefined);
    expect(error.error.data.code).toBe("PARSE_ERROR");
    expect(error.error.message).toMatch(/`id` is limited to 128 characters/);
    socket.send(subscriptionFrame(1, threadId, runId));
    await socket.waitFor((message) => message.id === 1 && message.result?.type === "stopped");
  });
});

describe("3. an HTTP subscriber that vanishes gives its seat back", () => {
  it.each([
    ["REST SSE", (threadId: string, runId: string) => `${GATEWAY}/v1/threads/${threadId}/runs/${runId}/events`],
    [
      "tRPC SSE",
      (threadId: string, runId: string) =>
        `${GATEWAY}/trpc/runs.events?input=${encodeURIComponent(JSON.stringify({ thread_id: threadId, run_id: runId }))}`,
    ],
  ] as const)("%s: a reader that stops reading is dropped within a few heartbeats", async (_name, url) => {
    // A run waiting for tool outputs: no event flows, so only the heartbeat can find the readers gone.
    const { thread, run } = await waitingToolRun();
    const watchers = () => runcastClient().runs.watchers.query({ thread_id: thread.id, run_id: run.id });
    const responses = await Promise.all([0, 1, 2].map(() => gatewayFetch(url(thread.id, run.id))));
    for (const response of responses) expect(response.status).toBe(200);
    await expect.poll(async () => (await watchers()).subscribers).toBe(3);
    // Each reader reads its first chunk, then goes away without cancelling (a destroyed connection).
    for (const response of responses) await response.body!.getReader().read();
    // RUNCAST_FOLLOW_HEARTBEAT_MS is 500 in tests: two stale heartbeats drop a reader.
    await expect.poll(async () => (await watchers()).subscribers, { timeout: 5_000, interval: 100 }).toBe(0);
  });

  it("REST SSE: a fetch aborted by its caller gives its seat back within seconds", async () => {
    const { thread, run } = await waitingToolRun();
    const watchers = async () =>
      (await runcastClient().runs.watchers.query({ thread_id: thread.id, run_id: run.id })).subscribers;
    const controllers = [0, 1, 2].map(() => new AbortController());
    const responses = await Promise.all(
      controllers.map((controller) =>
        gatewayFetch(`${GATEWAY}/v1/threads/${thread.id}/runs/${run.id}/events`, { signal: controller.signal }),
      ),
    );
    for (const response of responses) await response.body!.getReader().read();
    expect(await watchers()).toBe(3);
    for (const controller of controllers) controller.abort();
    await expect.poll(watchers, { timeout: 5_000, interval: 100 }).toBe(0);
  });

  it("a reader that keeps reading is not dropped while the run waits", async () => {
    const { thread, run } = await waitingToolRun();
    const controller = new AbortController();
    const response = await gatewayFetch(`${GATEWAY}/v1/threads/${thread.id}/runs/${run.id}/events`, {
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    const reading = (async () => {
      while (!(await reader.read()).done);
    })().catch(() => undefined);
    await sleep(2_500);
    expect((await runcastClient().runs.watchers.query({ thread_id: thread.id, run_id: run.id })).subscribers).toBe(1);
    await reader.cancel();
    await reading;
  });
});

describe("5. a WebSocket subscriber joining a run the hub settled", () => {
  it("gets the backlog and then `stopped`, as SSE ends at once", async () => {
    const { thread, run } = await waitingToolRun();
    await vanishUpstream(thread.id, run.id);
    const socket = await openSocket(thread.id, run.id);
    socket.send(subscriptionFrame(1, thread.id, run.id));
    const stopped = await socket.waitFor((message) => message.id === 1 && message.result?.type === "stopped", 3_000);
    expect(stopped).toBeDefined();
    expect(
      socket.messages().some((message) => message.result?.data?.data?.event === "thread.run.requires_action"),
    ).toBe(true);
  });
});

describe("6. a poll that fails in a way that is not an upstream error", () => {
  it("backs off like any failed poll: the next alarm is planned later, never in the past", async () => {
    const { thread, run } = await waitingToolRun();
    // The provider cannot be built (as with an upstream setting that broke): the poll throws a non-upstream error.
    await runInDurableObject(hubStub(run.id), (hub: RunHub) => {
      (hub as unknown as { provider: () => never }).provider = () => {
        throw new TypeError("unexpected upstream shape");
      };
    });
    const attempts: number[] = [];
    for (let i = 0; i < 4; i++) {
      await setHubState(run.id, (state) => ({ ...state, poll: { ...state.poll, at: Date.now() } }));
      const before = Date.now();
      await fireHubAlarm(run.id);
      const at = await hubAlarm(run.id);
      expect(at).not.toBeNull();
      // Never in the past: about the first poll delay (RUNCAST_POLL_MIN_MS = 50) ahead. Before the fix, the alarm came again
      // at once. (workerd's clocks move only on I/O, so the hub's `now` may trail this test's by a millisecond or two.)
      expect(at! - before).toBeGreaterThanOrEqual(45);
      attempts.push((await hubState(run.id))!.poll.attempt);
    }
    // Each failure counts toward the backoff (the first fire may have met a poll already on its way, which succeeded).
    expect(attempts.slice(1)).toEqual([attempts[1]!, attempts[1]! + 1, attempts[1]! + 2]);
    expect(attempts[3]).toBeGreaterThanOrEqual(3);
    await abortHub(run.id);
  });
});

describe("9. NOT_FOUND reads the same for a run on another thread and a run that does not exist", () => {
  it("on tRPC, REST, the events route and the upgrade", async () => {
    const { threadId: ownThread, runId: realRun } = await finishedRun();
    const { threadId: otherThread } = await finishedRun("Another thread");
    const madeUp = "run_madeup" + crypto.randomUUID().replace(/-/g, "").slice(0, 14);
    const client = runcastClient();
    const real = await rpcError(client.runs.retrieve.query({ thread_id: otherThread, run_id: realRun }));
    const fake = await rpcError(client.runs.retrieve.query({ thread_id: otherThread, run_id: madeUp }));
    expect(real.data?.code).toBe("NOT_FOUND");
    expect(real.message.replace(realRun, "<run>")).toBe(fake.message.replace(madeUp, "<run>"));
    expect(real.message).toBe(`No run found with id '${realRun}'.`);
    for (const call of [
      (runId: string) => client.runs.cancel.mutate({ thread_id: otherThread, run_id: runId }),
      (runId: string) =>
        client.runs.submitToolOutputs.mutate({
          thread_id: otherThread,
          run_id: runId,
          tool_outputs: [{ tool_call_id: "call_x", output: "x" }],
        }),
    ]) {
      const [a, b] = [await rpcError(call(realRun)), await rpcError(call(madeUp))];
      expect([a.data?.code, a.message.replace(realRun, "<run>")]).toEqual([
        b.data?.code,
        b.message.replace(madeUp, "<run>"),
      ]);
    }
    // One request id for both, as the caller's own: the answers must not differ in anything but the run id.
    const body = async (path: string, runId: string, init?: RequestInit) => {
      const response = await gatewayFetch(`${GATEWAY}${path}`, {
        ...init,
        headers: { ...(init?.headers as Record<string, string>), "x-request-id": "hub-hardening-9" },
      });
      return `${response.status} ${(await response.text()).replaceAll(runId, "<run>")}`;
    };
    for (const [path, init] of [
      [(runId: string) => `/v1/threads/${otherThread}/runs/${runId}`, undefined],
      [(runId: string) => `/v1/threads/${otherThread}/runs/${runId}/events`, undefined],
      [(runId: string) => `/v1/threads/${otherThread}/runs/${runId}/cancel`, { method: "POST" }],
      [
        (runId: string) => `/v1/threads/${otherThread}/runs/${runId}/submit_tool_outputs`,
        {
          method: "POST",
          body: JSON.stringify({ tool_outputs: [{ tool_call_id: "call_x", output: "x" }], stream: true }),
        },
      ],
      [(runId: string) => `/ws/threads/${otherThread}/runs/${runId}`, { headers: { upgrade: "websocket" } }],
    ] as const) {
      const [a, b] = [await body(path(realRun), realRun, init), await body(path(madeUp), madeUp, init)];
      expect(a, path("<run>")).toBe(b);
      expect(a).toMatch(/^404 /);
    }
    expect(ownThread).not.toBe(otherThread);
  });
});

/** A tool run waiting on two parallel calls (get_weather and get_time). */
async function twoCallRun() {
  const sdk = emulatorSdk();
  const assistant = await sdk.beta.assistants.create({
    model: "gpt-4o",
    name: "Tools",
    tools: [WEATHER_TOOL, TIME_TOOL],
  });
  const thread = await sdk.beta.threads.create({
    messages: [{ role: "user", content: "get_weather Oslo and get_time Oslo" }],
  });
  const run = await runcastClient().runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
  const waiting = await waitForRun(thread.id, run.id, ["requires_action"]);
  const calls = waiting.required_action!.submit_tool_outputs.tool_calls.map((call) => call.id);
  return { threadId: thread.id, runId: run.id, calls };
}

const outcomeOf = (call: Promise<unknown>) =>
  call.then(
    () => "ok",
    (error: { data?: { code?: string }; message: string }) => `${error.data?.code}: ${error.message}`,
  );

describe("11. tool-output races answer CONFLICT for calls already answered", () => {
  it("20 callers each sending both outputs: one succeeds, 19 get CONFLICT naming a call", async () => {
    const { threadId, runId, calls } = await twoCallRun();
    expect(calls).toHaveLength(2);
    const client = runcastClient();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () =>
        outcomeOf(
          client.runs.submitToolOutputs.mutate({
            thread_id: threadId,
            run_id: runId,
            tool_outputs: calls.map((id) => ({ tool_call_id: id, output: "x" })),
          }),
        ),
      ),
    );
    expect(outcomes.filter((outcome) => outcome === "ok")).toHaveLength(1);
    const refused = outcomes.filter((outcome) => outcome !== "ok");
    expect(refused).toHaveLength(19);
    for (const outcome of refused)
      expect(outcome).toMatch(new RegExp(`^CONFLICT: Tool call (${calls.join("|")}) already has its output\\.$`));
  });

  it("outputs split across 20 callers: two succeed, the rest get CONFLICT; late repeats stay CONFLICT, unknown calls BAD_REQUEST", async () => {
    const { threadId, runId, calls } = await twoCallRun();
    const client = runcastClient();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        outcomeOf(
          client.runs.submitToolOutputs.mutate({
            thread_id: threadId,
            run_id: runId,
            tool_outputs: [{ tool_call_id: calls[index % 2]!, output: "x" }],
          }),
        ),
      ),
    );
    expect(outcomes.filter((outcome) => outcome === "ok")).toHaveLength(2);
    for (const outcome of outcomes.filter((o) => o !== "ok"))
      expect(outcome).toMatch(/^CONFLICT: Tool call \S+ already has its output\.$/);
    await waitForRun(threadId, runId);
    const late = await rpcError(
      client.runs.submitToolOutputs.mutate({
        thread_id: threadId,
        run_id: runId,
        tool_outputs: [{ tool_call_id: calls[0]!, output: "late" }],
      }),
    );
    expect([late.data?.code, late.message]).toEqual(["CONFLICT", `Tool call ${calls[0]} already has its output.`]);
    const unknown = await rpcError(
      client.runs.submitToolOutputs.mutate({
        thread_id: threadId,
        run_id: runId,
        tool_outputs: [{ tool_call_id: "call_neverasked", output: "x" }],
      }),
    );
    expect(unknown.data?.code).toBe("BAD_REQUEST");
  });
});

describe("12. a metadata update goes through the run's hub", () => {
  it("a finished run's later reads agree with the upstream on every surface", async () => {
    const { threadId, runId } = await finishedRun();
    const client = runcastClient();
    const updated = await client.runs.update.mutate({
      thread_id: threadId,
      run_id: runId,
      metadata: { label: "reviewed" },
    });
    expect(updated.metadata).toEqual({ label: "reviewed" });
    expect((await client.runs.retrieve.query({ thread_id: threadId, run_id: runId })).metadata).toEqual({
      label: "reviewed",
    });
    const rest = (await (await gatewayFetch(`${GATEWAY}/v1/threads/${threadId}/runs/${runId}`)).json()) as {
      metadata: unknown;
    };
    expect(rest.metadata).toEqual({ label: "reviewed" });
    const socket = await openSocket(threadId, runId);
    socket.send(
      JSON.stringify({
        id: 7,
        method: "query",
        params: { path: "runs.retrieve", input: { thread_id: threadId, run_id: runId } },
      }),
    );
    expect((await socket.waitFor((message) => message.id === 7)).result.data.metadata).toEqual({ label: "reviewed" });
    const upstream = await emulatorSdk().beta.threads.runs.retrieve(runId, { thread_id: threadId });
    expect(upstream.metadata).toEqual({ label: "reviewed" });
  });

  it("subscribers of a live run see the change as runcast.run_updated", async () => {
    const { thread, run } = await toolRun();
    const tab = new Tab(thread.id, run.id);
    await tab.waitFor("thread.run.requires_action");
    await runcastClient().runs.update.mutate({ thread_id: thread.id, run_id: run.id, metadata: { stage: "two" } });
    const event = await tab.waitFor("runcast.run_updated");
    expect(event.data).toEqual({ run_id: run.id, metadata: { stage: "two" } });
    tab.close();
  });
});

describe("13. run slots and tool rounds have one owner each", () => {
  const tenantRuns = (tenant: string) => env.TENANT_RUNS.get(env.TENANT_RUNS.idFromName(tenant));

  it("a creation that fails after its slot was bound frees the run's slot when it gives back its reservation", async () => {
    const runs = tenantRuns(`slots-${crypto.randomUUID()}`);
    const slot = await runs.reserve(3);
    if (!slot.ok) throw new Error("no slot");
    await runs.bind(slot.id, "run_boundthenfailed", Date.now() + 60_000);
    expect(await runs.active()).toBe(1);
    await runs.release(slot.id);
    expect(await runs.active()).toBe(0);
  });

  it("begin() on a hub that already took the run up keeps the creator's slot, and frees it when the run ends", async () => {
    const tenant = `late-begin-${crypto.randomUUID()}`;
    const { assistant, thread } = await runSetup();
    // Created upstream directly (slowly), then taken up by the hub (a subscriber's socket) before the creation step's begin().
    const run = await emulatorSdk().beta.threads.runs.create(thread.id, {
      assistant_id: assistant.id,
      metadata: { emulator_delta_ms: "20" },
    });
    const slot = await tenantRuns(tenant).reserve(3);
    if (!slot.ok) throw new Error("no slot");
    await tenantRuns(tenant).bind(slot.id, run.id, null);
    await openSocket(thread.id, run.id);
    expect((await hubState(run.id))?.slotTenant).toBeNull();
    await hubStub(run.id).begin({ thread_id: thread.id, run, events: [], slotTenant: tenant });
    await waitForRun(thread.id, run.id);
    await expect.poll(() => tenantRuns(tenant).active(), { timeout: 5_000 }).toBe(0);
  });

  it("a run the hub settles (gone upstream) frees its creator's slot", async () => {
    const tenant = `settled-${crypto.randomUUID()}`;
    const { sdk, assistant, thread } = await toolAssistantAndThread("get_weather Oslo");
    const run = await sdk.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const slot = await tenantRuns(tenant).reserve(3);
    if (!slot.ok) throw new Error("no slot");
    await tenantRuns(tenant).bind(slot.id, run.id, null);
    // As the creation step does: the run's first events, then the end of the stream it forwarded; polling takes over.
    const generation = await hubStub(run.id).begin({ thread_id: thread.id, run, events: [], slotTenant: tenant });
    await hubStub(run.id).streamEnded(generation);
    await waitForRun(thread.id, run.id, ["requires_action"]);
    expect(await tenantRuns(tenant).active()).toBe(1);
    await vanishUpstream(thread.id, run.id);
    await expect.poll(() => tenantRuns(tenant).active(), { timeout: 5_000 }).toBe(0);
  });

  it("a hub that restarted mid-submission accepts the outputs again instead of refusing them as CONFLICT", async () => {
    const { thread, run, waiting } = await waitingToolRun();
    const callId = waiting.required_action!.submit_tool_outputs.tool_calls[0]!.id;
    // What a hub leaves when it dies between collecting the round and the upstream taking it: every output stored, none submitted.
    await runInDurableObject(hubStub(run.id), (_hub, state) => {
      state.storage.sql.exec(
        "INSERT INTO tool_outputs (round, tool_call_id, output) VALUES (?, ?, ?)",
        callId,
        callId,
        "lost",
      );
    });
    await abortHub(run.id);
    const answered = await runcastClient().runs.submitToolOutputs.mutate({
      thread_id: thread.id,
      run_id: run.id,
      tool_outputs: [{ tool_call_id: callId, output: "sunny" }],
    });
    expect(answered.id).toBe(run.id);
    const done = await waitForRun(thread.id, run.id);
    expect(done.status).toBe("completed");
  });
});
