// Limits per tenant and at the edge: concurrent active runs (RUNCAST_MAX_ACTIVE_RUNS = 3 here), the request rate (the
// TENANT_RATE_LIMIT binding: 300 per 60 s window), request bodies (RUNCAST_MAX_BODY_BYTES = 64 KiB), subscribers per
// tenant per run (RUNCAST_MAX_SUBSCRIBERS_PER_TENANT = 5), and CORS for the configured origins only.
import OpenAI from "openai";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createToolAssistant, emulatorSdk, GATEWAY, gatewayFetch, resetEmulatorSettings } from "../helpers/emulator";
import { upgrade } from "../helpers/hub";
import { emulatorRunIds, rejection, rpcError, sleep, waitForRun, type RuncastError } from "../helpers/runcast";
import {
  closeAllSockets,
  jwt,
  rawSocket,
  restAs,
  rpcAs,
  sseAs,
  subscribeOnce,
  uniqueTenant,
  upstreamUntouchedBy,
  wsAs,
} from "../helpers/secure";
import { API_KEYS } from "./fixtures";

afterEach(async () => {
  await closeAllSockets();
  await resetEmulatorSettings();
});

let assistantId: string;
let toolAssistantId: string;
const UNKNOWN_THREAD = `thread_unknown${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;

beforeAll(async () => {
  assistantId = (
    await emulatorSdk().beta.assistants.create({ model: "gpt-4o", name: "Plain", instructions: "Answer briefly." })
  ).id;
  toolAssistantId = (await createToolAssistant()).id;
});

type Client = ReturnType<typeof rpcAs>;

/** A run that waits for tool outputs (requires_action), holding one of its tenant's active-run slots. */
async function waitingRun(client: Client) {
  const run = await client.runs.createThreadAndRun.mutate({
    assistant_id: toolAssistantId,
    thread: { messages: [{ role: "user", content: "get_weather Paris" }] },
  });
  const waiting = await waitForRun(run.thread_id, run.id, ["requires_action"]);
  return {
    threadId: run.thread_id,
    runId: run.id,
    callId: waiting.required_action!.submit_tool_outputs.tool_calls[0]!.id,
  };
}

/** Retries `create` while it is refused for the active-run limit: a freed slot shows within a few hub polls. */
async function whenSlotFrees<T>(create: () => Promise<T>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await create();
    } catch (error) {
      if ((error as RuncastError).data?.code !== "TOO_MANY_REQUESTS" || Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

function expectTooMany(error: RuncastError) {
  expect(error.data?.code).toBe("TOO_MANY_REQUESTS");
  expect(error.data?.httpStatus).toBe(429);
  expect(Number.isInteger(error.data?.retry_after)).toBe(true);
  expect(error.data?.retry_after).toBeGreaterThan(0);
}

describe("request bodies over RUNCAST_MAX_BODY_BYTES (64 KiB)", () => {
  const big = () =>
    JSON.stringify({
      assistant_id: "asst_x",
      thread: { messages: [{ role: "user", content: "x".repeat(70 * 1024) }] },
    });

  it("are refused with 413 on /v1 and /trpc, before authentication and before any upstream call", async () => {
    const token = await jwt({ sub: uniqueTenant("body") });
    const responses: Response[] = [];
    const untouched = await upstreamUntouchedBy(async () => {
      for (const url of [`${GATEWAY}/v1/threads/runs`, `${GATEWAY}/trpc/runs.createThreadAndRun`])
        for (const headers of [{ authorization: `Bearer ${token}` }, {}] as Array<Record<string, string>>)
          responses.push(
            await gatewayFetch(url, {
              method: "POST",
              headers: { "content-type": "application/json", ...headers },
              body: big(),
            }),
          );
    });
    expect(untouched).toBe(true);
    for (const response of responses) {
      expect(response.status).toBe(413);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
    }
  });

  it("a streamed body with no Content-Length is counted as it arrives and refused the same way", async () => {
    const token = await jwt({ sub: uniqueTenant("body") });
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    for (const url of [`${GATEWAY}/v1/threads/runs`, `${GATEWAY}/trpc/runs.createThreadAndRun`]) {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 6) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const request = new Request(url, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body,
        duplex: "half",
      } as RequestInit);
      expect(request.headers.get("content-length")).toBeNull();
      expect((await gatewayFetch(request)).status).toBe(413);
    }
  });

  it("a body under the limit is read and judged on its content (400 for an unknown field, not 413)", async () => {
    const response = await gatewayFetch(`${GATEWAY}/v1/threads/runs`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await jwt({ sub: uniqueTenant("body") })}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ assistant_id: assistantId, padding: "x".repeat(60 * 1024) }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/padding/);
  });
});

describe("CORS: only the configured origins, echoed by name", () => {
  const preflight = (origin: string, path = "/trpc/runs.list") =>
    gatewayFetch(`${GATEWAY}${path}`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });

  it("a preflight from an allowed origin gets that origin back (never *), with the authorization header allowed", async () => {
    for (const origin of ["https://app.example.com", "http://localhost:5173"]) {
      const response = await preflight(origin);
      expect(response.status).toBeLessThan(300);
      expect(response.headers.get("access-control-allow-origin")).toBe(origin);
      expect(response.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
      expect(response.headers.get("vary")?.toLowerCase()).toContain("origin");
    }
    expect(
      (await preflight("https://app.example.com", "/v1/threads/runs")).headers.get("access-control-allow-origin"),
    ).toBe("https://app.example.com");
  });

  it("a preflight from any other origin gets no access-control-allow-origin", async () => {
    for (const origin of [
      "https://evil.example.com",
      "https://app.example.com.evil.example.com",
      "http://app.example.com",
      "null",
      "*",
    ]) {
      const response = await preflight(origin);
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    }
  });

  it("the actual request: the allowed origin can read the answer (an error too, with retry-after exposed); another cannot", async () => {
    const token = await jwt({ sub: uniqueTenant("cors") });
    const url = `${GATEWAY}/trpc/runs.list?input=${encodeURIComponent(JSON.stringify({ thread_id: UNKNOWN_THREAD }))}`;
    const allowed = await gatewayFetch(url, {
      headers: { origin: "https://app.example.com", authorization: `Bearer ${token}` },
    });
    expect(allowed.status).toBe(404);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(allowed.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("retry-after");
    // A frontend must be able to read a 401 to send its user to log in again.
    const unauthorized = await gatewayFetch(url, { headers: { origin: "https://app.example.com" } });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const rest = await gatewayFetch(`${GATEWAY}/v1/threads/${UNKNOWN_THREAD}/runs`, {
      headers: { origin: "http://localhost:5173", authorization: `Bearer ${token}` },
    });
    expect(rest.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");

    const evil = await gatewayFetch(url, {
      headers: { origin: "https://evil.example.com", authorization: `Bearer ${token}` },
    });
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("subscribers per tenant per run (5)", () => {
  const ownerTenant = uniqueTenant("fan");
  let owner: string;
  let run: { threadId: string; runId: string };

  beforeAll(async () => {
    owner = await jwt({ sub: ownerTenant });
  });

  const path = () => `/ws/threads/${run.threadId}/runs/${run.runId}`;

  /** A finished run of the owner's (each test its own, so no seat is still being freed from the last test), and five sockets of the owner's tenant on it, authenticated on the upgrade. */
  async function fiveSockets() {
    const created = await rpcAs(owner).runs.createThreadAndRun.mutate({
      assistant_id: assistantId,
      thread: { messages: [{ role: "user", content: "Hi" }] },
    });
    run = { threadId: created.thread_id, runId: created.id };
    await waitForRun(run.threadId, run.runId);
    const sockets = Array.from({ length: 5 }, () =>
      rawSocket(run.threadId, run.runId, { authorization: `Bearer ${owner}` }),
    );
    await Promise.all(sockets.map((socket) => socket.opened()));
    return sockets;
  }

  it("the 6th socket of the same tenant is refused: 429 on an upgrade with Authorization, close 4029 with connection params", async () => {
    await fiveSockets();
    // Another token of the same tenant: the count is per tenant, not per token.
    const refused = await upgrade(path(), {
      upgrade: "websocket",
      authorization: `Bearer ${await jwt({ sub: ownerTenant, expiresIn: 120 })}`,
    });
    expect(refused.status).toBe(429);
    expect(refused.webSocket).toBeNull();
    expect(await refused.text()).toMatch(/5 subscribers/);

    const byParams = rawSocket(run.threadId, run.runId);
    await byParams.opened();
    byParams.send(JSON.stringify({ method: "connectionParams", data: { token: owner } }));
    expect((await byParams.closed()).code).toBe(4029);

    // wsLink the same way: its socket is closed with 4029 and no event arrives.
    const { client, sockets } = wsAs(run.threadId, run.runId, owner);
    const outcome = subscribeOnce(client, { thread_id: run.threadId, run_id: run.runId }, 1_000);
    await expect.poll(() => sockets[0]?.closes[0]?.code, { timeout: 3_000 }).toBe(4029);
    expect((await outcome).events).toEqual([]);
  });

  it("the 6th as an SSE subscription (tRPC or REST) is refused too, with no event", async () => {
    await fiveSockets();
    const outcome = await subscribeOnce(sseAs(owner), { thread_id: run.threadId, run_id: run.runId });
    expect(outcome.events).toEqual([]);
    expect(outcome.error?.data?.code).toBe("TOO_MANY_REQUESTS");
    const rest = await gatewayFetch(`${GATEWAY}/v1/threads/${run.threadId}/runs/${run.runId}/events`, {
      headers: { authorization: `Bearer ${owner}` },
    });
    expect(rest.status).toBe(429);
    expect(await rest.text()).not.toMatch(/thread\.run/);
  });

  it("another tenant with access (the admin) still joins, by header and by connection params, while the owner's tenant is full", async () => {
    await fiveSockets();
    const byHeader = rawSocket(run.threadId, run.runId, { authorization: `Bearer ${API_KEYS.admin}` });
    await byHeader.opened();
    const { client } = wsAs(run.threadId, run.runId, API_KEYS.admin);
    const outcome = await subscribeOnce(client, { thread_id: run.threadId, run_id: run.runId });
    expect(outcome.error).toBeNull();
    expect(outcome.events.at(-1)?.event).toBe("thread.run.completed");
    // …and the owner's tenant is still full.
    expect((await upgrade(path(), { upgrade: "websocket", authorization: `Bearer ${owner}` })).status).toBe(429);
  });

  it("once one of the five leaves, the tenant may join again", async () => {
    const sockets = await fiveSockets();
    expect((await upgrade(path(), { upgrade: "websocket", authorization: `Bearer ${owner}` })).status).toBe(429);
    sockets[0]!.close();
    await expect
      .poll(
        async () => {
          const response = await upgrade(path(), { upgrade: "websocket", authorization: `Bearer ${owner}` });
          response.webSocket?.accept();
          response.webSocket?.close();
          return response.status;
        },
        { timeout: 3_000, interval: 50 },
      )
      .toBe(101);
  });
});

describe("request rate per tenant (300 per 60 s window)", () => {
  const tenant = uniqueTenant("rate");
  let token: string;
  let statuses: string[];
  /** A run of the limited tenant's own, created as its first call. */
  let own: { thread_id: string; run_id: string };

  /** The limiter counts in wall-clock minutes: start well inside one, so the whole check lands in the same window. */
  async function awayFromWindowEdge() {
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 15_000) await sleep(left + 250);
  }

  /** One cheap call (NOT_FOUND after authentication, no upstream call), answering its outcome's code. */
  const cheapCall = (client: Client) =>
    client.runs.list.query({ thread_id: UNKNOWN_THREAD }).then(
      () => "OK",
      (error: RuncastError) => error.data?.code ?? "?",
    );

  beforeAll(async () => {
    await awayFromWindowEdge();
    token = await jwt({ sub: tenant });
    const client = rpcAs(token);
    const run = await client.runs.createThreadAndRun.mutate({
      assistant_id: assistantId,
      thread: { messages: [{ role: "user", content: "Hi" }] },
    });
    own = { thread_id: run.thread_id, run_id: run.id };
    statuses = ["OK"];
    // In batches (one HTTP request each, as httpBatchLink sends them): 300 calls with the creation, all within the limit.
    for (const size of [50, 50, 50, 50, 50, 49])
      statuses.push(...(await Promise.all(Array.from({ length: size }, () => cheapCall(client)))));
    await waitForRun(own.thread_id, own.run_id);
    // Room for the wait to the next window, and the 300 calls.
  }, 40_000);

  it("300 calls pass; the next is TOO_MANY_REQUESTS with retry_after, on every transport", async () => {
    expect(statuses).toHaveLength(300);
    expect(statuses.filter((code) => code !== "NOT_FOUND" && code !== "OK")).toEqual([]);
    expectTooMany(await rpcError(rpcAs(token).runs.list.query({ thread_id: UNKNOWN_THREAD })));

    const rest = await rejection(restAs(token).beta.threads.runs.list(UNKNOWN_THREAD));
    expect(rest).toBeInstanceOf(OpenAI.RateLimitError);
    const ws = await upgrade(`/ws/threads/${UNKNOWN_THREAD}/runs/run_x`, {
      upgrade: "websocket",
      authorization: `Bearer ${token}`,
    });
    expect(ws.status).toBe(429);
    const sse = await subscribeOnce(sseAs(token), { thread_id: UNKNOWN_THREAD, run_id: "run_x" });
    expect(sse.error?.data?.code).toBe("TOO_MANY_REQUESTS");
  });

  it("other tenants are unaffected, by JWT and by API key", async () => {
    expect(await cheapCall(rpcAs(await jwt({ sub: uniqueTenant("rate") })))).toBe("NOT_FOUND");
    expect(await cheapCall(rpcAs(API_KEYS.globex))).toBe("NOT_FOUND");
    // A new token for the limited tenant is still the same tenant: still refused.
    expect(await cheapCall(rpcAs(await jwt({ sub: tenant, expiresIn: 120 })))).toBe("TOO_MANY_REQUESTS");
  });

  it("the limited tenant's own run: no socket by Authorization (429), and none by connection params either", async () => {
    const byHeader = await upgrade(`/ws/threads/${own.thread_id}/runs/${own.run_id}`, {
      upgrade: "websocket",
      authorization: `Bearer ${token}`,
    });
    expect(byHeader.status).toBe(429);
    expectTooMany(await rpcError(rpcAs(token).runs.retrieve.query(own)));
    // The same tenant, authenticating on the socket instead: still over its rate, so refused too.
    const { client, sockets } = wsAs(own.thread_id, own.run_id, token);
    const outcome = await subscribeOnce(client, own, 1_500);
    expect(outcome.events).toEqual([]);
    // Refused as an error on the subscription, or by closing the socket with 1013 (try again later).
    expect(outcome.error?.data?.code === "TOO_MANY_REQUESTS" || sockets[0]?.closes[0]?.code === 1013).toBe(true);
  });

  it("REST's 429 from the rate limit carries retry-after, as the openai SDK expects", async () => {
    const response = await gatewayFetch(`${GATEWAY}/v1/threads/${UNKNOWN_THREAD}/runs`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("concurrent active runs per tenant (3)", () => {
  it("a failed or refused creation holds no slot", async () => {
    const client = rpcAs(await jwt({ sub: uniqueTenant("slots") }));
    for (let attempt = 0; attempt < 4; attempt++) {
      const missing = await rpcError(
        client.runs.createThreadAndRun.mutate({ assistant_id: "asst_doesnotexist000000000000" }),
      );
      expect(missing.data?.code).toBe("NOT_FOUND");
      const forbidden = await rpcError(
        client.runs.createThreadAndRun.mutate({ assistant_id: assistantId, model: "gpt-4o-mini" }),
      );
      expect(forbidden.data?.code).toBe("FORBIDDEN");
    }
    const runs = [await waitingRun(client), await waitingRun(client), await waitingRun(client)];
    expect(runs).toHaveLength(3);
    for (const run of runs) await client.runs.cancel.mutate({ thread_id: run.threadId, run_id: run.runId });
  });

  it("runs that end the moment they start free their slots: the next creation is accepted", async () => {
    const client = rpcAs(await jwt({ sub: uniqueTenant("instant"), scope: "runcast:override" }));
    // Each fails right after in_progress, so its hub may see it end before the creation step has bound its slot.
    for (let round = 0; round < 4; round++) {
      const run = await client.runs.createThreadAndRun.mutate({
        assistant_id: assistantId,
        thread: { messages: [{ role: "user", content: "Hi" }] },
        metadata: { emulator_fail: "invalid_prompt" },
      });
      await waitForRun(run.thread_id, run.id);
    }
    const more = await client.runs.createThreadAndRun.mutate({
      assistant_id: assistantId,
      thread: { messages: [{ role: "user", content: "Still there?" }] },
    });
    expect(more.id).toMatch(/^run_/);
  });

  it("3 runs waiting for tool outputs fill the tenant's slots: the 4th is TOO_MANY_REQUESTS with retry_after until one ends", async () => {
    const client = rpcAs(await jwt({ sub: uniqueTenant("busy") }));
    // A thread of the tenant's own with its run finished, to create further runs on.
    const first = await client.runs.createThreadAndRun.mutate({
      assistant_id: assistantId,
      thread: { messages: [{ role: "user", content: "Hi" }] },
    });
    await waitForRun(first.thread_id, first.id);
    const home = first.thread_id;
    const waiting = [await whenSlotFrees(() => waitingRun(client)), await waitingRun(client), await waitingRun(client)];

    // The 4th, however it is asked for, is refused before the upstream hears of it.
    expectTooMany(await rpcError(client.runs.create.mutate({ thread_id: home, assistant_id: assistantId })));
    expectTooMany(await rpcError(client.runs.createThreadAndRun.mutate({ assistant_id: assistantId })));
    expect(await emulatorRunIds(home)).toEqual([first.id]);
    const limited = await rpcError(client.runs.create.mutate({ thread_id: home, assistant_id: assistantId }));
    expect(limited.message).toMatch(/3 active runs/);

    // Other tenants are unaffected.
    const other = rpcAs(await jwt({ sub: uniqueTenant("busy") }));
    const theirs = await other.runs.createThreadAndRun.mutate({
      assistant_id: assistantId,
      thread: { messages: [{ role: "user", content: "Hi" }] },
    });
    await waitForRun(theirs.thread_id, theirs.id);

    // Outputs submitted: that run completes and its slot frees.
    const [done, cancelled, kept] = waiting as [(typeof waiting)[0], (typeof waiting)[0], (typeof waiting)[0]];
    await client.runs.submitToolOutputs.mutate({
      thread_id: done.threadId,
      run_id: done.runId,
      tool_outputs: [{ tool_call_id: done.callId, output: "sunny" }],
    });
    expect((await waitForRun(done.threadId, done.runId)).status).toBe("completed");
    const again = await whenSlotFrees(() =>
      client.runs.create.mutate({
        thread_id: home,
        assistant_id: toolAssistantId,
        additional_messages: [{ role: "user", content: "get_time Oslo" }],
      }),
    );
    await waitForRun(home, again.id, ["requires_action"]);
    // Full again with the new run.
    expectTooMany(await rpcError(client.runs.createThreadAndRun.mutate({ assistant_id: assistantId })));

    // A cancelled run frees its slot too.
    await client.runs.cancel.mutate({ thread_id: cancelled.threadId, run_id: cancelled.runId });
    expect((await waitForRun(cancelled.threadId, cancelled.runId)).status).toBe("cancelled");
    const after = await whenSlotFrees(() =>
      client.runs.createThreadAndRun.mutate({
        assistant_id: assistantId,
        thread: { messages: [{ role: "user", content: "Hi" }] },
      }),
    );
    await waitForRun(after.thread_id, after.id);

    for (const run of [kept, { threadId: home, runId: again.id }])
      await client.runs.cancel.mutate({ thread_id: run.threadId, run_id: run.runId });
  });

  it("REST: the 4th run is a 429 RateLimitError", async () => {
    const token = await jwt({ sub: uniqueTenant("busy") });
    const client = rpcAs(token);
    const waiting = [await waitingRun(client), await waitingRun(client), await waitingRun(client)];
    const error = await rejection(restAs(token).beta.threads.createAndRun({ assistant_id: assistantId }));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).status).toBe(429);
    for (const run of waiting) await client.runs.cancel.mutate({ thread_id: run.threadId, run_id: run.runId });
  });
});
