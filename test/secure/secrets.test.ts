// Secrets never leave the gateway: not in a response (body or headers), not in an error a client sees, not in a WebSocket
// frame or close reason, not in a log line. The secrets: the JWT signing secret, every API key (their SHA-256 hashes are not
// secret), and the upstream's API key. Console output is captured with spies on the global console, which the main Worker's
// Durable Objects share with the tests (the first check proves it with a line a hub is known to log).
import { createTRPCClient, createWSClient, TRPCClientError, wsLink } from "@trpc/client";
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import OpenAI from "openai";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { gatewayApp } from "../../src/app";
import { createRuncastClient, type AppRouter } from "../../src/client";
import { RunHub } from "../../src/durable/run-hub";
import type { GatewayEnv } from "../../src/env";
import { assistantsProvider, createClient } from "../../src/providers/assistants-provider";
import type { Upstream } from "../../src/providers/upstream";
import { UpstreamError } from "../../src/errors/upstream-error";
import { toTRPCError, upstreamData } from "../../src/errors/upstream-errors";
import { toRestError } from "../../src/routes/rest-errors";
import {
  createToolAssistant,
  emulatorSdk,
  GATEWAY,
  gatewayFetch,
  resetEmulatorSettings,
  setEmulatorSettings,
} from "../helpers/emulator";
import { RecordingWebSocket, wsUrl } from "../helpers/hub";
import { hubStore } from "../helpers/hub-lifecycle";
import { sleep, streamedContinuation, streamedRun } from "../helpers/runcast";
import { API_KEYS, JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET } from "./fixtures";

const UPSTREAM_KEY = "sk-live-test-secret-0123456789";
const SECRETS: Array<[string, string]> = [
  ["the JWT secret", JWT_SECRET],
  ["API key acme", API_KEYS.acme],
  ["API key globex", API_KEYS.globex],
  ["API key admin", API_KEYS.admin],
  ["the upstream key", UPSTREAM_KEY],
];
const gatewayEnv = env as unknown as GatewayEnv;
const EMULATOR_BASE = "http://emulator.runcast.internal/v1";

const jwt = (sub: string, scope = "") =>
  new SignJWT({ scope })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(JWT_SECRET));

/** The 401 OpenAI answers for a wrong key, quoting the key (as an upstream may). */
const upstream401 = () =>
  Response.json(
    {
      error: {
        message: `Incorrect API key provided: ${UPSTREAM_KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        type: "invalid_request_error",
        param: null,
        code: "invalid_api_key",
      },
    },
    { status: 401, headers: { "x-request-id": "req_upstream401" } },
  );

// ---------------------------------------------------------------------------------------------------------------------------
// Everything observed, as text.

function json(value: unknown): string {
  try {
    return (
      JSON.stringify(value, (_key, v: unknown) =>
        v instanceof Headers ? [...v] : typeof v === "bigint" ? String(v) : v,
      ) ?? String(value)
    );
  } catch {
    return String(value);
  }
}

/** An error with its message, stack, own fields (tRPC's `data` and `shape`, the SDK's `error` and `headers`) and causes. */
function describe_(value: unknown, depth = 0): string {
  if (value instanceof Error) {
    const own = Object.fromEntries(
      Object.getOwnPropertyNames(value).map((key) => [key, (value as unknown as Record<string, unknown>)[key]]),
    );
    return [
      value.name,
      value.message,
      value.stack ?? "",
      json(own),
      depth < 4 && value.cause !== undefined ? describe_(value.cause, depth + 1) : "",
    ].join("\n");
  }
  if (typeof value === "string") return value;
  if (value instanceof Headers) return json([...value]);
  return json(value);
}

class Observed {
  readonly items: Array<{ where: string; text: string }> = [];
  private readonly pending: Array<Promise<void>> = [];

  add(where: string, value: unknown) {
    this.items.push({ where, text: describe_(value) });
  }

  /** Records a response (status, headers, body) without consuming it: the body is read from a clone, in the background. */
  response(where: string, response: Response) {
    const clone = response.clone();
    this.add(`${where} headers`, { status: response.status, headers: response.headers });
    this.pending.push(
      clone.text().then(
        (text) => this.add(`${where} body`, text),
        (error: unknown) => this.add(`${where} body error`, error),
      ),
    );
  }

  async settled() {
    await Promise.race([Promise.all(this.pending), sleep(10_000)]);
  }

  count(prefix: string) {
    return this.items.filter((item) => item.where.startsWith(prefix)).length;
  }

  /** Each secret found, where, with some context. */
  leaks(): string[] {
    const found: string[] = [];
    for (const { where, text } of this.items)
      for (const [name, secret] of SECRETS) {
        const at = text.indexOf(secret);
        if (at >= 0) found.push(`${name} in ${where}: …${text.slice(Math.max(0, at - 80), at + secret.length + 40)}…`);
      }
    return found;
  }
}

let observed: Observed;

/** gatewayFetch, recording every response. */
const recordingFetch = (label: string) => async (input: RequestInfo | URL, init?: RequestInit) => {
  const request = new Request(input, init);
  const response = await gatewayFetch(request);
  observed.response(`${label} ${request.method} ${new URL(request.url).pathname}`, response);
  return response;
};

/** Runs a call that must fail; records the error a client sees. */
async function failing(where: string, call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    observed.add(`error ${where}`, error);
    return error;
  }
  throw new Error(`${where}: expected a failure`);
}

const LEVELS = ["log", "info", "warn", "error", "debug"] as const;

beforeEach(() => {
  observed = new Observed();
  for (const level of LEVELS)
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      observed.add(`console.${level}`, args.map((arg) => describe_(arg)).join(" "));
    });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await resetEmulatorSettings();
});

/** Resolves once a console line matching `pattern` was captured. */
async function logged(pattern: RegExp, timeoutMs = 5_000) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(20))
    if (observed.items.some((item) => item.where.startsWith("console.") && pattern.test(item.text))) return;
  throw new Error(
    `no console line matched ${pattern}; captured: ${observed.items
      .filter((i) => i.where.startsWith("console."))
      .map((i) => i.text.slice(0, 120))
      .join(" | ")}`,
  );
}

/** Reads a run's whole event stream (REST), which ends once the run has ended. */
async function untilEnded(threadId: string, runId: string, token: string) {
  const response = await recordingFetch("rest events")(`${GATEWAY}/v1/threads/${threadId}/runs/${runId}/events`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  expect(text).toMatch(/thread\.run\.(completed|failed|cancelled|expired|incomplete)/);
}

describe("secrets never appear in responses, errors, frames or logs", () => {
  it("a full run over tRPC, WebSocket and REST, and failed calls of every kind", async () => {
    const tenant = `secrets-${crypto.randomUUID().slice(0, 8)}`;
    const token = await jwt(tenant);
    const otherToken = await jwt(`${tenant}-other`);
    const client = createRuncastClient({ url: GATEWAY, fetch: recordingFetch("trpc") as typeof fetch, token });
    const assistant = await createToolAssistant(emulatorSdk());

    // The spy sees the Durable Objects' logs: a cut stream makes the creation step log a line it is known to log.
    const cut = await client.runs.createThreadAndRun.mutate({
      assistant_id: assistant.id,
      thread: { messages: [{ role: "user", content: "hello" }] },
      metadata: { emulator_cut_after: "3" },
    });
    await logged(/RunStarter: stream ended early/);
    await untilEnded(cut.thread_id, cut.id, token);

    // A full tool run: created over tRPC (HTTP), followed over a socket authenticated by connection params, one output sent
    // on the socket and the other over REST with an API key, the whole log read back over SSE (tRPC and REST).
    const run = await client.runs.createThreadAndRun.mutate({
      assistant_id: assistant.id,
      thread: { messages: [{ role: "user", content: "Please get_weather Paris and get_time Tokyo." }] },
    });
    const sockets: RecordingWebSocket[] = [];
    const Socket = class extends RecordingWebSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
      }
    };
    const wsClient = createWSClient({
      url: wsUrl(run.thread_id, run.id),
      WebSocket: Socket as unknown as typeof WebSocket,
      connectionParams: { token },
      retryDelayMs: () => 20,
    });
    const ws = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
    const events: Array<{ event: string; data: any }> = [];
    const done = new Promise<void>((resolve, reject) => {
      ws.runs.events.subscribe(
        { thread_id: run.thread_id, run_id: run.id },
        {
          onData: ({ data }) => events.push(data as { event: string; data: any }),
          onComplete: resolve,
          onError: reject,
        },
      );
    });
    for (let i = 0; i < 500 && !events.some((e) => e.event === "thread.run.requires_action"); i++) await sleep(10);
    const waiting = events.find((e) => e.event === "thread.run.requires_action");
    expect(waiting).toBeDefined();
    const calls = (waiting!.data.required_action.submit_tool_outputs.tool_calls as Array<{ id: string }>).map(
      (call) => call.id,
    );
    expect(calls).toHaveLength(2);
    await ws.runs.submitToolOutputs.mutate({
      thread_id: run.thread_id,
      run_id: run.id,
      tool_outputs: [{ tool_call_id: calls[0]!, output: "sunny" }],
    });
    const admin = new OpenAI({
      apiKey: API_KEYS.admin,
      baseURL: `${GATEWAY}/v1`,
      fetch: recordingFetch("rest admin"),
      maxRetries: 0,
    });
    await admin.beta.threads.runs.submitToolOutputs(run.id, {
      thread_id: run.thread_id,
      tool_outputs: [{ tool_call_id: calls[1]!, output: "noon" }],
    });
    await done;
    expect(events.at(-1)?.event).toBe("thread.run.completed");
    const sse = await recordingFetch("trpc sse")(
      `${GATEWAY}/trpc/runs.events?input=${encodeURIComponent(JSON.stringify({ thread_id: run.thread_id, run_id: run.id }))}&connectionParams=${encodeURIComponent(JSON.stringify({ token }))}`,
    );
    expect(await sse.text()).toContain("thread.run.completed");
    await untilEnded(run.thread_id, run.id, API_KEYS.admin);
    await admin.beta.threads.runs.list(run.thread_id);
    await admin.beta.threads.runs.steps.list(run.id, { thread_id: run.thread_id });
    await client.threads.messages.list.query({ thread_id: run.thread_id });
    // A streamed REST run, as the SDK does it.
    const stream = await admin.beta.threads.createAndRun({
      assistant_id: assistant.id,
      thread: { messages: [{ role: "user", content: "hi" }] },
      stream: true,
    });
    for await (const event of stream) observed.add("rest stream event", event);

    // Credentials that are wrong, or someone else's.
    const wrongKeyToken = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(tenant)
      .setIssuer(JWT_ISSUER)
      .setAudience(JWT_AUDIENCE)
      .setExpirationTime("10m")
      .sign(new TextEncoder().encode("not-the-secret"));
    const nearMiss = `${API_KEYS.acme.slice(0, 10)}X${API_KEYS.acme.slice(11)}`;
    for (const bad of ["garbage", wrongKeyToken, nearMiss, `${token}x`]) {
      const badClient = createRuncastClient({
        url: GATEWAY,
        fetch: recordingFetch("trpc bad") as typeof fetch,
        token: bad,
      });
      expect(
        (
          (await failing(
            "trpc bad credential",
            badClient.runs.retrieve.query({ thread_id: run.thread_id, run_id: run.id }),
          )) as TRPCClientError<AppRouter>
        ).data?.code,
      ).toBe("UNAUTHORIZED");
      const badSdk = new OpenAI({
        apiKey: bad,
        baseURL: `${GATEWAY}/v1`,
        fetch: recordingFetch("rest bad"),
        maxRetries: 0,
      });
      expect(await failing("rest bad credential", badSdk.beta.threads.runs.list(run.thread_id))).toBeInstanceOf(
        OpenAI.AuthenticationError,
      );
      const upgrade = await recordingFetch("ws upgrade bad")(`${GATEWAY}/ws/threads/${run.thread_id}/runs/${run.id}`, {
        headers: { upgrade: "websocket", authorization: `Bearer ${bad}` },
      });
      expect(upgrade.status).toBe(401);
    }
    const other = createRuncastClient({
      url: GATEWAY,
      fetch: recordingFetch("trpc other tenant") as typeof fetch,
      token: otherToken,
    });
    expect(
      (
        (await failing(
          "trpc other tenant",
          other.runs.retrieve.query({ thread_id: run.thread_id, run_id: run.id }),
        )) as TRPCClientError<AppRouter>
      ).data?.code,
    ).toBe("NOT_FOUND");
    const globex = new OpenAI({
      apiKey: API_KEYS.globex,
      baseURL: `${GATEWAY}/v1`,
      fetch: recordingFetch("rest other tenant"),
      maxRetries: 0,
    });
    expect(
      await failing("rest other tenant", globex.beta.threads.runs.retrieve(run.id, { thread_id: run.thread_id })),
    ).toBeInstanceOf(OpenAI.NotFoundError);

    // Sockets: a wrong credential as connection params is closed with 4001; another tenant's is refused call by call.
    for (const [label, params] of [
      ["bad", { token: nearMiss }],
      ["other tenant", { token: otherToken }],
    ] as const) {
      const socket = new RecordingWebSocket(wsUrl(run.thread_id, run.id));
      sockets.push(socket);
      await socket.opened();
      socket.send(JSON.stringify({ method: "connectionParams", data: params }));
      socket.send(
        JSON.stringify({
          id: 1,
          method: "query",
          params: { path: "runs.retrieve", input: { thread_id: run.thread_id, run_id: run.id } },
        }),
      );
      if (label === "bad") expect((await socket.closed()).code).toBe(4001);
      else expect((await socket.waitFor((frame) => frame.id === 1)).error.data.code).toBe("NOT_FOUND");
      socket.close();
    }

    // Validation errors.
    await failing(
      "trpc validation",
      client.runs.create.mutate({ thread_id: run.thread_id, assistant_id: "asst bad", temperature: 9 } as never),
    );
    const malformed = await recordingFetch("rest malformed")(`${GATEWAY}/v1/threads/${run.thread_id}/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEYS.admin}`, "content-type": "application/json" },
      body: "{nope",
    });
    expect(malformed.status).toBe(400);
    expect(await failing("rest validation", admin.beta.threads.runs.list(run.thread_id, { limit: 0 }))).toBeInstanceOf(
      OpenAI.BadRequestError,
    );

    // Upstream refusals passed on: 404, 400.
    expect(
      (
        (await failing(
          "trpc upstream 404",
          client.runs.steps.retrieve.query({ thread_id: run.thread_id, run_id: run.id, step_id: "step_nope" }),
        )) as TRPCClientError<AppRouter>
      ).data?.code,
    ).toBe("NOT_FOUND");
    expect(
      await failing(
        "rest upstream 404",
        admin.beta.threads.runs.steps.retrieve("step_nope", { thread_id: run.thread_id, run_id: run.id }),
      ),
    ).toBeInstanceOf(OpenAI.NotFoundError);
    expect(
      (
        (await failing(
          "trpc upstream 400",
          client.runs.create.mutate({
            thread_id: run.thread_id,
            assistant_id: assistant.id,
            metadata: { emulator_reply_words: "lots" },
          }),
        )) as TRPCClientError<AppRouter>
      ).data?.code,
    ).toBe("BAD_REQUEST");

    // Upstream faults: 429, 500 (reads are retried, so three failures in a row; writes are not).
    await setEmulatorSettings({ http_errors: { status: 429, count: 1, retry_after: 1 } });
    expect(
      (
        (await failing(
          "trpc upstream 429",
          client.runs.list.query({ thread_id: run.thread_id }),
        )) as TRPCClientError<AppRouter>
      ).data?.code,
    ).toBe("TOO_MANY_REQUESTS");
    await setEmulatorSettings({ http_errors: { status: 429, count: 1, retry_after: 1 } });
    expect(await failing("rest upstream 429", admin.beta.threads.runs.list(run.thread_id))).toBeInstanceOf(
      OpenAI.RateLimitError,
    );
    await setEmulatorSettings({ http_errors: { status: 500, count: 3 } });
    expect(
      (
        (await failing(
          "trpc upstream 500",
          client.runs.list.query({ thread_id: run.thread_id }),
        )) as TRPCClientError<AppRouter>
      ).data?.code,
    ).toBe("BAD_GATEWAY");
    await setEmulatorSettings({ http_errors: { status: 500, count: 1 } });
    expect(
      await failing("rest upstream 500", admin.beta.threads.runs.cancel(run.id, { thread_id: run.thread_id })),
    ).toBeInstanceOf(OpenAI.InternalServerError);
    await resetEmulatorSettings();

    for (const socket of sockets) {
      observed.add("ws frames received", socket.received);
      observed.add("ws closes", socket.closes);
    }
    await wsClient.close();
    await observed.settled();

    // Not vacuous: every kind of evidence was collected, the hub's line among the console lines.
    expect(observed.count("trpc")).toBeGreaterThan(10);
    expect(observed.count("rest")).toBeGreaterThan(10);
    expect(observed.count("error")).toBeGreaterThan(15);
    expect(observed.count("ws frames received")).toBeGreaterThan(2);
    expect(observed.items.some((item) => item.where === "ws closes" && item.text.includes("4001"))).toBe(true);
    expect(observed.count("console.")).toBeGreaterThan(0);
    expect(observed.leaks()).toEqual([]);
  }, 30_000);

  it("the upstream key: a full run and failed calls through the provider, and the Worker configured with it", async () => {
    // The provider built as the Worker builds it for an `openai` upstream, over the emulator; a wrapper answers 401 quoting the key.
    const sentKeys = new Set<string>();
    let refuse = false;
    const upstream: Upstream = { kind: "openai", apiKey: UPSTREAM_KEY, baseURL: EMULATOR_BASE };
    const viaEmulator = async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      sentKeys.add(request.headers.get("authorization") ?? "");
      if (refuse) return upstream401();
      const response = await gatewayEnv.EMULATOR!.fetch(request);
      observed.response(`upstream ${request.method} ${new URL(request.url).pathname}`, response);
      return response;
    };
    const provider = assistantsProvider(createClient(upstream, viaEmulator as typeof fetch));
    const assistant = await createToolAssistant(emulatorSdk());

    const poll = async (threadId: string, runId: string, statuses: string[]) => {
      for (let i = 0; i < 300; i++) {
        const { run } = await provider.retrieveRun(threadId, runId);
        observed.add("provider retrieve", run);
        if (statuses.includes(run.status)) return run;
        await sleep(20);
      }
      throw new Error(`run ${runId} never reached ${statuses.join("|")}`);
    };
    const created = await streamedRun(
      await provider.streamThreadAndRun({
        assistant_id: assistant.id,
        thread: { messages: [{ role: "user", content: "get_weather Paris" }] },
      }),
    );
    const waiting = await poll(created.thread_id, created.id, ["requires_action"]);
    const callId = waiting.required_action!.submit_tool_outputs.tool_calls[0]!.id;
    observed.add(
      "provider submit",
      await streamedContinuation(
        await provider.streamSubmitToolOutputs(created.thread_id, created.id, [
          { tool_call_id: callId, output: "rain" },
        ]),
      ),
    );
    await poll(created.thread_id, created.id, ["completed"]);
    observed.add("provider steps", await provider.listSteps(created.thread_id, created.id, {}));
    observed.add("provider messages", await provider.listMessages(created.thread_id, {}));
    observed.add("provider runs", await provider.listRuns(created.thread_id, {}));
    const streamed = await provider.streamRun(created.thread_id, {
      assistant_id: assistant.id,
      additional_messages: [{ role: "user", content: "and now?" }],
    });
    for await (const event of streamed) observed.add("provider stream event", event);

    // Failed calls: 404, 400, 401 (with the key in the upstream's message). What a client would see of each.
    const failures: UpstreamError[] = [];
    // The provider's UpstreamError is internal (it keeps the upstream's own message); what leaves the gateway is its mapped form.
    const upstreamFailure = async (where: string, call: Promise<unknown>) => {
      const error = await call.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UpstreamError);
      failures.push(error as UpstreamError);
      const trpcError = toTRPCError(error as UpstreamError);
      observed.add(`error ${where} as tRPC`, {
        code: trpcError.code,
        message: trpcError.message,
        upstream: upstreamData(error),
      });
      observed.response(`error ${where} as REST`, toRestError(error, "req-test"));
      return trpcError;
    };
    expect((await upstreamFailure("404", provider.retrieveRun(created.thread_id, "run_missing"))).code).toBe(
      "NOT_FOUND",
    );
    expect(
      (
        await upstreamFailure(
          "400",
          provider.streamSubmitToolOutputs(created.thread_id, created.id, [{ tool_call_id: callId, output: "x" }]),
        )
      ).code,
    ).toBe("BAD_REQUEST");
    refuse = true;
    expect((await upstreamFailure("401", provider.listRuns(created.thread_id, {}))).code).toBe("BAD_GATEWAY");
    expect(
      (await upstreamFailure("401 stream", provider.streamRun(created.thread_id, { assistant_id: assistant.id }))).code,
    ).toBe("BAD_GATEWAY");
    refuse = false;
    // The scenario is real: the key went upstream, and the upstream's 401 quoted it (so a verbatim pass-through would show).
    expect([...sentKeys]).toEqual([`Bearer ${UPSTREAM_KEY}`]);
    expect(failures.at(-1)!.message).toContain(UPSTREAM_KEY);

    // The Worker itself configured with the key (an env override; the upstream reached through the global fetch, stubbed).
    const tenant = `secrets-${crypto.randomUUID().slice(0, 8)}`;
    const token = await jwt(tenant);
    const owned = await createRuncastClient({
      url: GATEWAY,
      fetch: gatewayFetch as typeof fetch,
      token,
    }).runs.createThreadAndRun.mutate({
      assistant_id: assistant.id,
      thread: { messages: [{ role: "user", content: "hello" }] },
    });
    await untilEnded(owned.thread_id, owned.id, token);
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input as RequestInfo, init);
      sentKeys.add(request.headers.get("authorization") ?? "");
      if (refuse) return upstream401();
      const url = new URL(request.url);
      if (url.host !== "upstream.test") throw new Error(`unexpected fetch to ${url}`);
      return gatewayEnv.EMULATOR!.fetch(
        new Request(`${EMULATOR_BASE}${url.pathname.replace(/^\/v1/, "")}${url.search}`, request),
      );
    });
    const app = gatewayApp();
    const withKey = { ...gatewayEnv, OPENAI_API_KEY: UPSTREAM_KEY, OPENAI_BASE_URL: "http://upstream.test/v1" };
    const call = async (where: string, path: string, environment: GatewayEnv, init: RequestInit = {}) => {
      const response = await app.request(
        path,
        { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } },
        environment,
      );
      observed.response(`worker ${where}`, response);
      return response;
    };
    const listPath = `/trpc/runs.list?input=${encodeURIComponent(JSON.stringify({ thread_id: owned.thread_id }))}`;
    expect((await call("tRPC list", listPath, withKey)).status).toBe(200);
    sentKeys.clear();
    refuse = true;
    expect((await call("tRPC list refused upstream", listPath, withKey)).status).toBe(502);
    expect((await call("REST list refused upstream", `/v1/threads/${owned.thread_id}/runs`, withKey)).status).toBe(502);
    expect(
      (await call("REST steps refused upstream", `/v1/threads/${owned.thread_id}/runs/${owned.id}/steps`, withKey))
        .status,
    ).toBe(502);
    expect([...sentKeys]).toEqual([`Bearer ${UPSTREAM_KEY}`]);
    refuse = false;
    // /health names the upstream without credentials, even ones written into its URL.
    const health = await call("health", "/health", {
      ...withKey,
      OPENAI_BASE_URL: `https://user:${UPSTREAM_KEY}@api.example.com/v1?key=${UPSTREAM_KEY}`,
    });
    expect(health.status).toBe(200);
    // A real key with no authentication configured: every call refused, explaining how to configure (not what is configured).
    expect((await call("no auth mode", listPath, { ...withKey, RUNCAST_AUTH_MODE: "" })).status).toBe(503);
    // An API key list that is broken (a raw key where its hash belongs, or not JSON): refused and logged without its content.
    const keyToken = { authorization: `Bearer ${API_KEYS.globex}` };
    expect(
      (
        await call(
          "raw key in the key list",
          listPath,
          { ...gatewayEnv, RUNCAST_API_KEYS: JSON.stringify([{ sha256: API_KEYS.acme, tenant: "acme" }]) },
          { headers: keyToken },
        )
      ).status,
    ).toBe(503);
    expect(
      (
        await call(
          "key list not JSON",
          listPath,
          { ...gatewayEnv, RUNCAST_API_KEYS: `[{"sha256": ${API_KEYS.admin}` },
          { headers: keyToken },
        )
      ).status,
    ).toBe(503);
    await logged(/RUNCAST_API_KEYS is malformed/);
    await logged(/RUNCAST_API_KEYS is not valid JSON/);

    await observed.settled();
    expect(observed.count("upstream")).toBeGreaterThan(5);
    expect(observed.count("worker")).toBeGreaterThan(10);
    expect(observed.count("error")).toBeGreaterThan(5);
    expect(observed.leaks()).toEqual([]);
  }, 30_000);

  it("upstream error messages stay out of the hubs' logs (a 401 may quote the key)", async () => {
    // A run waiting for tool outputs: its hub polls the upstream. Its hub is run here with the Worker's configuration for a real
    // upstream (the key as a secret), whose answer is a 401 quoting the key.
    const tenant = `secrets-${crypto.randomUUID().slice(0, 8)}`;
    const client = createRuncastClient({ url: GATEWAY, fetch: gatewayFetch as typeof fetch, token: await jwt(tenant) });
    const assistant = await createToolAssistant(emulatorSdk());
    const run = await client.runs.createThreadAndRun.mutate({
      assistant_id: assistant.id,
      thread: { messages: [{ role: "user", content: "get_weather Paris" }] },
    });
    const hubStub = gatewayEnv.RUN_HUB.get(gatewayEnv.RUN_HUB.idFromName(run.id));
    // Waiting for outputs, its first stream over: from now on the hub polls (hub state is in ctx.storage.kv, key "hub").
    const polling = () =>
      runInDurableObject(hubStub, (_instance, state) =>
        state.storage.kv.get<{ run: { status: string }; stream: { open: boolean } }>("hub"),
      );
    for (let i = 0; i < 300; i++) {
      const hub = await polling();
      if (hub?.run.status === "requires_action" && !hub.stream.open) break;
      await sleep(20);
    }
    expect(await polling()).toMatchObject({ run: { status: "requires_action" }, stream: { open: false } });
    let refused = 0;
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async () => (refused++, upstream401()));
    const withKey = {
      ...gatewayEnv,
      OPENAI_API_KEY: UPSTREAM_KEY,
      OPENAI_BASE_URL: "http://upstream.test/v1",
    } as GatewayEnv;
    try {
      // A poll (the hub's alarm) that the upstream refuses.
      await runInDurableObject(hubStub, async (instance, state) => {
        // The hub polls only when its planned poll is due: make it due now (through the hub's store, which keeps a copy).
        const store = hubStore(instance);
        const held = store.get()!;
        store.put({ ...held, poll: { ...held.poll, at: Date.now() } });
        await new RunHub(state as unknown as DurableObjectState, withKey).alarm();
      });
      // A hub adopting a run it does not hold (the upstream asked first), refused.
      await runInDurableObject(
        gatewayEnv.RUN_HUB.get(gatewayEnv.RUN_HUB.idFromName("run_adoptprobe")),
        async (_instance, state) => {
          const hub = new RunHub(state as unknown as DurableObjectState, withKey);
          const response = await hub.fetch(
            new Request(
              `https://hub.runcast.internal/follow?thread_id=${run.thread_id}&run_id=run_adoptprobe&after=0&until=terminal&tenant=${tenant}`,
            ),
          );
          observed.response("hub follow refused upstream", response);
        },
      );
    } finally {
      fetchSpy.mockRestore();
      await client.runs.cancel.mutate({ thread_id: run.thread_id, run_id: run.id });
    }
    await observed.settled();
    expect(refused).toBeGreaterThan(0);
    // Both failures were logged (so the check below looks at real lines).
    expect(observed.items.filter((item) => item.where.startsWith("console.")).length).toBeGreaterThanOrEqual(2);
    expect(observed.leaks()).toEqual([]);
  }, 20_000);
});
