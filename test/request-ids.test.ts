// Following one request: every answer carries `x-request-id` (the caller's own when well-formed, else a fresh one), the
// REST and tRPC errors carry the same id, and a failure is one JSON line naming what failed, the run and the request,
// never the upstream's words or key. Runs in every per-provider project (vitest.config.ts).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { gatewayApp } from "../src/app";
import { RunHub } from "../src/durable/run-hub";
import type { GatewayEnv } from "../src/env";
import { GATEWAY, gatewayFetch, resetEmulatorSettings, toolAssistantAndThread } from "./helpers/emulator";
import { RecordingWebSocket, runSetup, wsUrl } from "./helpers/hub";
import { hubState, hubStore, hubStub } from "./helpers/hub-lifecycle";
import { provider, restSdk, rpcError, runcastClient, sleep, waitForRun } from "./helpers/runcast";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const fetchWithId = (id: string) => (input: RequestInfo | URL, init?: RequestInit) => {
  const request = new Request(input, init);
  request.headers.set("x-request-id", id);
  return gatewayFetch(request);
};
const uniqueId = (label: string) => `${label}-${crypto.randomUUID()}`;

describe("every answer carries x-request-id", () => {
  it("a fresh one when the caller sends none, different for each request", async () => {
    const [a, b] = [await gatewayFetch(`${GATEWAY}/health`), await gatewayFetch(`${GATEWAY}/health`)];
    expect(a.headers.get("x-request-id")).toMatch(UUID);
    expect(b.headers.get("x-request-id")).toMatch(UUID);
    expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
  });

  it("the caller's own when it is well-formed, on every surface and on unknown paths", async () => {
    const own = "trace.7:span-2/b64+x=";
    const { thread } = await runSetup("Hello there");
    for (const [path, init] of [
      ["/health", {}],
      ["/nope", {}],
      ["/v1/nope", {}],
      [`/v1/threads/${thread.id}`, {}],
      [`/trpc/threads.retrieve?input=${encodeURIComponent(JSON.stringify({ thread_id: thread.id }))}`, {}],
      ["/v1/threads", { method: "POST", body: "{}" }],
    ] as const) {
      const response = await fetchWithId(own)(`${GATEWAY}${path}`, init);
      expect(response.headers.get("x-request-id"), path).toBe(own);
      await response.body?.cancel();
    }
  });

  it.each([
    ["too long", "x".repeat(256)],
    ["with a space", "my request"],
    ["with a semicolon", "a;b"],
    ["with a quote", 'a"b'],
    ["with a tab", "a\tb"],
  ])("a fresh one when the caller's is malformed (%s), not an error", async (_name, malformed) => {
    const response = await fetchWithId(malformed)(`${GATEWAY}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toMatch(UUID);
  });

  it("the longest well-formed id (255 characters) is kept", async () => {
    const longest = "a".repeat(255);
    expect((await fetchWithId(longest)(`${GATEWAY}/health`)).headers.get("x-request-id")).toBe(longest);
  });

  it("a browser frontend may send its own and read the answer's (CORS allows and exposes the header)", async () => {
    // The Worker's app with an allowed origin (this project allows none).
    const origin = "https://app.example.com";
    const withOrigin = { ...env, RUNCAST_CORS_ORIGINS: origin } as GatewayEnv;
    const preflight = await gatewayApp().fetch(
      new Request(`${GATEWAY}/v1/threads`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "x-request-id" },
      }),
      withOrigin,
    );
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("x-request-id");
    const answer = await gatewayApp().fetch(new Request(`${GATEWAY}/health`, { headers: { origin } }), withOrigin);
    expect(answer.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("x-request-id");
    expect(answer.headers.get("x-request-id")).toMatch(UUID);
  });
});

describe("errors carry the request id of their answer", () => {
  it("REST: `request_id` in the error object, beside the upstream's fields, equal to the header", async () => {
    const fresh = await gatewayFetch(`${GATEWAY}/v1/threads/thread_doesnotexist000000000000`);
    expect(fresh.status).toBe(404);
    const body = (await fresh.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: "invalid_request_error", param: null, code: null });
    expect(body.error.message).toEqual(expect.any(String));
    expect(body.error.request_id).toBe(fresh.headers.get("x-request-id"));

    const own = uniqueId("rest");
    const invalid = await fetchWithId(own)(`${GATEWAY}/v1/threads`, { method: "POST", body: "{nope" });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { request_id: string } }).error.request_id).toBe(own);

    const unknown = await fetchWithId(own)(`${GATEWAY}/v1/nope`);
    expect(((await unknown.json()) as { error: { request_id: string } }).error.request_id).toBe(own);
  });

  it("REST through the SDK: the error's body and headers both name the request", async () => {
    const own = uniqueId("sdk");
    const error = (await restSdk({ fetch: fetchWithId(own) as typeof fetch })
      .beta.threads.retrieve("thread_doesnotexist000000000000")
      .catch((caught: unknown) => caught)) as { status: number; error: { request_id?: string }; headers: Headers };
    expect(error.status).toBe(404);
    expect(error.error.request_id).toBe(own);
    expect(error.headers.get("x-request-id")).toBe(own);
  });

  it("tRPC: `data.requestId`, equal to the header, for a refused input and for a refusal", async () => {
    const own = uniqueId("trpc");
    const client = runcastClient(fetchWithId(own) as typeof fetch);
    const invalid = await rpcError(client.threads.retrieve.query({ thread_id: "not a thread id" }));
    expect(invalid.data).toMatchObject({ code: "BAD_REQUEST", requestId: own });
    const missing = await rpcError(client.threads.retrieve.query({ thread_id: "thread_doesnotexist000000000000" }));
    expect(missing.data).toMatchObject({ code: "NOT_FOUND", requestId: own });

    const raw = await gatewayFetch(
      `${GATEWAY}/trpc/threads.retrieve?input=${encodeURIComponent(JSON.stringify({ thread_id: "nope" }))}`,
    );
    const answer = (await raw.json()) as { error: { data: { requestId: string } } };
    expect(answer.error.data.requestId).toBe(raw.headers.get("x-request-id"));
  });

  it("a run's socket: the upgrade's answer carries the id, and so do the socket's error frames", async () => {
    const { assistant, thread } = await runSetup("Hello there");
    const run = await runcastClient().runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
    await waitForRun(thread.id, run.id);
    const own = uniqueId("socket");

    const upgraded = await fetchWithId(own)(`${GATEWAY}/ws/threads/${thread.id}/runs/${run.id}`, {
      headers: { upgrade: "websocket" },
    });
    expect(upgraded.status).toBe(101);
    expect(upgraded.headers.get("x-request-id")).toBe(own);
    upgraded.webSocket!.accept();
    upgraded.webSocket!.close();

    const refused = await fetchWithId(own)(`${GATEWAY}/ws/threads/${thread.id}/runs/run_doesnotexist00000000000`, {
      headers: { upgrade: "websocket" },
    });
    expect(refused.status).toBe(404);
    expect(refused.headers.get("x-request-id")).toBe(own);
    expect(((await refused.json()) as { error: { request_id: string } }).error.request_id).toBe(own);

    const socket = new RecordingWebSocket(wsUrl(thread.id, run.id), { "x-request-id": own });
    await socket.opened();
    socket.send(JSON.stringify({ id: 1, method: "mutation", params: { path: "runs.cancel", input: {} } }));
    const frame = await socket.waitFor((received) => received.id === 1);
    expect(frame.error.data).toMatchObject({ code: "BAD_REQUEST", requestId: own });
    socket.close();
  });
});

/** Every line written to console.error and console.warn while a test runs (the Durable Objects share the console). */
let lines: string[] = [];

/** The JSON failure lines named `what` about `run`, once at least one has been written. */
async function failureLines(what: string, run: string, timeoutMs = 10_000) {
  const matching = () =>
    lines
      .filter((line) => line.startsWith("{"))
      .map((line) => ({ line, parsed: JSON.parse(line) as Record<string, unknown> }))
      .filter(({ parsed }) => parsed.what === what && parsed.run === run);
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(20))
    if (matching().length > 0) return matching();
  throw new Error(`no ${what} line about ${run}; written: ${lines.join("\n")}`);
}

describe("a failure is one JSON line", () => {
  beforeEach(() => {
    lines = [];
    for (const level of ["error", "warn"] as const)
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await resetEmulatorSettings();
  });

  /** The emulator's words for its injected 500s: an upstream's message, which no line may repeat. */
  const UPSTREAM_500 = "The server had an error while processing your request";

  // Not under `responses`: there the hub's polls read Runcast's own records, which the emulator's faults do not reach.
  it.skipIf(provider === "responses")(
    "the hub's failed poll names the run, its thread and the request that created the run, and not the upstream's words",
    async () => {
      const { assistant, thread } = await toolAssistantAndThread("Please get_weather Paris.", restSdk());
      const own = uniqueId("create");
      // The run waits for tool outputs, so its hub polls the upstream, which fails the next 3 requests naming the run.
      const created = await fetchWithId(own)(`${GATEWAY}/v1/threads/${thread.id}/runs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ assistant_id: assistant.id, metadata: { emulator_http_errors: "500x3" } }),
      });
      expect(created.headers.get("x-request-id")).toBe(own);
      const run = (await created.json()) as { id: string };

      const [first] = await failureLines("hub.poll_failed", run.id);
      expect(first!.parsed).toEqual({
        level: "warn",
        what: "hub.poll_failed",
        run: run.id,
        thread: thread.id,
        request_id: own,
        code: "BAD_GATEWAY",
        status: 500,
        message: expect.stringMatching(/^upstream http 500 type=server_error/),
      });
      expect(first!.line).not.toContain(UPSTREAM_500);
      // Each failure is a line of its own: nothing of it spills onto another line.
      expect(first!.line).not.toContain("\n");
    },
  );

  // Only with the Assistants upstream: the hub is run here with the configuration of a real OpenAI upstream.
  it.skipIf(provider !== "assistants")(
    "an upstream 401 that quotes the key: the line has its status, type and code, never the key or the message",
    async () => {
      const key = "sk-live-request-ids-0123456789abcdef";
      const { assistant, thread } = await toolAssistantAndThread("Please get_weather Paris.", restSdk());
      const run = await runcastClient().runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
      for (let i = 0; i < 300; i++) {
        const state = await hubState(run.id);
        if (state?.run.status === "requires_action" && !state.stream.open) break;
        await sleep(20);
      }
      const refusal = `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com.`;
      const upstream = vi
        .spyOn(globalThis, "fetch")
        .mockImplementation(async () =>
          Response.json(
            { error: { message: refusal, type: "invalid_request_error", param: null, code: "invalid_api_key" } },
            { status: 401, headers: { "x-request-id": "req_upstream401" } },
          ),
        );
      const withKey = { ...env, OPENAI_API_KEY: key, OPENAI_BASE_URL: "http://upstream.test/v1" } as GatewayEnv;
      await runInDurableObject(hubStub(run.id), async (instance, state) => {
        // The hub polls only when its planned poll is due: make it due now, then fire its alarm.
        const store = hubStore(instance);
        const held = store.get()!;
        store.put({ ...held, poll: { ...held.poll, at: Date.now() } });
        await new RunHub(state as unknown as DurableObjectState, withKey).alarm();
      });
      upstream.mockRestore();

      const [failure] = await failureLines("hub.poll_failed", run.id);
      expect(failure!.parsed).toMatchObject({
        level: "warn",
        run: run.id,
        status: 401,
        code: "BAD_GATEWAY",
        message: "upstream http 401 type=invalid_request_error code=invalid_api_key request=req_upstream401",
      });
      for (const line of lines) {
        expect(line).not.toContain(key);
        expect(line).not.toContain("Incorrect API key");
      }
      await runcastClient().runs.cancel.mutate({ thread_id: thread.id, run_id: run.id });
    },
  );

  // Under `responses`, the thread's object follows each response itself: a cut stream it cannot re-attach to is logged.
  it.runIf(provider === "responses")(
    "a response the upstream fails while it is followed: lines naming the run and its thread, not the upstream's words",
    async () => {
      const { assistant, thread } = await runSetup("Hello there");
      const run = await runcastClient().runs.create.mutate({
        thread_id: thread.id,
        assistant_id: assistant.id,
        metadata: { emulator_cut_after: "5", emulator_http_errors: "500x3" },
      });
      await waitForRun(thread.id, run.id);
      const failures = [
        ...lines.filter((line) => line.includes('"what":"responses.reattach_failed"')),
        ...lines.filter((line) => line.includes('"what":"responses.poll_failed"')),
      ];
      expect(failures.length).toBeGreaterThan(0);
      for (const line of failures) {
        expect(JSON.parse(line)).toMatchObject({ run: run.id, thread: thread.id, status: 500, request_id: null });
        expect(line).not.toContain(UPSTREAM_500);
      }
    },
  );
});
