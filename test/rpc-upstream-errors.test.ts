// Each class of upstream failure as the tRPC error a frontend acts on: code, data.upstream, retries (reads only), and no secret ever shown.
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { createRuncastClient } from "../src/client";
import type { GatewayEnv } from "../src/env";
import {
  READ_RETRIES,
  REQUEST_TIMEOUT_MS,
  assistantsProvider,
  createClient,
} from "../src/providers/assistants-provider";
import type { RunsProvider } from "../src/providers/provider";
import type { Upstream } from "../src/providers/upstream";
import { UpstreamError } from "../src/errors/upstream-error";
import { toRestError } from "../src/routes/rest-errors";
import { appRouter } from "../src/rpc/routers/app-router";
import { toTRPCError, upstreamData } from "../src/errors/upstream-errors";
import {
  GATEWAY,
  emulatorRequest,
  emulatorSdk,
  resetEmulatorSettings,
  setEmulatorSettings,
  toolAssistantAndThread,
} from "./helpers/emulator";
import {
  SLOW_RUN,
  emulatorGet,
  emulatorRunIds,
  emulatorSettings,
  rejection,
  rpcError,
  runcastClient,
  waitForRun,
} from "./helpers/runcast";

const REQUEST_ID = /^req_[A-Za-z0-9]+$/;
const SECRET = "sk-secret-test-123";
const EMULATOR_URL = "http://emulator.runcast.internal";

afterEach(async () => {
  await resetEmulatorSettings();
});

/** A tool assistant and a thread of its own holding one user message. */
const setup = toolAssistantAndThread;

/**
 * A run created on the emulator directly, so no hub of the gateway holds it: the gateway's reads of it go to the
 * upstream, and nothing polls it in the background (which would take faults meant for the call under test).
 */
async function directRun(text = "Hello there", metadata: Record<string, string> = {}) {
  const { sdk, assistant, thread } = await setup(text);
  const run = await sdk.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, metadata });
  return { sdk, assistant, thread, run };
}

/** The error message the emulator itself answers for a request. */
async function emulatorMessage(method: string, path: string, body?: unknown) {
  const response = await emulatorRequest(method, path, body);
  return ((await response.json()) as { error: { message: string } }).error.message;
}

/** The emulator's status for a request on its API, straight through the service binding (takes a run's armed fault, if any). */
const emulatorStatus = async (path: string) => (await emulatorRequest("GET", path)).status;

/** The emulator, reached straight through the service binding (the transport the gateway's providers use). */
const emulatorFetch: typeof fetch = (input, init) => env.EMULATOR!.fetch(new Request(input, init));

/**
 * The typed client over tRPC's fetch handler with a provider of the test's choosing (the Worker builds its provider from
 * its configuration); `bodies` keeps every HTTP answer's text. Procedures that go through a run's hub use the Worker's own provider.
 */
function clientWithProvider(provider: RunsProvider) {
  const bodies: string[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const response = await fetchRequestHandler({
      endpoint: "/trpc",
      req: new Request(input, init),
      router: appRouter,
      createContext: ({ resHeaders }) => ({
        env: env as GatewayEnv,
        provider,
        resHeaders,
        token: null,
        requestId: crypto.randomUUID(),
      }),
    });
    bodies.push(await response.clone().text());
    return response;
  };
  return { client: createRuncastClient({ url: GATEWAY, fetch }), bodies };
}

/** A provider of the gateway's own making, on the emulator through `fetch`, counting the requests it sends. */
function countingProvider(fetch: typeof globalThis.fetch = emulatorFetch, apiKey = "k") {
  const sent: Array<{ method: string; path: string; authorization: string | null }> = [];
  const upstream: Upstream = { kind: "openai", apiKey, baseURL: `${EMULATOR_URL}/v1` };
  const client = createClient(upstream, (input, init) => {
    const request = new Request(input, init);
    sent.push({
      method: request.method,
      path: new URL(request.url).pathname,
      authorization: request.headers.get("authorization"),
    });
    return fetch(input, init);
  });
  return { sent, provider: assistantsProvider(client) };
}

// Global faults (admin settings) come first in this file: later tests start runs through the gateway, whose hubs
// talk to the upstream in the background and would take faults meant for the call under test.
describe("429 from the upstream", () => {
  it("a global 429 on a read takes exactly one request and passes the upstream's retry-after on", async () => {
    const { thread } = await setup();
    await setEmulatorSettings({ http_errors: { status: 429, count: 2, retry_after: 7 } });
    const error = await rpcError(runcastClient().runs.list.query({ thread_id: thread.id }));
    const settings = await emulatorSettings();
    expect(error.data).toMatchObject({ code: "TOO_MANY_REQUESTS", httpStatus: 429 });
    expect(error.data?.upstream).toMatchObject({ status: 429, retry_after: 7, code: "rate_limit_exceeded" });
    expect(error.data?.upstream?.request_id).toMatch(REQUEST_ID);
    // Not retried: the second 429 is still armed.
    expect(settings.http_errors).toMatchObject({ status: 429, count: 1 });
  });

  it("a run's 429 is TOO_MANY_REQUESTS with retry_after, not retried; the next call succeeds", async () => {
    const { thread, run } = await directRun("Hello there", { emulator_http_errors: "429x1" });
    const runcast = runcastClient();
    const error = await rpcError(runcast.runs.retrieve.query({ thread_id: thread.id, run_id: run.id }));
    expect(error.data).toMatchObject({ code: "TOO_MANY_REQUESTS", httpStatus: 429 });
    expect(error.data?.upstream).toMatchObject({ status: 429, retry_after: 1, code: "rate_limit_exceeded" });
    // One 429 was armed: had the provider retried, this first call would have succeeded.
    const again = await runcast.runs.retrieve.query({ thread_id: thread.id, run_id: run.id });
    expect(again.id).toBe(run.id);
  });
});

describe("5xx from the upstream", () => {
  it("a read retries: two 500s, then the answer (global fault)", async () => {
    const { thread } = await setup();
    await setEmulatorSettings({ http_errors: { status: 500, count: 2 } });
    const page = await runcastClient().threads.messages.list.query({ thread_id: thread.id });
    // Both faults were taken by this one call (the retries), none is left.
    expect((await emulatorSettings()).http_errors).toBeNull();
    expect(page).toEqual(await emulatorGet(`/threads/${thread.id}/messages`));
  });

  it(`a read gives up after ${READ_RETRIES} retries: BAD_GATEWAY (global fault)`, async () => {
    const { thread } = await setup();
    await setEmulatorSettings({ http_errors: { status: 500, count: READ_RETRIES + 2 } });
    const error = await rpcError(runcastClient().runs.list.query({ thread_id: thread.id }));
    expect(error.data).toMatchObject({ code: "BAD_GATEWAY", httpStatus: 502 });
    expect(error.data?.upstream).toMatchObject({ status: 500, type: "server_error" });
    // 1 attempt + READ_RETRIES retries took 3 faults; the fourth is still armed.
    expect((await emulatorSettings()).http_errors).toMatchObject({ status: 500, count: 1 });
  });

  it("a write is never retried: one 500 on create is BAD_GATEWAY and no run exists (global fault)", async () => {
    const { assistant, thread } = await setup();
    await setEmulatorSettings({ http_errors: { status: 500, count: 2 } });
    const error = await rpcError(
      runcastClient().runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id }),
    );
    const settings = await emulatorSettings();
    expect(error.data?.code).toBe("BAD_GATEWAY");
    expect(error.data?.upstream?.status).toBe(500);
    // Exactly one request: the second fault is still armed (a retry would have taken it and created the run).
    expect(settings.http_errors).toMatchObject({ status: 500, count: 1 });
    await resetEmulatorSettings();
    expect(await emulatorRunIds(thread.id)).toEqual([]);
  });

  it("a run's 500s on retrieve: two are retried away, four are BAD_GATEWAY after three attempts", async () => {
    const twice = await directRun("Hello there", { emulator_http_errors: "500x2" });
    const runcast = runcastClient();
    const retrieved = await runcast.runs.retrieve.query({ thread_id: twice.thread.id, run_id: twice.run.id });
    expect(retrieved.id).toBe(twice.run.id);
    expect(await emulatorStatus(`/threads/${twice.thread.id}/runs/${twice.run.id}`)).toBe(200);

    const four = await directRun("Hello there", { emulator_http_errors: "503x4" });
    const error = await rpcError(runcast.runs.retrieve.query({ thread_id: four.thread.id, run_id: four.run.id }));
    expect(error.data).toMatchObject({ code: "BAD_GATEWAY", httpStatus: 502 });
    expect(error.data?.upstream?.status).toBe(503);
    // Three attempts took three; the fourth is still armed, then the run answers.
    expect(await emulatorStatus(`/threads/${four.thread.id}/runs/${four.run.id}`)).toBe(503);
    expect(await emulatorStatus(`/threads/${four.thread.id}/runs/${four.run.id}`)).toBe(200);
  });

  it("cancel is a write: one 502 is BAD_GATEWAY, not retried", async () => {
    const { thread, run } = await directRun("Hello there", { ...SLOW_RUN, emulator_http_errors: "502x2" });
    const error = await rpcError(runcastClient().runs.cancel.mutate({ thread_id: thread.id, run_id: run.id }));
    expect(error.data?.code).toBe("BAD_GATEWAY");
    expect(error.data?.upstream?.status).toBe(502);
    expect(await emulatorStatus(`/threads/${thread.id}/runs/${run.id}`)).toBe(502);
    // The cancel never reached the run.
    const after = await emulatorGet<{ status: string }>(`/threads/${thread.id}/runs/${run.id}`);
    expect(after.status).not.toMatch(/cancel/);
    await emulatorSdk().beta.threads.runs.cancel(run.id, { thread_id: thread.id });
  });

  it("the provider sends every write once (submit, cancel, update, create) and every read up to three times", async () => {
    const failing: typeof fetch = async () =>
      Response.json(
        { error: { message: "The server had an error.", type: "server_error", param: null, code: null } },
        { status: 502 },
      );
    const { sent, provider } = countingProvider(failing);
    const writes: Array<() => Promise<unknown>> = [
      () => provider.streamSubmitToolOutputs("thread_a", "run_a", [{ tool_call_id: "call_a", output: "x" }]),
      () => provider.cancelRun("thread_a", "run_a"),
      () => provider.updateRun("thread_a", "run_a", { k: "v" }),
      () => provider.streamRun("thread_a", { assistant_id: "asst_a" }),
      () => provider.streamThreadAndRun({ assistant_id: "asst_a" }),
    ];
    for (const write of writes) {
      sent.length = 0;
      const failure = await rejection(write());
      expect(toTRPCError(failure as UpstreamError).code).toBe("BAD_GATEWAY");
      expect(sent).toHaveLength(1);
      expect(sent[0]!.method).toBe("POST");
    }
    sent.length = 0;
    const failure = await rejection(provider.listSteps("thread_a", "run_a", {}));
    expect(toTRPCError(failure as UpstreamError).code).toBe("BAD_GATEWAY");
    expect(sent.map((request) => request.method)).toEqual(["GET", "GET", "GET"]);
  });
});

describe("404 from the upstream", () => {
  it("an unknown run is NOT_FOUND with the upstream's status, request id and message", async () => {
    const { thread } = await setup();
    const runId = "run_doesnotexist0000000000";
    const error = await rpcError(runcastClient().runs.retrieve.query({ thread_id: thread.id, run_id: runId }));
    expect(error.data).toMatchObject({ code: "NOT_FOUND", httpStatus: 404 });
    expect(error.data?.upstream).toMatchObject({
      status: 404,
      type: "invalid_request_error",
      active_run_id: null,
      retry_after: null,
    });
    expect(error.data?.upstream?.request_id).toMatch(REQUEST_ID);
    expect(error.message).toBe(await emulatorMessage("GET", `/threads/${thread.id}/runs/${runId}`));
    expect(error.message).toContain(runId);
    expect(error.data?.fields ?? null).toBeNull();
  });

  it("an unknown thread is NOT_FOUND on every procedure that names it", async () => {
    const threadId = "thread_doesnotexist000000000";
    const runcast = runcastClient();
    const expected = await emulatorMessage("GET", `/threads/${threadId}/runs`);
    expect(expected).toContain(threadId);
    const calls = [
      runcast.runs.list.query({ thread_id: threadId }),
      runcast.threads.messages.list.query({ thread_id: threadId }),
      runcast.runs.retrieve.query({ thread_id: threadId, run_id: "run_abc" }),
    ];
    for (const call of calls) {
      const error = await rpcError(call);
      expect(error.data?.code).toBe("NOT_FOUND");
      expect(error.data?.upstream?.status).toBe(404);
      expect(error.message).toBe(expected);
    }
  });

  it("an unknown assistant is NOT_FOUND with the upstream's param", async () => {
    const { thread } = await setup();
    const error = await rpcError(
      runcastClient().runs.create.mutate({ thread_id: thread.id, assistant_id: "asst_doesnotexist000000000" }),
    );
    expect(error.data?.code).toBe("NOT_FOUND");
    expect(error.data?.upstream).toMatchObject({ status: 404, param: "assistant_id" });
    expect(error.message).toContain("asst_doesnotexist000000000");
    expect(await emulatorRunIds(thread.id)).toEqual([]);
  });
});

describe("400 from the upstream", () => {
  it("a value only the upstream refuses: BAD_REQUEST with the upstream's code and param", async () => {
    const { assistant, thread } = await setup();
    const error = await rpcError(
      runcastClient().runs.create.mutate({
        thread_id: thread.id,
        assistant_id: assistant.id,
        metadata: { emulator_reply_words: "many" },
      }),
    );
    expect(error.data).toMatchObject({ code: "BAD_REQUEST", httpStatus: 400 });
    expect(error.data?.upstream).toMatchObject({
      status: 400,
      type: "invalid_request_error",
      code: "invalid_value",
      param: "metadata.emulator_reply_words",
      active_run_id: null,
    });
    expect(error.data?.upstream?.request_id).toMatch(REQUEST_ID);
    expect(error.message).toContain("metadata.emulator_reply_words");
    expect(error.data?.fields ?? null).toBeNull();
    expect(await emulatorRunIds(thread.id)).toEqual([]);
  });

  it("cancelling a finished run: BAD_REQUEST with the upstream's message", async () => {
    const { thread, run } = await directRun();
    await waitForRun(thread.id, run.id);
    const error = await rpcError(runcastClient().runs.cancel.mutate({ thread_id: thread.id, run_id: run.id }));
    expect(error.data?.code).toBe("BAD_REQUEST");
    expect(error.data?.upstream).toMatchObject({ status: 400, type: "invalid_request_error", code: null, param: null });
    expect(error.message).toBe(await emulatorMessage("POST", `/threads/${thread.id}/runs/${run.id}/cancel`));
    expect(error.message).toContain("'completed'");
  });

  it("tool outputs for a run that does not require action: BAD_REQUEST naming its status", async () => {
    const { thread, run } = await directRun();
    await waitForRun(thread.id, run.id);
    const error = await rpcError(
      runcastClient().runs.submitToolOutputs.mutate({
        thread_id: thread.id,
        run_id: run.id,
        tool_outputs: [{ tool_call_id: "call_x", output: "x" }],
      }),
    );
    expect(error.data).toMatchObject({ code: "BAD_REQUEST", httpStatus: 400 });
    expect(error.message).toContain("completed");
    expect((await waitForRun(thread.id, run.id)).status).toBe("completed");
  });

  it("tool outputs for calls the run is not waiting for: BAD_REQUEST naming the call", async () => {
    const { thread, run } = await directRun("Please get_weather Lima");
    await waitForRun(thread.id, run.id, ["requires_action"]);
    const runcast = runcastClient();
    const error = await rpcError(
      runcast.runs.submitToolOutputs.mutate({
        thread_id: thread.id,
        run_id: run.id,
        tool_outputs: [{ tool_call_id: "call_wrong", output: "x" }],
      }),
    );
    expect(error.data?.code).toBe("BAD_REQUEST");
    expect(error.message).toContain("call_wrong");
    expect((await waitForRun(thread.id, run.id, ["requires_action"])).status).toBe("requires_action");
    await runcast.runs.cancel.mutate({ thread_id: thread.id, run_id: run.id });
    await waitForRun(thread.id, run.id);
  });
});

describe("a second active run on a thread", () => {
  it("is a CONFLICT naming the active run", async () => {
    const { assistant, thread, run: active } = await directRun("Hello there", SLOW_RUN);
    const error = await rpcError(
      runcastClient().runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id }),
    );
    expect(error.data).toMatchObject({ code: "CONFLICT", httpStatus: 409 });
    expect(error.data?.upstream).toMatchObject({ status: 400, active_run_id: active.id });
    expect(error.message).toBe(
      await emulatorMessage("POST", `/threads/${thread.id}/runs`, { assistant_id: assistant.id }),
    );
    expect(error.message).toContain(active.id);
    expect(await emulatorRunIds(thread.id)).toEqual([active.id]);
    await emulatorSdk().beta.threads.runs.cancel(active.id, { thread_id: thread.id });
  });
});

describe("401 from the upstream", () => {
  it("is BAD_GATEWAY saying the gateway is misconfigured, never with the upstream's message", async () => {
    const { thread } = await setup();
    // The emulator accepts any key, so the gateway's key is taken away on the way (as a revoked key would be refused).
    const keyless = {
      fetch: (input: RequestInfo | URL, init?: RequestInit) => {
        const request = new Request(input, init);
        const headers = new Headers(request.headers);
        headers.delete("authorization");
        headers.delete("api-key");
        return env.EMULATOR!.fetch(new Request(request, { headers }));
      },
    } as unknown as Fetcher;
    const upstream: Upstream = { kind: "emulator", emulator: keyless };
    const provider = assistantsProvider(createClient(upstream));
    const upstreamMessage = "You didn't provide an API key";

    const failure = await rejection(provider.listRuns(thread.id, {}));
    expect(failure).toBeInstanceOf(UpstreamError);
    const upstreamError = failure as UpstreamError;
    expect(upstreamError.details.status).toBe(401);
    expect(upstreamError.message).toContain(upstreamMessage);

    const mapped = toTRPCError(upstreamError);
    expect(mapped.code).toBe("BAD_GATEWAY");
    expect(mapped.message).toMatch(/misconfigured/);
    expect(mapped.message).not.toContain(upstreamMessage);
    expect(upstreamData(upstreamError)).toMatchObject({ status: 401, request_id: expect.stringMatching(REQUEST_ID) });

    // The same through the tRPC HTTP answer and the REST surface's error body.
    const { client, bodies } = clientWithProvider(provider);
    const error = await rpcError(client.runs.list.query({ thread_id: thread.id }));
    expect(error.data).toMatchObject({ code: "BAD_GATEWAY", httpStatus: 502 });
    expect(error.message).toMatch(/misconfigured/);
    expect(bodies.join("")).not.toContain(upstreamMessage);
    const rest = toRestError(upstreamError, "req-test");
    expect(rest.status).toBe(502);
    expect(await rest.text()).not.toContain(upstreamMessage);
  });
});

describe("timeouts", () => {
  /** An upstream that takes every request and never answers, giving up only when the request is aborted. */
  function silentUpstream() {
    const seen: string[] = [];
    const fetch: typeof globalThis.fetch = (input, init) => {
      seen.push(new Request(input, init).method);
      return new Promise((_, reject) => {
        const signal = init?.signal;
        signal?.addEventListener("abort", () =>
          reject(signal.reason ?? new DOMException("The operation was aborted.", "AbortError")),
        );
      });
    };
    const upstream: Upstream = { kind: "openai", apiKey: "k", baseURL: `${EMULATOR_URL}/v1` };
    // The gateway's client with its per-attempt timeout shortened, so the test does not wait 30 s per attempt.
    const client = createClient(upstream, fetch);
    expect(client.timeout).toBe(REQUEST_TIMEOUT_MS);
    return { seen, provider: assistantsProvider(client.withOptions({ timeout: 100 })) };
  }

  it("a read that never answers: retried, then GATEWAY_TIMEOUT", async () => {
    const { seen, provider } = silentUpstream();
    const failure = await rejection(provider.retrieveRun("thread_a", "run_a"));
    expect(failure).toBeInstanceOf(UpstreamError);
    expect((failure as UpstreamError).failure).toBe("timeout");
    expect(toTRPCError(failure as UpstreamError).code).toBe("GATEWAY_TIMEOUT");
    expect(seen).toEqual(["GET", "GET", "GET"]);

    const { client } = clientWithProvider(provider);
    const error = await rpcError(client.runs.list.query({ thread_id: "thread_a" }));
    expect(error.data).toMatchObject({ code: "GATEWAY_TIMEOUT", httpStatus: 504 });
  });

  it("a write that never answers: one attempt, GATEWAY_TIMEOUT", async () => {
    const { seen, provider } = silentUpstream();
    const failure = await rejection(provider.streamRun("thread_a", { assistant_id: "asst_a" }));
    expect(toTRPCError(failure as UpstreamError).code).toBe("GATEWAY_TIMEOUT");
    expect(seen).toEqual(["POST"]);
  });
});

describe("secrets", () => {
  const upstream: Upstream = { kind: "openai", apiKey: SECRET, baseURL: `${EMULATOR_URL}/v1` };
  type Client = ReturnType<typeof clientWithProvider>["client"];

  /**
   * Everything a caller could see of a failure: the tRPC client error and HTTP bodies (when `call` is given; procedures
   * that use the context's provider), and for the provider's own failure the mapped error, its data, and the REST body.
   */
  async function exposed(
    provider: RunsProvider,
    call: ((client: Client) => Promise<unknown>) | null,
    direct: () => Promise<unknown>,
  ) {
    const texts: string[] = [];
    let code: string | undefined;
    if (call) {
      const { client, bodies } = clientWithProvider(provider);
      const error = await rpcError(call(client));
      code = error.data?.code;
      texts.push(JSON.stringify(error), JSON.stringify(error.shape), error.message, ...bodies);
    }
    const failure = await rejection(direct());
    expect(failure).toBeInstanceOf(UpstreamError);
    const mapped = toTRPCError(failure as UpstreamError);
    texts.push(
      JSON.stringify(failure),
      JSON.stringify(mapped),
      mapped.message,
      JSON.stringify(upstreamData(failure)),
      await toRestError(failure, "req-test").text(),
    );
    return { code: code ?? mapped.code, text: texts.join("\n") };
  }

  it("no error body carries the upstream key (404, 400, 409, 429, 5xx)", async () => {
    const { sent, provider } = countingProvider(emulatorFetch, SECRET);
    const {
      assistant,
      thread,
      run: active,
    } = await directRun("Hello there", { ...SLOW_RUN, emulator_http_errors: "429x2" });
    const finished = await directRun();
    await waitForRun(finished.thread.id, finished.run.id);
    const failing = await directRun("Hello there", { emulator_http_errors: "500x6" });

    const cases: Array<[string, ((client: Client) => Promise<unknown>) | null, () => Promise<unknown>]> = [
      [
        "NOT_FOUND",
        (c) => c.runs.retrieve.query({ thread_id: thread.id, run_id: "run_unknown" }),
        () => provider.retrieveRun(thread.id, "run_unknown"),
      ],
      [
        "NOT_FOUND",
        (c) => c.runs.list.query({ thread_id: "thread_unknown" }),
        () => provider.listRuns("thread_unknown", {}),
      ],
      [
        "BAD_REQUEST",
        (c) => c.runs.cancel.mutate({ thread_id: finished.thread.id, run_id: finished.run.id }),
        () => provider.cancelRun(finished.thread.id, finished.run.id),
      ],
      // Creation goes through the run's hub with the Worker's own provider, so only the provider's failure is looked at.
      ["CONFLICT", null, () => provider.streamRun(thread.id, { assistant_id: assistant.id })],
      [
        "TOO_MANY_REQUESTS",
        (c) => c.runs.retrieve.query({ thread_id: thread.id, run_id: active.id }),
        () => provider.retrieveRun(thread.id, active.id),
      ],
      [
        "BAD_GATEWAY",
        (c) => c.runs.retrieve.query({ thread_id: failing.thread.id, run_id: failing.run.id }),
        () => provider.retrieveRun(failing.thread.id, failing.run.id),
      ],
    ];
    for (const [code, call, direct] of cases) {
      const seen = await exposed(provider, call, direct);
      expect(seen.code).toBe(code);
      expect(seen.text).not.toContain(SECRET);
      expect(seen.text).not.toContain("secret-test");
    }

    // The key was really in play: every request carried it.
    expect(sent.length).toBeGreaterThan(10);
    expect(sent.every((request) => request.authorization === `Bearer ${SECRET}`)).toBe(true);
    await emulatorSdk().beta.threads.runs.cancel(active.id, { thread_id: thread.id });
  });

  it("an upstream 401 that echoes the key (as OpenAI's does) is not passed on", async () => {
    const echo = JSON.stringify({
      error: {
        message: `Incorrect API key provided: ${SECRET}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        type: "invalid_request_error",
        param: null,
        code: "invalid_api_key",
      },
    });
    const provider = assistantsProvider(
      createClient(
        upstream,
        async () =>
          new Response(echo, {
            status: 401,
            headers: { "content-type": "application/json", "x-request-id": "req_echo" },
          }),
      ),
    );
    const { client } = clientWithProvider(provider);
    const error = await rpcError(client.runs.list.query({ thread_id: "thread_a" }));
    expect(error.data).toMatchObject({ code: "BAD_GATEWAY", httpStatus: 502 });
    expect(error.data?.upstream).toMatchObject({ status: 401, code: "invalid_api_key", request_id: "req_echo" });
    const { code, text } = await exposed(
      provider,
      (c) => c.runs.list.query({ thread_id: "thread_a" }),
      () => provider.listRuns("thread_a", {}),
    );
    expect(code).toBe("BAD_GATEWAY");
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain("Incorrect API key provided");
  });
});
