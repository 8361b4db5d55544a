// Sockets in jwt mode that try to take more than they are owed (issue 9): before authenticating they may do nothing but
// authenticate, and leave nothing behind in the hub; every open socket counts against the run's limit; a socket refused
// the run is closed once it has its answer; a socket outlives its token only until the token's expiry; nothing a socket
// keeps across hibernation can grow past what fits.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { emulatorSdk, resetEmulatorSettings } from "../helpers/emulator";
import { subscriptionFrame, upgrade } from "../helpers/hub";
import { sleep, waitForRun } from "../helpers/runcast";
import { closeAllSockets, jwt, rawSocket, rpcAs, uniqueTenant, wsAs } from "../helpers/secure";
import { API_KEYS } from "./fixtures";

afterEach(async () => {
  await closeAllSockets();
  await resetEmulatorSettings();
});

const TENANT = uniqueTenant("acme");
let owned: { threadId: string; runId: string };
let assistantId: string;

beforeAll(async () => {
  assistantId = (
    await emulatorSdk().beta.assistants.create({ model: "gpt-4o", name: "Plain", instructions: "Answer briefly." })
  ).id;
  const run = await rpcAs(await jwt({ sub: TENANT })).runs.createThreadAndRun.mutate({
    assistant_id: assistantId,
    thread: { messages: [{ role: "user", content: "Tell me about lighthouses" }] },
  });
  owned = { threadId: run.thread_id, runId: run.id };
  await waitForRun(run.thread_id, run.id);
});

/** A finished run of TENANT's of its own, for a test that fills its seats. */
async function freshRun() {
  const run = await rpcAs(await jwt({ sub: TENANT })).runs.createThreadAndRun.mutate({
    assistant_id: assistantId,
    thread: { messages: [{ role: "user", content: "Hi" }] },
  });
  await waitForRun(run.thread_id, run.id);
  return { threadId: run.thread_id, runId: run.id };
}

const hub = (runId: string) => env.RUN_HUB.get(env.RUN_HUB.idFromName(runId));
const madeUpRun = () => `run_madeup${crypto.randomUUID().replace(/-/g, "").slice(0, 14)}`;
const params = async (sub = TENANT, expiresIn?: number) =>
  JSON.stringify({
    method: "connectionParams",
    data: { token: await jwt({ sub, ...(expiresIn !== undefined ? { expiresIn } : {}) }) },
  });

describe("before authenticating, a socket can do nothing but authenticate", () => {
  it("a 32,000-item frame without credentials gets one answer (no request id) and closes the socket with 4001", async () => {
    const socket = rawSocket(owned.threadId, owned.runId);
    await socket.opened();
    socket.send(`[${Array<string>(32_000).fill("0").join(",")}]`);
    const close = await socket.closed();
    expect(close.code).toBe(4001);
    expect(close.reason).toMatch(/authenticate first/);
    expect(socket.messages()).toEqual([
      { id: null, error: expect.objectContaining({ data: expect.objectContaining({ code: "UNAUTHORIZED" }) }) },
    ]);
  });

  it("a wsLink client whose token is refused backs off instead of reconnecting at once, again and again", async () => {
    // wsLink as an app has it: its default reconnect delays (the test helpers shorten them).
    const { client, wsClient, sockets } = wsAs(owned.threadId, owned.runId, "rk_test_unknown_0000000000000000", {
      appRetryDelays: true,
    });
    const subscription = client.runs.events.subscribe(
      { thread_id: owned.threadId, run_id: owned.runId },
      { onData: () => undefined, onError: () => undefined },
    );
    await sleep(3_000);
    subscription.unsubscribe();
    await wsClient.close();
    // Without the refusal frame before the close, wsLink reconnected at once: over a hundred sockets in two seconds.
    expect(sockets.length).toBeGreaterThanOrEqual(1);
    expect(sockets.length).toBeLessThanOrEqual(3);
  });

  it("more messages than RUNCAST_WS_MAX_MESSAGES_BEFORE_AUTH (10) close it with 4001; fewer, then the token, and it works", async () => {
    const chatty = rawSocket(owned.threadId, owned.runId);
    await chatty.opened();
    for (let i = 0; i < 11; i++) chatty.send("PING");
    expect((await chatty.closed()).code).toBe(4001);

    const patient = rawSocket(owned.threadId, owned.runId);
    await patient.opened();
    for (let i = 0; i < 5; i++) patient.send("PING");
    patient.send(await params());
    patient.send(subscriptionFrame(1, owned.threadId, owned.runId));
    await patient.waitFor((frame) => frame.id === 1 && frame.result?.type === "stopped");
  });

  it("a socket without credentials on a made-up run leaves no state and no alarm in that run's hub", async () => {
    const runId = madeUpRun();
    const socket = rawSocket(owned.threadId, runId);
    await socket.opened();
    socket.send("PING");
    await sleep(100);
    const stored = await runInDurableObject(hub(runId), async (_, state) => ({
      alarm: await state.storage.getAlarm(),
      kv: [...state.storage.kv.list()].length,
    }));
    expect(stored).toEqual({ alarm: null, kv: 0 });
    // It is still closed at its deadline (a timer, not an alarm).
    expect((await socket.closed()).code).toBe(4001);
  });

  it("sockets without credentials get at most RUNCAST_MAX_UNAUTHENTICATED_SOCKETS (16) seats; those that authenticate still get in", async () => {
    const { threadId, runId } = await freshRun();
    const waiting = Array.from({ length: 16 }, () => rawSocket(threadId, runId));
    await Promise.all(waiting.map((socket) => socket.opened()));
    const refused = await upgrade(`/ws/threads/${threadId}/runs/${runId}`);
    expect(refused.status).toBe(429);
    expect(refused.webSocket).toBeNull();
    const admitted = rawSocket(threadId, runId, { authorization: `Bearer ${await jwt({ sub: TENANT })}` });
    await admitted.opened();
    admitted.send(subscriptionFrame(1, threadId, runId));
    await admitted.waitFor((frame) => frame.id === 1 && frame.result?.type === "stopped");
  });

  it("every open socket counts against the run's limit (RUNCAST_MAX_SUBSCRIBERS = 64), authenticated or not", async () => {
    const owned = await freshRun();
    const sockets = Array.from({ length: 16 }, () => rawSocket(owned.threadId, owned.runId));
    // One tenant may hold only 5 seats of a run (RUNCAST_MAX_SUBSCRIBERS_PER_TENANT): the other 48 go to ten admins.
    const admins = await Promise.all(
      Array.from({ length: 10 }, () => jwt({ sub: uniqueTenant("admin"), scope: "runcast:admin" })),
    );
    for (let i = 0; i < 48; i++)
      sockets.push(rawSocket(owned.threadId, owned.runId, { authorization: `Bearer ${admins[i % 10]}` }));
    await Promise.all(sockets.map((socket) => socket.opened()));
    const refused = await upgrade(`/ws/threads/${owned.threadId}/runs/${owned.runId}`, {
      upgrade: "websocket",
      authorization: `Bearer ${await jwt({ sub: TENANT })}`,
    });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/64 subscribers/);
  });
});

describe("a socket refused the run is closed once it has its answer", () => {
  it("another tenant's socket: its call is answered NOT_FOUND, then it is closed with 4004", async () => {
    const socket = rawSocket(owned.threadId, owned.runId);
    await socket.opened();
    socket.send(JSON.stringify({ method: "connectionParams", data: { token: API_KEYS.globex } }));
    socket.send(
      JSON.stringify({
        id: 1,
        method: "query",
        params: { path: "runs.retrieve", input: { thread_id: owned.threadId, run_id: owned.runId } },
      }),
    );
    expect((await socket.waitFor((frame) => frame.id === 1)).error.data.code).toBe("NOT_FOUND");
    expect((await socket.closed()).code).toBe(4004);
  });

  it("one that asks nothing is closed at its deadline, not left open", async () => {
    const socket = rawSocket(owned.threadId, owned.runId);
    await socket.opened();
    socket.send(JSON.stringify({ method: "connectionParams", data: { token: API_KEYS.globex } }));
    const opened = Date.now();
    expect((await socket.closed()).code).toBe(4004);
    expect(Date.now() - opened).toBeLessThan(8_000);
  });
});

describe("a socket outlives its token only until the token's expiry", () => {
  it("a socket is served until its token expires, then closed with 4001", async () => {
    const socket = rawSocket(owned.threadId, owned.runId);
    await socket.opened();
    socket.send(await params(TENANT, 2));
    socket.send(
      JSON.stringify({
        id: 1,
        method: "query",
        params: { path: "runs.retrieve", input: { thread_id: owned.threadId, run_id: owned.runId } },
      }),
    );
    expect((await socket.waitFor((frame) => frame.id === 1)).result.data.id).toBe(owned.runId);
    const close = await socket.closed();
    expect(close.code).toBe(4001);
    expect(close.reason).toMatch(/expired/);
    expect(socket.messages().at(-1)).toMatchObject({ id: null, error: { data: { code: "UNAUTHORIZED" } } });
  });

  it("a live subscription is closed when its token expires (4001), not served until the run ends", async () => {
    const tool = await emulatorSdk().beta.assistants.create({
      model: "gpt-4o",
      name: "Weather",
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: {} } } }],
    });
    const client = rpcAs(await jwt({ sub: TENANT }));
    const run = await client.runs.createThreadAndRun.mutate({
      assistant_id: tool.id,
      thread: { messages: [{ role: "user", content: "get_weather Oslo" }] },
    });
    await waitForRun(run.thread_id, run.id, ["requires_action"]);
    // Authenticated on the upgrade this time (the Worker checks the token, the hub keeps its expiry).
    const socket = rawSocket(run.thread_id, run.id, {
      authorization: `Bearer ${await jwt({ sub: TENANT, expiresIn: 2 })}`,
    });
    await socket.opened();
    socket.send(subscriptionFrame(1, run.thread_id, run.id));
    await socket.waitFor((frame) => frame.id === 1 && frame.result?.type === "started");
    const close = await socket.closed();
    expect(close.code).toBe(4001);
    expect(close.reason).toMatch(/expired/);
  });
});

describe("what a socket keeps across hibernation is bounded", () => {
  it("a tenant name too long to keep is refused as a credential, on the socket and over HTTP", async () => {
    const long = "t".repeat(17_000);
    const socket = rawSocket(owned.threadId, owned.runId);
    await socket.opened();
    socket.send(await params(long));
    const close = await socket.closed();
    expect(close.code).toBe(4001);
    expect(close.reason).toMatch(/subject/);
    const error = await rpcAs(await jwt({ sub: long }))
      .runs.retrieve.query({ thread_id: owned.threadId, run_id: owned.runId })
      .catch((caught: { data?: { code?: string } }) => caught);
    expect((error as { data?: { code?: string } }).data?.code).toBe("UNAUTHORIZED");
  });
});
