// The emulator's fault injection, each fault shown happening: globally through the admin endpoint and per run through metadata knobs.
import OpenAI, { APIError } from "openai";
import type { Run } from "openai/resources/beta/threads/runs/runs";
import { afterEach, describe, expect, it } from "vitest";
import {
  GATEWAY,
  createToolAssistant,
  emulatorRequest,
  emulatorSdk,
  gatewayFetch,
  readRawSse,
  readSse,
  resetEmulatorSettings,
  setEmulatorSettings,
} from "./helpers/emulator";

const TERMINAL = ["completed", "incomplete", "failed", "cancelled", "expired"];
const STREAM_END_EVENTS = new Set([
  "thread.run.requires_action",
  ...TERMINAL.map((status) => `thread.run.${status}`),
  "done",
]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A thread holding one user message, and a tool assistant (whose tools are called only when the message names them). */
async function setup(client: OpenAI, text = "Hello there") {
  const assistant = await createToolAssistant(client);
  const thread = await client.beta.threads.create({ messages: [{ role: "user", content: text }] });
  return { assistant, thread };
}

/** Retrieves a run until its status is one of `statuses`. */
async function waitForStatus(
  client: OpenAI,
  threadId: string,
  runId: string,
  statuses: string[],
  timeoutMs = 10_000,
): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await client.beta.threads.runs.retrieve(runId, { thread_id: threadId });
    if (statuses.includes(run.status)) return run;
    if (Date.now() > deadline)
      throw new Error(`run ${runId} still ${run.status} after ${timeoutMs} ms, wanted ${statuses.join("|")}`);
    await sleep(20);
  }
}

/** The text of the assistant's reply written by one run. */
async function replyOf(client: OpenAI, threadId: string, runId: string) {
  const messages = await client.beta.threads.messages.list(threadId, { run_id: runId });
  expect(messages.data).toHaveLength(1);
  const message = messages.data[0]!;
  const part = message.content[0];
  return { message, text: part?.type === "text" ? part.text.value : "" };
}

/** What the emulator replies to `text` when nothing goes wrong, from a run on a thread of its own. */
async function fullReplyTo(client: OpenAI, assistantId: string, text: string, metadata: Record<string, string> = {}) {
  const thread = await client.beta.threads.create({ messages: [{ role: "user", content: text }] });
  const run = await client.beta.threads.runs.createAndPoll(
    thread.id,
    { assistant_id: assistantId, metadata },
    { pollIntervalMs: 10 },
  );
  expect(run.status).toBe("completed");
  return (await replyOf(client, thread.id, run.id)).text;
}

const createRunRequest = (threadId: string, body: Record<string, unknown>) =>
  emulatorRequest("POST", `/threads/${threadId}/runs`, body);

async function errorBody(response: Response) {
  return (
    (await response.json()) as { error: { message: string; type: string; param: string | null; code: string | null } }
  ).error;
}

afterEach(async () => {
  await resetEmulatorSettings();
});

describe("fault: SSE stream cut after N events", () => {
  it("per run (emulator_cut_after): the raw stream carries exactly N events, no terminal event, no [DONE]; the run still completes", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const response = await createRunRequest(thread.id, {
      assistant_id: assistant.id,
      stream: true,
      metadata: { emulator_cut_after: "5" },
    });
    expect(response.status).toBe(200);
    const { frames: events, text } = await readRawSse(response);

    expect(events.map((e) => e.event)).toEqual([
      "thread.run.created",
      "thread.run.queued",
      "thread.run.in_progress",
      "thread.run.step.created",
      "thread.run.step.in_progress",
    ]);
    expect(events.some((e) => STREAM_END_EVENTS.has(e.event))).toBe(false);
    expect(text).not.toContain("[DONE]");

    // The upstream keeps going without its reader: the run finishes and its reply is whole.
    const runId = (JSON.parse(events[0]!.data) as Run).id;
    const run = await waitForStatus(client, thread.id, runId, TERMINAL);
    expect(run.status).toBe("completed");
    expect((await replyOf(client, thread.id, runId)).message.status).toBe("completed");
  });

  it("per run: the SDK's runs.stream(...).finalRun() rejects, while retrieve later shows the run completed", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const stream = client.beta.threads.runs.stream(thread.id, {
      assistant_id: assistant.id,
      metadata: { emulator_cut_after: "4" },
    });
    const seen: string[] = [];
    stream.on("event", (event) => seen.push(event.event));
    await expect(stream.finalRun()).rejects.toThrow();
    expect(seen).toHaveLength(4);
    expect(seen).not.toContain("thread.run.completed");

    const [created] = (await client.beta.threads.runs.list(thread.id)).data;
    const run = await waitForStatus(client, thread.id, created!.id, TERMINAL);
    expect(run.status).toBe("completed");
  });

  it("per run: every stream of the run is cut, the submit_tool_outputs stream included", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client, "What is the weather? get_weather Paris");
    const created = await client.beta.threads.runs.create(thread.id, {
      assistant_id: assistant.id,
      metadata: { emulator_cut_after: "2" },
    });
    const paused = await waitForStatus(client, thread.id, created.id, ["requires_action"]);
    const [call] = paused.required_action!.submit_tool_outputs.tool_calls;

    const response = await emulatorRequest("POST", `/threads/${thread.id}/runs/${created.id}/submit_tool_outputs`, {
      tool_outputs: [{ tool_call_id: call!.id, output: "sunny" }],
      stream: true,
    });
    const { frames: events, text } = await readRawSse(response);
    expect(events.map((e) => e.event)).toEqual(["thread.run.step.completed", "thread.run.queued"]);
    expect(text).not.toContain("[DONE]");

    const run = await waitForStatus(client, thread.id, created.id, TERMINAL);
    expect(run.status).toBe("completed");
    expect((await replyOf(client, thread.id, created.id)).text).toContain("get_weather returned: sunny.");
  });

  it("global (cut_after): every streamed create is cut after N events, and the run still completes", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    await setEmulatorSettings({ cut_after: 3 });
    const { frames: events, text } = await readRawSse(
      await createRunRequest(thread.id, { assistant_id: assistant.id, stream: true }),
    );
    expect(events.map((e) => e.event)).toEqual(["thread.run.created", "thread.run.queued", "thread.run.in_progress"]);
    expect(text).not.toContain("[DONE]");

    const runId = (JSON.parse(events[0]!.data) as Run).id;
    expect((await waitForStatus(client, thread.id, runId, TERMINAL)).status).toBe("completed");
  });

  it("without the fault the same stream ends with the terminal event and [DONE]", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const events = await readSse(await createRunRequest(thread.id, { assistant_id: assistant.id, stream: true }));
    expect(events.slice(-2)).toEqual([
      expect.objectContaining({ event: "thread.run.completed" }),
      { event: "done", data: "[DONE]" },
    ]);
  });

  it("a run's knobs are fixed at creation: a global cut_after set later does not cut its streams", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client, "get_weather Oslo");
    const created = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const paused = await waitForStatus(client, thread.id, created.id, ["requires_action"]);
    await setEmulatorSettings({ cut_after: 2 });
    const [call] = paused.required_action!.submit_tool_outputs.tool_calls;
    const response = await emulatorRequest("POST", `/threads/${thread.id}/runs/${created.id}/submit_tool_outputs`, {
      tool_outputs: [{ tool_call_id: call!.id, output: "cold" }],
      stream: true,
    });
    const events = await readSse(response);
    expect(events.length).toBeGreaterThan(2);
    expect(events.slice(-2).map((e) => e.event)).toEqual(["thread.run.completed", "done"]);
  });
});

describe("fault: the next K requests answer 500 or 429", () => {
  it("global http_errors 500 x2: exactly two requests fail with the upstream's server_error body, the next succeeds", async () => {
    const client = emulatorSdk();
    const assistant = await createToolAssistant(client);
    await setEmulatorSettings({ http_errors: { status: 500, count: 2 } });

    for (let i = 0; i < 2; i++) {
      const response = await emulatorRequest("GET", `/assistants/${assistant.id}`);
      expect(response.status).toBe(500);
      expect(response.headers.get("x-request-id")).toMatch(/^req_/);
      expect(await errorBody(response)).toEqual({
        message: expect.any(String),
        type: "server_error",
        param: null,
        code: null,
      });
    }
    const ok = await emulatorRequest("GET", `/assistants/${assistant.id}`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { id: string }).id).toBe(assistant.id);
  });

  it("global http_errors 429 with retry_after: the failure carries retry-after and rate_limit_exceeded, then requests pass", async () => {
    const client = emulatorSdk();
    const assistant = await createToolAssistant(client);
    await setEmulatorSettings({ http_errors: { status: 429, count: 1, retry_after: 3 } });

    const limited = await emulatorRequest("GET", `/assistants/${assistant.id}`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");
    expect(await errorBody(limited)).toEqual({
      message: expect.any(String),
      type: "requests",
      code: "rate_limit_exceeded",
      param: null,
    });
    expect((await emulatorRequest("GET", `/assistants/${assistant.id}`)).status).toBe(200);
  });

  it("global http_errors 503 x1 hits any /v1 request, a run create included, and leaves no run behind", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    await setEmulatorSettings({ http_errors: { status: 503, count: 1 } });
    expect((await createRunRequest(thread.id, { assistant_id: assistant.id })).status).toBe(503);
    expect((await client.beta.threads.runs.list(thread.id)).data).toHaveLength(0);
  });

  it("the SDK with maxRetries 2 gets through two 500s on its third attempt", async () => {
    const attempts: Array<string | null> = [];
    const countingFetch: typeof fetch = (input, init) => {
      attempts.push(new Headers(init?.headers).get("x-stainless-retry-count"));
      return gatewayFetch(input, init);
    };
    const assistant = await createToolAssistant(emulatorSdk());
    await setEmulatorSettings({ http_errors: { status: 500, count: 2 } });

    const retrieved = await emulatorSdk({ maxRetries: 2, fetch: countingFetch }).beta.assistants.retrieve(assistant.id);
    expect(retrieved.id).toBe(assistant.id);
    expect(attempts).toEqual(["0", "1", "2"]);
  });

  it("the SDK with maxRetries 0 surfaces the 500 as InternalServerError", async () => {
    const client = emulatorSdk();
    const assistant = await createToolAssistant(client);
    await setEmulatorSettings({ http_errors: { status: 500, count: 1 } });
    const error = await client.beta.assistants.retrieve(assistant.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect((error as APIError).status).toBe(500);
  });

  it("the SDK honours retry-after on a 429: its retry waits the server's delay, not its own shorter backoff", async () => {
    const times: number[] = [];
    const timingFetch: typeof fetch = (input, init) => {
      times.push(Date.now());
      return gatewayFetch(input, init);
    };
    const assistant = await createToolAssistant(emulatorSdk());
    await setEmulatorSettings({ http_errors: { status: 429, count: 1, retry_after: 1 } });

    const retrieved = await emulatorSdk({ maxRetries: 2, fetch: timingFetch }).beta.assistants.retrieve(assistant.id);
    expect(retrieved.id).toBe(assistant.id);
    expect(times).toHaveLength(2);
    // The SDK's own first backoff is at most 500 ms; retry-after: 1 asks for 1000.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(900);
  });

  it("per run emulator_http_errors 500x2: the next two requests naming the run fail, the third succeeds", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const run = await client.beta.threads.runs.create(thread.id, {
      assistant_id: assistant.id,
      metadata: { emulator_http_errors: "500x2" },
    });
    // A request on the thread that does not name the run neither fails nor uses up the run's faults.
    expect((await emulatorRequest("GET", `/threads/${thread.id}/messages`)).status).toBe(200);

    for (let i = 0; i < 2; i++) {
      const response = await emulatorRequest("GET", `/threads/${thread.id}/runs/${run.id}`);
      expect(response.status).toBe(500);
      expect(await errorBody(response)).toEqual({
        message: expect.any(String),
        type: "server_error",
        param: null,
        code: null,
      });
    }
    const ok = await emulatorRequest("GET", `/threads/${thread.id}/runs/${run.id}`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Run).id).toBe(run.id);
  });

  it("per run emulator_http_errors 429x1: steps (a request naming the run) answers 429 with retry-after: 1 once", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const run = await client.beta.threads.runs.create(thread.id, {
      assistant_id: assistant.id,
      metadata: { emulator_http_errors: "429x1" },
    });

    const limited = await emulatorRequest("GET", `/threads/${thread.id}/runs/${run.id}/steps`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(await errorBody(limited)).toMatchObject({ type: "requests", code: "rate_limit_exceeded" });
    expect((await emulatorRequest("GET", `/threads/${thread.id}/runs/${run.id}/steps`)).status).toBe(200);
  });

  it("per run: the SDK's retries carry a poll through the run's injected 500s", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const run = await client.beta.threads.runs.create(thread.id, {
      assistant_id: assistant.id,
      metadata: { emulator_http_errors: "500x1" },
    });
    const retrieved = await emulatorSdk({ maxRetries: 2 }).beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
    expect(retrieved.id).toBe(run.id);
  });

  it("an invalid emulator_http_errors value is a 400 naming metadata.emulator_http_errors, and no run is created", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const response = await createRunRequest(thread.id, {
      assistant_id: assistant.id,
      metadata: { emulator_http_errors: "abc" },
    });
    expect(response.status).toBe(400);
    expect(await errorBody(response)).toEqual({
      message: expect.stringContaining("emulator_http_errors"),
      type: "invalid_request_error",
      param: "metadata.emulator_http_errors",
      code: "invalid_value",
    });
    expect((await client.beta.threads.runs.list(thread.id)).data).toHaveLength(0);
  });
});

describe("fault: first byte delayed", () => {
  it("global first_byte_ms holds back a streamed create's answer for at least the delay", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    await setEmulatorSettings({ first_byte_ms: 700 });
    const started = Date.now();
    const response = await createRunRequest(thread.id, { assistant_id: assistant.id, stream: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    expect(response.status).toBe(200);
    const events = await readSse(response);
    expect(events.at(-1)).toEqual({ event: "done", data: "[DONE]" });
  });

  it("global first_byte_ms delays plain requests too", async () => {
    const client = emulatorSdk();
    const assistant = await createToolAssistant(client);
    await setEmulatorSettings({ first_byte_ms: 500 });
    const started = Date.now();
    expect((await emulatorRequest("GET", `/assistants/${assistant.id}`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });

  it("per run emulator_first_byte_ms holds back that run's stream for at least the delay", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const started = Date.now();
    const response = await createRunRequest(thread.id, {
      assistant_id: assistant.id,
      stream: true,
      metadata: { emulator_first_byte_ms: "700" },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    const events = await readSse(response);
    expect(events.slice(-2).map((e) => e.event)).toEqual(["thread.run.completed", "done"]);
  });
});

describe("fault: run fails with last_error", () => {
  for (const code of ["server_error", "rate_limit_exceeded"] as const) {
    it(`emulator_fail ${code}: reply half written, message incomplete run_failed, step failed, run failed with last_error`, async () => {
      const client = emulatorSdk();
      const { assistant, thread } = await setup(client, "Tell me a story");
      const full = await fullReplyTo(client, assistant.id, "Tell me a story");
      const run = await client.beta.threads.runs.createAndPoll(
        thread.id,
        { assistant_id: assistant.id, metadata: { emulator_fail: code } },
        { pollIntervalMs: 10 },
      );

      expect(run.status).toBe("failed");
      expect(run.last_error).toEqual({ code, message: expect.any(String) });
      expect(run.last_error!.message.length).toBeGreaterThan(0);
      expect(run.failed_at).toEqual(expect.any(Number));
      expect(run.completed_at).toBeNull();

      const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
      expect(steps.data).toHaveLength(1);
      expect(steps.data[0]).toMatchObject({
        type: "message_creation",
        status: "failed",
        last_error: { code },
        completed_at: null,
      });
      expect(steps.data[0]!.failed_at).toEqual(expect.any(Number));

      const { message, text } = await replyOf(client, thread.id, run.id);
      expect(message.status).toBe("incomplete");
      expect(message.incomplete_details).toEqual({ reason: "run_failed" });
      expect(text.length).toBeGreaterThan(0);
      expect(text.length).toBeLessThan(full.length);
      expect(full.startsWith(text)).toBe(true);
    });
  }

  it("emulator_fail server_error streamed: the stream ends message.incomplete, step.failed, run.failed, [DONE]", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const events = await readSse(
      await createRunRequest(thread.id, {
        assistant_id: assistant.id,
        stream: true,
        metadata: { emulator_fail: "server_error" },
      }),
    );
    expect(events.slice(-4).map((e) => e.event)).toEqual([
      "thread.message.incomplete",
      "thread.run.step.failed",
      "thread.run.failed",
      "done",
    ]);
    expect(JSON.parse(events.at(-2)!.data)).toMatchObject({ status: "failed", last_error: { code: "server_error" } });
  });

  it("emulator_fail invalid_prompt: the run fails right after in_progress, with no step and no reply", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const events = await readSse(
      await createRunRequest(thread.id, {
        assistant_id: assistant.id,
        stream: true,
        metadata: { emulator_fail: "invalid_prompt" },
      }),
    );
    expect(events.map((e) => e.event)).toEqual([
      "thread.run.created",
      "thread.run.queued",
      "thread.run.in_progress",
      "thread.run.failed",
      "done",
    ]);

    const run = JSON.parse(events[3]!.data) as Run;
    expect(run.last_error).toEqual({ code: "invalid_prompt", message: expect.any(String) });
    const retrieved = await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
    expect(retrieved).toMatchObject({
      status: "failed",
      last_error: { code: "invalid_prompt" },
      failed_at: expect.any(Number),
    });
    expect((await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id })).data).toHaveLength(0);
    expect((await client.beta.threads.messages.list(thread.id, { run_id: run.id })).data).toHaveLength(0);
  });

  it("an unknown emulator_fail value is a 400 naming metadata.emulator_fail", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const response = await createRunRequest(thread.id, {
      assistant_id: assistant.id,
      metadata: { emulator_fail: "meltdown" },
    });
    expect(response.status).toBe(400);
    expect(await errorBody(response)).toMatchObject({ param: "metadata.emulator_fail", code: "invalid_value" });
  });
});

describe("fault: run ends incomplete", () => {
  it("emulator_incomplete max_completion_tokens: run incomplete, message incomplete max_tokens, text a prefix of the full reply", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client, "Count to ten");
    const full = await fullReplyTo(client, assistant.id, "Count to ten");
    const run = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id, metadata: { emulator_incomplete: "max_completion_tokens" } },
      { pollIntervalMs: 10 },
    );

    expect(run.status).toBe("incomplete");
    expect(run.incomplete_details).toEqual({ reason: "max_completion_tokens" });
    expect(run.last_error).toBeNull();
    const { message, text } = await replyOf(client, thread.id, run.id);
    expect(message.status).toBe("incomplete");
    expect(message.incomplete_details).toEqual({ reason: "max_tokens" });
    expect(text.length).toBeGreaterThan(0);
    expect(text.length).toBeLessThan(full.length);
    expect(full.startsWith(text)).toBe(true);
  });

  it("emulator_incomplete max_prompt_tokens: run incomplete before any step or reply", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const run = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id, metadata: { emulator_incomplete: "max_prompt_tokens" } },
      { pollIntervalMs: 10 },
    );
    expect(run.status).toBe("incomplete");
    expect(run.incomplete_details).toEqual({ reason: "max_prompt_tokens" });
    expect((await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id })).data).toHaveLength(0);
    expect((await client.beta.threads.messages.list(thread.id, { run_id: run.id })).data).toHaveLength(0);
  });

  it("a real max_completion_tokens 256 under a 400-word reply: incomplete, message max_tokens, at most 256 words, a prefix of the full reply", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client, "Write at length");
    const full = await fullReplyTo(client, assistant.id, "Write at length", { emulator_reply_words: "400" });
    expect(full.split(/\s+/)).toHaveLength(400);
    const run = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id, max_completion_tokens: 256, metadata: { emulator_reply_words: "400" } },
      { pollIntervalMs: 10 },
    );

    expect(run.status).toBe("incomplete");
    expect(run.incomplete_details).toEqual({ reason: "max_completion_tokens" });
    expect(run.usage!.completion_tokens).toBeLessThanOrEqual(256);
    const { message, text } = await replyOf(client, thread.id, run.id);
    expect(message.incomplete_details).toEqual({ reason: "max_tokens" });
    const words = text.split(/\s+/).filter(Boolean).length;
    expect(words).toBeGreaterThan(0);
    expect(words).toBeLessThanOrEqual(256);
    expect(full.startsWith(text)).toBe(true);
  });

  it("the same max_completion_tokens 256 with a 100-word reply completes", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const run = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id, max_completion_tokens: 256, metadata: { emulator_reply_words: "100" } },
      { pollIntervalMs: 10 },
    );
    expect(run.status).toBe("completed");
    expect(run.incomplete_details).toBeNull();
  });
});

describe("fault: run expires", () => {
  /**
   * `expires_at` is in whole seconds (created_at + S), so a run created late in a second has less than S
   * seconds left. Starting early in a second leaves the run at least half a second to reach requires_action.
   */
  async function earlyInASecond() {
    while (Date.now() % 1000 > 400) await sleep(1000 - (Date.now() % 1000) + 5);
  }

  async function expiresInRequiresAction(client: OpenAI, metadata: Record<string, string>) {
    const { assistant, thread } = await setup(client, "get_weather Lisbon");
    await earlyInASecond();
    const created = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, metadata });
    const started = Date.now();
    const paused = await waitForStatus(client, thread.id, created.id, ["requires_action"]);
    const [call] = paused.required_action!.submit_tool_outputs.tool_calls;

    await sleep(1500 - (Date.now() - started));
    const run = await client.beta.threads.runs.retrieve(created.id, { thread_id: thread.id });
    expect(run.status).toBe("expired");
    expect(run.required_action).toBeNull();
    expect(run.expires_at).toEqual(expect.any(Number));

    const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
    expect(steps.data).toHaveLength(1);
    expect(steps.data[0]).toMatchObject({ type: "tool_calls", status: "expired", expired_at: expect.any(Number) });

    const submit = await emulatorRequest("POST", `/threads/${thread.id}/runs/${run.id}/submit_tool_outputs`, {
      tool_outputs: [{ tool_call_id: call!.id, output: "late" }],
    });
    expect(submit.status).toBe(400);
    expect(await errorBody(submit)).toMatchObject({
      type: "invalid_request_error",
      message: expect.stringContaining("expired"),
    });
  }

  it("per run emulator_expire_after 1: a run left in requires_action expires, its tool_calls step too; submit then fails 400", async () => {
    await expiresInRequiresAction(emulatorSdk(), { emulator_expire_after: "1" });
  });

  it("global expires_seconds 1 does the same", async () => {
    await setEmulatorSettings({ expires_seconds: 1 });
    await expiresInRequiresAction(emulatorSdk(), {});
  });

  it("without the fault the run is still waiting for outputs after the same time", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client, "get_weather Lisbon");
    const created = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    await waitForStatus(client, thread.id, created.id, ["requires_action"]);
    await sleep(1500);
    expect((await client.beta.threads.runs.retrieve(created.id, { thread_id: thread.id })).status).toBe(
      "requires_action",
    );
  });

  it("a run expiring mid-reply ends its open stream: message incomplete run_expired, step expired, run expired, [DONE]", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    await earlyInASecond();
    const metadata = { emulator_expire_after: "1", emulator_delta_ms: "100", emulator_reply_words: "40" };
    const events = await readSse(
      await createRunRequest(thread.id, { assistant_id: assistant.id, stream: true, metadata }),
    );
    expect(events.filter((e) => e.event === "thread.message.delta").length).toBeGreaterThan(0);
    expect(events.slice(-4).map((e) => e.event)).toEqual([
      "thread.message.incomplete",
      "thread.run.step.expired",
      "thread.run.expired",
      "done",
    ]);
    expect(JSON.parse(events.at(-4)!.data)).toMatchObject({
      status: "incomplete",
      incomplete_details: { reason: "run_expired" },
    });
    expect(JSON.parse(events.at(-2)!.data)).toMatchObject({ status: "expired", completed_at: null });
  });

  it("an expired run no longer blocks its thread: a new message and a new run are accepted", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client, "get_weather Lisbon");
    await earlyInASecond();
    const created = await client.beta.threads.runs.create(thread.id, {
      assistant_id: assistant.id,
      metadata: { emulator_expire_after: "1" },
    });
    await waitForStatus(client, thread.id, created.id, ["expired"], 5000);
    await client.beta.threads.messages.create(thread.id, { role: "user", content: "Hello again" });
    const next = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id },
      { pollIntervalMs: 10 },
    );
    expect(next.status).toBe("completed");
  });
});

describe("admin settings endpoint", () => {
  const admin = (method: string, body?: unknown) =>
    gatewayFetch(`${GATEWAY}/emulator/admin/settings`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const DEFAULTS = {
    reply_words: 12,
    words_per_delta: 1,
    delta_ms: 0,
    stamp: false,
    expires_seconds: 600,
    poll_after_ms: 20,
    cut_after: null,
    first_byte_ms: 0,
    http_errors: null,
    keepalive_ms: 15_000,
    resume_window_ms: 300_000,
  };

  it("GET answers the defaults (the Worker's EMULATOR_* vars over the built-in ones)", async () => {
    const response = await admin("GET");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(DEFAULTS);
  });

  it("PATCH merges a partial change, and runs created afterwards use it", async () => {
    const response = await admin("PATCH", { reply_words: 5, http_errors: { status: 502, count: 3 } });
    expect(response.status).toBe(200);
    const expected = { ...DEFAULTS, reply_words: 5, http_errors: { status: 502, count: 3, retry_after: 1 } };
    expect(await response.json()).toEqual(expected);
    expect(await (await admin("GET")).json()).toEqual(expected);

    await admin("PATCH", { http_errors: null });
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const run = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id },
      { pollIntervalMs: 10 },
    );
    expect((await replyOf(client, thread.id, run.id)).text.split(/\s+/)).toHaveLength(5);
  });

  it("PATCH rejects a bad value with a 400 naming the setting, and changes nothing", async () => {
    for (const [patch, param] of [
      [{ reply_words: 0 }, "reply_words"],
      [{ delta_ms: "fast" }, "delta_ms"],
      [{ http_errors: { status: 404, count: 1 } }, "http_errors.status"],
      [{ http_errors: { status: 500, count: 0 } }, "http_errors.count"],
    ] as const) {
      const response = await admin("PATCH", patch);
      expect(response.status, JSON.stringify(patch)).toBe(400);
      expect(await errorBody(response)).toEqual({
        message: expect.any(String),
        type: "invalid_request_error",
        param,
        code: "invalid_value",
      });
    }
    const unknown = await admin("PATCH", { reply_wordz: 3 });
    expect(unknown.status).toBe(400);
    const invalidJson = await gatewayFetch(`${GATEWAY}/emulator/admin/settings`, {
      method: "PATCH",
      body: "{not json",
    });
    expect(invalidJson.status).toBe(400);
    expect(await (await admin("GET")).json()).toEqual(DEFAULTS);
  });

  it("DELETE resets to the defaults and answers them", async () => {
    await setEmulatorSettings({ stamp: true, cut_after: 7, first_byte_ms: 10 });
    const response = await admin("DELETE");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(DEFAULTS);
    expect(await (await admin("GET")).json()).toEqual(DEFAULTS);
  });

  it("http_errors count runs down to null as requests consume it", async () => {
    const client = emulatorSdk();
    const assistant = await createToolAssistant(client);
    await setEmulatorSettings({ http_errors: { status: 500, count: 2 } });
    await emulatorRequest("GET", `/assistants/${assistant.id}`);
    expect(((await (await admin("GET")).json()) as { http_errors: unknown }).http_errors).toEqual({
      status: 500,
      count: 1,
      retry_after: 1,
    });
    await emulatorRequest("GET", `/assistants/${assistant.id}`);
    expect(((await (await admin("GET")).json()) as { http_errors: unknown }).http_errors).toBeNull();
  });
});
