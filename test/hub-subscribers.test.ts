// The run hub's promises to subscribers, through the real @trpc/client (wsLink over the run's socket, httpSubscriptionLink
// over /trpc with EventSource): one ordered, gapless event log per run that every subscriber sees whole, however and
// whenever it joins, leaves, drops or falls behind; and the socket's limits and protocol errors.
import { TRPCClientError } from "@trpc/client";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { MessageDelta } from "openai/resources/beta/threads/messages";
import type { Run } from "openai/resources/beta/threads/runs/runs";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { createToolAssistant, GATEWAY, gatewayFetch } from "./helpers/emulator";
import {
  RecordingWebSocket,
  TERMINAL_EVENTS,
  deltaText,
  ids,
  range,
  runSetup,
  sequenceOf,
  stopAllWatchers,
  storedReply,
  subscriptionFrame,
  upgrade,
  watchRun,
  wsRuncast,
  wsUrl,
  type Received,
  type Via,
  type WatchResult,
} from "./helpers/hub";
import { SLOW_RUN, TERMINAL_STATUSES, restSdk, rpcError, runcastClient, sleep, waitForRun } from "./helpers/runcast";

/** A reply of 40 one-word deltas, 20 ms apart: under a second, long enough to join, leave and drop mid-run. */
const PACED = { emulator_delta_ms: "20", emulator_reply_words: "40" };

const rawSockets: RecordingWebSocket[] = [];
/** A socket on a run's route without wsLink: it speaks the protocol by hand (and never answers PING). */
async function rawSocket(threadId: string, runId: string) {
  const socket = new RecordingWebSocket(wsUrl(threadId, runId));
  rawSockets.push(socket);
  await socket.opened();
  return socket;
}

afterEach(() => {
  stopAllWatchers();
  for (const socket of rawSockets.splice(0)) socket.close();
});

/** A run created through Runcast's typed client, on a fresh thread. */
async function startRun(metadata: Record<string, string> = PACED, message?: string) {
  const { assistant, thread } = await runSetup(message);
  const run = await runcastClient().runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id, metadata });
  return { thread, run, threadId: thread.id, runId: run.id };
}

const deltas = (events: Received[]) => events.filter((event) => event.event === "thread.message.delta").length;

/** What a whole run's log must look like to anyone who saw all of it. */
function expectWholeRun(result: WatchResult, terminal = "thread.run.completed") {
  expect(result.completed).toBe(true);
  expect(ids(result.events)).toEqual(range(1, result.events.length));
  expect(result.events[0]?.event).toBe("thread.run.created");
  expect(result.events.at(-1)?.event).toBe(terminal);
  expect(result.events.filter((event) => TERMINAL_EVENTS.includes(event.event))).toHaveLength(1);
}

describe("fan-out", () => {
  it("20 WebSocket and 3 SSE subscribers of one run see the same gapless sequence, complete, and its text is the stored reply", async () => {
    const { threadId, runId } = await startRun();
    // Two of the WebSocket subscriptions share one socket, as components of one page sharing a wsClient do.
    const shared = wsRuncast(threadId, runId);
    const watchers = [
      ...Array.from({ length: 18 }, () => watchRun(threadId, runId, { via: "ws" })),
      watchRun(threadId, runId, { via: "ws", ws: shared }),
      watchRun(threadId, runId, { via: "ws", ws: shared }),
      ...Array.from({ length: 3 }, () => watchRun(threadId, runId, { via: "sse" })),
    ];
    const results = await Promise.all(watchers.map((watcher) => watcher.done));
    await shared.wsClient.close();
    expect(shared.sockets).toHaveLength(1);

    const reference = results[0]!;
    expectWholeRun(reference);
    // 40 words → 40 deltas, besides the run, step and message events around them.
    expect(deltas(reference.events)).toBe(40);
    for (const result of results) {
      expect(result.completed).toBe(true);
      expect(sequenceOf(result.events)).toEqual(sequenceOf(reference.events));
      // The same data too, not just the same names: one log, delivered unchanged to every transport.
      expect(result.events).toEqual(reference.events);
    }
    const stored = await storedReply(threadId, runId);
    expect(stored.split(" ").length).toBe(40);
    for (const result of results) expect(result.text).toBe(stored);
  });
});

/** The assistant message text stored for a run right now, read through Runcast ("" before the message exists). */
async function replySoFar(threadId: string, runId: string) {
  const page = await restSdk().beta.threads.messages.list(threadId, { run_id: runId });
  const message = page.data.find((m) => m.role === "assistant");
  return message?.content.map((part) => (part.type === "text" ? part.text.value : "")).join("") ?? "";
}

describe("joining before, during and after the run", () => {
  it.each<Via>(["ws", "sse"])(
    "over %s, all three end with the identical full sequence: backlog, then live, with no seam",
    async (via) => {
      // 100 ms per tick: the reply's first delta comes ~300 ms after the run is created, so the first subscriber is in
      // before it, even on a loaded machine.
      const { threadId, runId } = await startRun({ emulator_delta_ms: "100", emulator_reply_words: "16" });
      const before = watchRun(threadId, runId, { via });
      await before.started;
      expect(await replySoFar(threadId, runId)).toBe("");

      await before.until((events) => deltas(events) >= 4);
      const seenByBefore = before.events.length;
      const during = watchRun(threadId, runId, { via });
      const beforeResult = await before.done;
      const duringResult = await during.done;
      // The run had moved on when the second one joined: part of what it has came as backlog, the rest live.
      expect(seenByBefore).toBeLessThan(beforeResult.events.length);

      const after = watchRun(threadId, runId, { via });
      const afterResult = await after.done;

      expectWholeRun(beforeResult);
      expect(duringResult.events).toEqual(beforeResult.events);
      expect(afterResult.events).toEqual(beforeResult.events);
      // The late one completes by itself after the replay: the run is over, so nothing more will come.
      expect(afterResult.completed).toBe(true);
      const stored = await storedReply(threadId, runId);
      for (const result of [beforeResult, duringResult, afterResult]) expect(result.text).toBe(stored);
    },
  );
});

describe("resuming by last event id", () => {
  it.each<Via>(["ws", "sse"])(
    "over %s, a subscriber that left after K events and resubscribes with the K-th id gets exactly the rest",
    async (via) => {
      const { threadId, runId } = await startRun();
      const whole = watchRun(threadId, runId, { via: "ws" });
      const first = await watchRun(threadId, runId, { via, stopAfter: 9 }).done;
      expect(first.completed).toBe(false);
      expect(ids(first.events)).toEqual(range(1, 9));

      const rest = await watchRun(threadId, runId, { via, lastEventId: String(first.events.at(-1)!.id) }).done;
      const wholeResult = await whole.done;
      expectWholeRun(wholeResult);
      expect(rest.completed).toBe(true);
      expect(ids(rest.events)).toEqual(range(10, wholeResult.events.length));
      expect([...first.events, ...rest.events]).toEqual(wholeResult.events);
    },
  );

  it("wsLink resubscribes on a new socket with its last event id when the socket drops mid-run, and delivers no gap and no duplicate", async () => {
    const { threadId, runId } = await startRun();
    const watcher = watchRun(threadId, runId, { via: "ws" });
    await watcher.until((events) => deltas(events) >= 5);
    const dropped = watcher.ws!.sockets[0]!;
    let lastDelivered = -1;
    dropped.addEventListener("close", () => {
      lastDelivered = watcher.events.at(-1)!.id;
    });
    dropped.close();

    const result = await watcher.done;
    expectWholeRun(result);
    expect(lastDelivered).toBeGreaterThan(0);
    expect(lastDelivered).toBeLessThan(result.events.length);
    // A second socket, whose subscription carried the id of the last event wsLink delivered before the drop.
    expect(watcher.ws!.sockets).toHaveLength(2);
    const resubscribe = watcher
      .ws!.sockets[1]!.sent.filter((frame) => frame !== "PONG")
      .map((frame) => JSON.parse(frame))
      .flat()
      .find((message) => message.method === "subscription");
    expect(resubscribe?.params).toMatchObject({ path: "runs.events", lastEventId: String(lastDelivered) });
    expect(watcher.states).toContain("connecting");
    expect(result.text).toBe(await storedReply(threadId, runId));
  });

  it("EventSource reconnects after a dropped SSE response with Last-Event-ID, and the subscription delivers no gap and no duplicate", async () => {
    const { threadId, runId } = await startRun();
    const watcher = watchRun(threadId, runId, { via: "sse", cutAfter: 10 });
    const result = await watcher.done;
    expectWholeRun(result);
    const requests = watcher.sse!.requests;
    expect(requests).toHaveLength(2);
    expect(requests[0]!.lastEventId).toBeNull();
    expect(requests[1]!.lastEventId).toBe(String(result.events[9]!.id));
    expect(result.text).toBe(await storedReply(threadId, runId));
  });
});

/** How a subscription ended within `graceMs` of now: its error code, "completed" (with no events) or "open". */
async function settledWithin(watcher: ReturnType<typeof watchRun>, graceMs: number) {
  const ended = watcher.done.then(
    (result) =>
      result.completed && result.events.length === 0 ? "completed" : `ended with ${result.events.length} events`,
    (error: unknown) => String((error as TRPCClientError<any>).data?.code ?? error),
  );
  return Promise.race([ended, sleep(graceMs).then(() => "still open")]);
}

describe("a lastEventId the run never issued", () => {
  it.each<Via>(["ws", "sse"])("over %s, does not leave the subscriber hanging after the run has ended", async (via) => {
    const { threadId, runId } = await startRun({ emulator_delta_ms: "20", emulator_reply_words: "10" });
    // Joined mid-run with an id past the log's end (another run's id, say): refused, or ended along with the run.
    const watcher = watchRun(threadId, runId, { via, lastEventId: "999999" });
    // The refusal may come before the run ends; it is looked at below, once the run has ended.
    watcher.done.catch(() => undefined);
    await waitForRun(threadId, runId);
    expect(["BAD_REQUEST", "completed"]).toContain(await settledWithin(watcher, 2_000));
  });
});

describe("leaving", () => {
  it("all subscribers leaving mid-run does not cancel it: it completes upstream, and a new subscriber gets the full log", async () => {
    const { threadId, runId } = await startRun();
    const watchers = [
      watchRun(threadId, runId, { via: "ws" }),
      watchRun(threadId, runId, { via: "ws" }),
      watchRun(threadId, runId, { via: "sse" }),
    ];
    await Promise.all(watchers.map((watcher) => watcher.until((events) => deltas(events) >= 3)));
    for (const watcher of watchers) watcher.stop();
    const left = await Promise.all(watchers.map((watcher) => watcher.done));
    // They really left mid-run.
    for (const result of left) expect(result.events.some((event) => TERMINAL_EVENTS.includes(event.event))).toBe(false);

    const runcast = runcastClient();
    let run = await runcast.runs.retrieve.query({ thread_id: threadId, run_id: runId });
    for (let i = 0; i < 100 && !TERMINAL_STATUSES.includes(run.status); i++) {
      await sleep(50);
      run = await runcast.runs.retrieve.query({ thread_id: threadId, run_id: runId });
    }
    expect(run.status).toBe("completed");
    expect((await waitForRun(threadId, runId)).status).toBe("completed");

    const late = await watchRun(threadId, runId, { via: "ws" }).done;
    expectWholeRun(late);
    expect(deltas(late.events)).toBe(40);
    expect(late.text).toBe(await storedReply(threadId, runId));
  });
});

describe("a subscriber that stops reading", () => {
  it("is closed with 4008 once it falls more than 200 events behind, can resume from its last id, and a healthy subscriber completes", async () => {
    // 200 events a second: the dead socket is 200 behind after a second, while a healthy one answering PINGs stays well
    // within the limit even on a busy machine (at 2 ms a delta a CI machine running other work cut the healthy one too).
    const { threadId, runId } = await startRun({ emulator_delta_ms: "5", emulator_reply_words: "600" });
    const healthy = watchRun(threadId, runId, { via: "ws" });
    const dead = await rawSocket(threadId, runId);
    dead.send(subscriptionFrame(1, threadId, runId));

    const close = await dead.closed();
    expect(close.code).toBe(4008);
    const received = dead
      .messages()
      .filter((frame) => frame.result?.type === "data")
      .map((frame) => Number(frame.result.id));
    // It was cut before the end: it had more than the allowed 200 events unread (it never answered a PING).
    expect(received.length).toBeGreaterThan(200);
    expect(received).toEqual(range(1, received.length));

    const result = await healthy.done;
    expectWholeRun(result);
    expect(deltas(result.events)).toBe(600);
    expect(received.length).toBeLessThan(result.events.length);
    expect(healthy.ws!.sockets).toHaveLength(1);

    // What the close reason tells it to do works: reconnect with the last event id, get the rest.
    const rest = await watchRun(threadId, runId, { via: "ws", lastEventId: String(received.at(-1)) }).done;
    expect(ids(rest.events)).toEqual(range(received.length + 1, result.events.length));
  });
});

describe("limits and protocol errors", () => {
  it("refuses the 65th subscriber with HTTP 429 (WS and SSE alike), and accepts one again once a subscriber leaves", async () => {
    const { threadId, runId } = await startRun(SLOW_RUN);
    const sockets: RecordingWebSocket[] = [];
    for (let i = 0; i < 62; i++) sockets.push(await rawSocket(threadId, runId));
    await Promise.all(
      sockets.map(
        (socket, index) => (
          socket.send(subscriptionFrame(index + 1, threadId, runId)),
          socket.waitFor((f) => f.result?.type === "started")
        ),
      ),
    );
    const sse = [watchRun(threadId, runId, { via: "sse" }), watchRun(threadId, runId, { via: "sse" })];
    await Promise.all(sse.map((watcher) => watcher.until((events) => events.length > 0)));

    const refused = await upgrade(`/ws/threads/${threadId}/runs/${runId}`);
    expect(refused.status).toBe(429);
    expect(refused.webSocket).toBeNull();
    expect(JSON.stringify(await refused.json())).toContain("64");
    const refusedRest = await gatewayFetch(`${GATEWAY}/v1/threads/${threadId}/runs/${runId}/events`);
    expect(refusedRest.status).toBe(429);
    await refusedRest.body?.cancel();

    sockets[0]!.close();
    let accepted: Response | undefined;
    for (let i = 0; i < 40; i++) {
      const response = await upgrade(`/ws/threads/${threadId}/runs/${runId}`);
      if (response.status === 101) {
        accepted = response;
        break;
      }
      await response.body?.cancel();
      await sleep(50);
    }
    expect(accepted?.status).toBe(101);
    accepted!.webSocket!.accept();
    accepted!.webSocket!.close(1000);
    await runcastClient().runs.cancel.mutate({ thread_id: threadId, run_id: runId });
  });

  it("counts SSE subscribers while they are connected and stops counting them when they leave, even while the run is quiet", async () => {
    const sdk = restSdk();
    const assistant = await createToolAssistant(sdk);
    const thread = await sdk.beta.threads.create({ messages: [{ role: "user", content: "get_weather Paris" }] });
    const run = await runcastClient().runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
    const path = `/ws/threads/${thread.id}/runs/${run.id}`;
    // Waiting for tool outputs: no event comes while the subscribers come and go.
    const watchers = Array.from({ length: 64 }, () => watchRun(thread.id, run.id, { via: "sse" }));
    await Promise.all(
      watchers.map((watcher) =>
        watcher.until((events) => events.some((event) => event.event === "thread.run.requires_action")),
      ),
    );
    const refused = await upgrade(path);
    expect(refused.status).toBe(429);
    await refused.body?.cancel();

    for (const watcher of watchers) watcher.stop();
    let status = 0;
    for (let i = 0; i < 40 && status !== 101; i++) {
      const response = await upgrade(path);
      status = response.status;
      if (response.webSocket) {
        response.webSocket.accept();
        response.webSocket.close(1000);
      } else {
        await response.body?.cancel();
        await sleep(50);
      }
    }
    expect(status).toBe(101);
    await runcastClient().runs.cancel.mutate({ thread_id: thread.id, run_id: run.id });
  });

  it("closes a socket that sends a frame over 64 KiB with 1009", async () => {
    const { threadId, runId } = await startRun({});
    const socket = await rawSocket(threadId, runId);
    socket.send(
      JSON.stringify({
        id: 1,
        method: "query",
        params: { path: "runs.retrieve", input: { thread_id: threadId, run_id: runId }, pad: "x".repeat(64 * 1024) },
      }),
    );
    expect((await socket.closed()).code).toBe(1009);
  });

  it("measures the 64 KiB frame limit in bytes: a frame of 2-byte characters over 64 KiB closes the socket with 1009", async () => {
    const { threadId, runId } = await startRun({});
    const socket = await rawSocket(threadId, runId);
    // 33,000 "é" are 66,000 bytes of UTF-8 (over 65,536) in 33,000 UTF-16 code units.
    const frame = JSON.stringify({
      id: 1,
      method: "query",
      params: { path: "runs.retrieve", input: { thread_id: threadId, run_id: runId }, pad: "é".repeat(33_000) },
    });
    expect(new TextEncoder().encode(frame).byteLength).toBeGreaterThan(64 * 1024);
    socket.send(frame);
    const outcome = await Promise.race([
      socket.closed(),
      socket
        .waitFor((f) => f.id === 1)
        .then((answer) => ({ code: -1, reason: `answered: ${JSON.stringify(answer).slice(0, 200)}` })),
    ]);
    expect(outcome.code).toBe(1009);
  });

  it("answers protocol mistakes on the socket with typed errors, and the socket stays usable", async () => {
    const [a, b] = await Promise.all([startRun({}), startRun({})]);
    await waitForRun(a.threadId, a.runId);
    const ws = wsRuncast(a.threadId, a.runId);
    try {
      // Another run's ids on this run's socket.
      const other = await watchRun(b.threadId, b.runId, { via: "ws", ws }).done.catch((error: unknown) => error);
      expect(other).toBeInstanceOf(TRPCClientError);
      expect((other as TRPCClientError<any>).data?.code).toBe("NOT_FOUND");

      const badId = await watchRun(a.threadId, a.runId, { via: "ws", ws, lastEventId: "not-an-id" }).done.catch(
        (error: unknown) => error,
      );
      expect(badId).toBeInstanceOf(TRPCClientError);
      expect((badId as TRPCClientError<any>).data?.code).toBe("BAD_REQUEST");

      // A procedure the socket does not serve.
      const unsupported = await rpcError(ws.client.runs.list.query({ thread_id: a.threadId }));
      expect(unsupported.data?.code).toBe("METHOD_NOT_SUPPORTED");

      // After all that, the same socket still serves a subscription to the end.
      const result = await watchRun(a.threadId, a.runId, { via: "ws", ws }).done;
      expectWholeRun(result);
      expect(ws.sockets).toHaveLength(1);
    } finally {
      await ws.wsClient.close();
    }

    // A frame that is not JSON: an error frame (PARSE_ERROR, id null), and the socket goes on.
    const raw = await rawSocket(a.threadId, a.runId);
    raw.send("{not json");
    const parseError = await raw.waitFor((frame) => "error" in frame);
    expect(parseError).toMatchObject({ id: null, error: { code: -32700, data: { code: "PARSE_ERROR" } } });
    raw.send(subscriptionFrame(7, a.threadId, a.runId));
    await raw.waitFor((frame) => frame.id === 7 && frame.result?.type === "stopped");
    const replayed = raw.messages().filter((frame) => frame.id === 7 && frame.result?.type === "data");
    expect(replayed.at(-1)?.result.data.data.event).toBe("thread.run.completed");
    expect(raw.closes).toEqual([]);
  });

  it("answers the socket route's HTTP mistakes: bad ids 400, no Upgrade 426, a run the upstream does not know 404", async () => {
    const { threadId, runId } = await startRun({});
    const badIds = await upgrade(`/ws/threads/${threadId}/runs/run.with.dots`);
    expect(badIds.status).toBe(400);
    expect(JSON.stringify(await badIds.json())).toContain("run_id");

    const noUpgrade = await upgrade(`/ws/threads/${threadId}/runs/${runId}`, {});
    expect(noUpgrade.status).toBe(426);
    await noUpgrade.body?.cancel();

    const unknown = await upgrade(`/ws/threads/${threadId}/runs/run_doesnotexist000000000000`);
    expect(unknown.status).toBe(404);
    expect(unknown.webSocket).toBeNull();
    await unknown.body?.cancel();
  });
});

describe("hibernation", () => {
  it("subscribers keep receiving to completion, on the same sockets, after the hub is evicted mid-run with its sockets hibernated", async () => {
    const { threadId, runId } = await startRun();
    const watchers = [watchRun(threadId, runId, { via: "ws" }), watchRun(threadId, runId, { via: "ws" })];
    await Promise.all(watchers.map((watcher) => watcher.until((events) => deltas(events) >= 5)));
    const hub = env.RUN_HUB.get(env.RUN_HUB.idFromName(runId));
    // A mark on the live instance: gone afterwards, so the hub really was torn down and rebuilt mid-run.
    await runInDurableObject(
      hub,
      (instance) => void ((instance as unknown as Record<string, unknown>).evictionMark = true),
    );
    await evictDurableObject(hub, { webSockets: "hibernate" });
    expect(
      await runInDurableObject(hub, (instance) => (instance as unknown as Record<string, unknown>).evictionMark),
    ).toBeUndefined();

    const results = await Promise.all(watchers.map((watcher) => watcher.done));
    const stored = await storedReply(threadId, runId);
    for (const [index, result] of results.entries()) {
      expectWholeRun(result);
      expect(result.events).toEqual(results[0]!.events);
      expect(result.text).toBe(stored);
      // Not rescued by a reconnect: the socket it had before the eviction carried it to the end.
      expect(watchers[index]!.ws!.sockets).toHaveLength(1);
      expect(watchers[index]!.ws!.sockets[0]!.closes).toEqual([]);
    }
  });
});

describe("the typed client", () => {
  it("narrows each event's data by its name, with no casts", async () => {
    const { threadId, runId } = await startRun({ emulator_reply_words: "6" });
    const ws = wsRuncast(threadId, runId);
    const seen: string[] = [];
    let status: Run["status"] | undefined;
    try {
      await new Promise<void>((resolve, reject) =>
        ws.client.runs.events.subscribe(
          { thread_id: threadId, run_id: runId },
          {
            onData: ({ id, data }) => {
              expectTypeOf(id).toEqualTypeOf<string>();
              if (data.event === "thread.message.delta") {
                expectTypeOf(data.data.delta).toEqualTypeOf<MessageDelta>();
                const part = data.data.delta.content?.[0];
                if (part?.type === "text") seen.push(part.text?.value ?? "");
              }
              if (data.event === "thread.run.completed") status = data.data.status;
              if (data.event === "runcast.tool_outputs") expectTypeOf(data.data.pending).toEqualTypeOf<string[]>();
              // @ts-expect-error `delta` is not on every event's data: it needs the narrowing above.
              void data.data.delta;
            },
            onComplete: resolve,
            onError: reject,
          },
        ),
      );
    } finally {
      await ws.wsClient.close();
    }
    expect(seen.join("")).toBe(await storedReply(threadId, runId));
    expect(status).toBe("completed");
    // The helper reads the same union the same way.
    expectTypeOf(deltaText).parameter(0).toHaveProperty("event");
  });
});
