// The emulator's served counts (/admin/stats), which benchmarks read to measure upstream cost: exact per request,
// stream and poll, admin calls aside, across its Durable Objects and under concurrency.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { routeTemplate } from "../emulator/src/served-request";
import type { Stats } from "../emulator/src/served-stats";
import {
  GATEWAY,
  createToolAssistant,
  emulatorFetch,
  emulatorRequest,
  emulatorSdk,
  readSse,
  resetEmulatorSettings,
  setEmulatorSettings,
} from "./helpers/emulator";
import { foundryToken, PROJECT } from "./helpers/foundry";
import { readFrames, responsesRequest } from "./helpers/responses";

const STATS = `${GATEWAY}/emulator/admin/stats`;

async function readStats(): Promise<Stats> {
  const response = await emulatorFetch(STATS);
  expect(response.status).toBe(200);
  return (await response.json()) as Stats;
}

async function resetStats(): Promise<Stats> {
  const response = await emulatorFetch(STATS, { method: "DELETE" });
  expect(response.status).toBe(200);
  return (await response.json()) as Stats;
}

/** The counts without `since` and the per-thread counts (tested on their own), for exact comparison. */
async function counts() {
  const { since: _, by_thread: __, ...rest } = await readStats();
  return rest;
}

/** A thread holding one message, with an assistant to run it; made before the counts are reset. */
async function threadToRun() {
  const client = emulatorSdk();
  const assistant = await createToolAssistant(client);
  const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "Hello there" }] });
  return { client, assistant, thread };
}

/** A completed run, created and polled before the counts are reset. */
async function completedRun() {
  const { client, assistant, thread } = await threadToRun();
  const run = await client.beta.threads.runs.createAndPoll(
    thread.id,
    { assistant_id: assistant.id },
    { pollIntervalMs: 10 },
  );
  expect(run.status).toBe("completed");
  return { client, thread, run };
}

beforeEach(async () => {
  await resetEmulatorSettings();
  await resetStats();
});

afterEach(async () => {
  await resetEmulatorSettings();
});

describe("GET /admin/stats", () => {
  it("counts a streamed run creation as one request and one stream", async () => {
    const { assistant, thread } = await threadToRun();
    await resetStats();

    const response = await emulatorRequest("POST", `/threads/${thread.id}/runs`, {
      assistant_id: assistant.id,
      stream: true,
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect((await readSse(response)).at(-1)!.data).toBe("[DONE]");

    expect(await counts()).toEqual({
      requests: 1,
      by_route: { "POST /v1/threads/{thread_id}/runs": 1 },
      streams_opened: 1,
      polls: 0,
    });
  });

  it("counts a non-streamed run creation and each retrieve of it as a poll", async () => {
    const { client, assistant, thread } = await threadToRun();
    await resetStats();

    const run = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const retrieves = 7;
    for (let i = 0; i < retrieves; i++) await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });

    expect(await counts()).toEqual({
      requests: 1 + retrieves,
      by_route: {
        "GET /v1/threads/{thread_id}/runs/{run_id}": retrieves,
        "POST /v1/threads/{thread_id}/runs": 1,
      },
      streams_opened: 0,
      polls: retrieves,
    });
  });

  it("counts a streamed submission of tool outputs as a stream, and the run list and steps as neither", async () => {
    const { client, assistant } = await threadToRun();
    const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "get_weather for Paris" }] });
    const run = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id },
      { pollIntervalMs: 10 },
    );
    expect(run.status).toBe("requires_action");
    const calls = run.required_action!.submit_tool_outputs.tool_calls;
    await resetStats();

    const submitted = await emulatorRequest("POST", `/threads/${thread.id}/runs/${run.id}/submit_tool_outputs`, {
      tool_outputs: calls.map((call) => ({ tool_call_id: call.id, output: "sunny" })),
      stream: true,
    });
    expect((await readSse(submitted)).at(-1)!.data).toBe("[DONE]");
    await client.beta.threads.runs.list(thread.id);
    await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });

    expect(await counts()).toEqual({
      requests: 3,
      by_route: {
        "GET /v1/threads/{thread_id}/runs": 1,
        "GET /v1/threads/{thread_id}/runs/{run_id}/steps": 1,
        "POST /v1/threads/{thread_id}/runs/{run_id}/submit_tool_outputs": 1,
      },
      streams_opened: 1,
      polls: 0,
    });
  });

  it("counts a streamed response and its resume with starting_after as two streams, and a plain retrieve as a poll", async () => {
    const created = await responsesRequest("POST", "/responses", {
      model: "gpt-4o",
      input: "Hello there",
      background: true,
      stream: true,
    });
    const first = await readFrames(created);
    expect(first.frames.at(-1)!.event).toBe("response.completed");
    const id = (first.frames[0]!.data.response as { id: string }).id;

    const resumed = await responsesRequest("GET", `/responses/${id}?stream=true&starting_after=3`);
    const replay = await readFrames(resumed);
    expect(replay.frames[0]!.data.sequence_number).toBe(4);
    expect(await counts()).toEqual({
      requests: 2,
      by_route: { "GET /v1/responses/{id}": 1, "POST /v1/responses": 1 },
      streams_opened: 2,
      polls: 0,
    });

    expect((await responsesRequest("GET", `/responses/${id}`)).status).toBe(200);
    expect(await counts()).toEqual({
      requests: 3,
      by_route: { "GET /v1/responses/{id}": 2, "POST /v1/responses": 1 },
      streams_opened: 2,
      polls: 1,
    });
  });

  it("does not count admin calls", async () => {
    await setEmulatorSettings({ reply_words: 3 });
    await emulatorFetch(`${GATEWAY}/emulator/admin/settings`);
    await emulatorFetch(`${GATEWAY}/emulator/admin/entra`);
    await readStats();
    await resetEmulatorSettings();
    expect(await counts()).toEqual({ requests: 0, by_route: {}, streams_opened: 0, polls: 0 });

    // The next API request is counted, so the zeros above are not a counter that never moves.
    await emulatorRequest("GET", "/assistants");
    expect(await counts()).toEqual({ requests: 1, by_route: { "GET /v1/assistants": 1 }, streams_opened: 0, polls: 0 });
  });

  it("counts requests that fail too: injected faults and unknown ids are still requests served", async () => {
    await setEmulatorSettings({ http_errors: { status: 503, count: 1 } });
    expect((await emulatorRequest("GET", "/assistants")).status).toBe(503);
    expect((await emulatorRequest("GET", "/threads/thread_Unknown/runs/run_Unknown")).status).toBe(404);

    expect(await counts()).toEqual({
      requests: 2,
      by_route: { "GET /v1/assistants": 1, "GET /v1/threads/{thread_id}/runs/{run_id}": 1 },
      streams_opened: 0,
      polls: 1,
    });
  });

  it("classes each flavour's paths with ids as placeholders, and an Azure path once though it is routed twice", async () => {
    const { thread, run } = await completedRun();
    const token = await foundryToken();
    await resetStats();

    const azure = await emulatorFetch(
      `${GATEWAY}/emulator/openai/threads/${thread.id}/runs/${run.id}?api-version=2024-05-01-preview`,
      { headers: { "api-key": "test-key", "openai-beta": "assistants=v2" } },
    );
    expect(azure.status).toBe(200);
    const foundry = await emulatorFetch(`${PROJECT}/threads/${thread.id}/runs/${run.id}?api-version=v1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(foundry.status).toBe(200);
    await foundryToken();

    expect(await counts()).toEqual({
      requests: 3,
      by_route: {
        "GET /api/projects/{project}/threads/{thread_id}/runs/{run_id}": 1,
        "GET /openai/threads/{thread_id}/runs/{run_id}": 1,
        "POST /{tenant}/oauth2/v2.0/token": 1,
      },
      streams_opened: 0,
      polls: 2,
    });
  });

  it("counts concurrent requests to different Durable Objects exactly", async () => {
    const { client, thread, run } = await completedRun();
    const response = await client.responses.create({ model: "gpt-4o", input: "Hello there" });
    await resetStats();

    const runRetrieves = Array.from({ length: 20 }, () =>
      emulatorRequest("GET", `/threads/${thread.id}/runs/${run.id}`),
    );
    const responseRetrieves = Array.from({ length: 10 }, () => responsesRequest("GET", `/responses/${response.id}`));
    const answers = await Promise.all([...runRetrieves, ...responseRetrieves]);
    expect(answers.map((answer) => answer.status)).toEqual(Array<number>(30).fill(200));

    expect(await counts()).toEqual({
      requests: 30,
      by_route: { "GET /v1/responses/{id}": 10, "GET /v1/threads/{thread_id}/runs/{run_id}": 20 },
      streams_opened: 0,
      polls: 30,
    });
  });
});

describe("per-thread counts", () => {
  it("count every request naming a thread (its run, steps and messages) with the time of the last", async () => {
    const { client, assistant, thread } = await threadToRun();
    const other = await client.beta.threads.create();
    await resetStats();

    const before = Date.now();
    const run = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
    await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
    await client.beta.threads.messages.list(thread.id, { run_id: run.id });
    await client.beta.threads.retrieve(other.id);
    const after = Date.now();
    // A request naming no thread (a thread made with its run) is counted, but against no thread.
    await client.beta.threads.createAndRun({ assistant_id: assistant.id });

    const { by_thread, requests } = await readStats();
    expect(requests).toBe(6);
    expect(Object.keys(by_thread).sort()).toEqual([thread.id, other.id].sort());
    expect(by_thread[thread.id]!.requests).toBe(4);
    expect(by_thread[other.id]!.requests).toBe(1);
    for (const { last_at } of Object.values(by_thread)) {
      expect(last_at).toBeGreaterThanOrEqual(before);
      expect(last_at).toBeLessThanOrEqual(after);
    }
  });
});

describe("GET /admin/threads/{thread_id}/runs/{run_id}/status_changes", () => {
  const statusChanges = async (threadId: string, runId: string) => {
    const response = await emulatorFetch(`${GATEWAY}/emulator/admin/threads/${threadId}/runs/${runId}/status_changes`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { data: Array<{ status: string; at_ms: number }> }).data;
  };

  it("answers when a run's status changed, as its plan timed it, without counting as upstream traffic", async () => {
    const { client, assistant, thread } = await threadToRun();
    const created = Date.now();
    const run = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id, metadata: { emulator_delta_ms: "20", emulator_reply_words: "5" } },
      { pollIntervalMs: 10 },
    );
    const seen = Date.now();
    expect(run.status).toBe("completed");
    await resetStats();

    const changes = await statusChanges(thread.id, run.id);
    expect(changes.map((change) => change.status)).toEqual(["in_progress", "completed"]);
    const [started, completed] = changes.map((change) => change.at_ms);
    expect(started).toBeGreaterThanOrEqual(created);
    // Five deltas 20 ms apart lie between the start and the end.
    expect(completed! - started!).toBeGreaterThanOrEqual(5 * 20);
    expect(completed).toBeLessThanOrEqual(seen);
    expect((await readStats()).requests).toBe(0);
  });

  it("times a run's expiry in requires_action at its expires_at", async () => {
    const { client, assistant } = await threadToRun();
    const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "get_weather for Paris" }] });
    const run = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id, metadata: { emulator_expire_after: "1" } },
      { pollIntervalMs: 10 },
    );
    expect(run.status).toBe("requires_action");
    expect((await statusChanges(thread.id, run.id)).map((change) => change.status)).toEqual([
      "in_progress",
      "requires_action",
    ]);
    await new Promise((resolve) => setTimeout(resolve, run.expires_at! * 1000 - Date.now() + 50));

    const changes = await statusChanges(thread.id, run.id);
    expect(changes.at(-1)).toEqual({ status: "expired", at_ms: run.expires_at! * 1000 });
  });

  it("answers the upstream's 404 for a run that does not exist", async () => {
    const { thread } = await threadToRun();
    const response = await emulatorFetch(
      `${GATEWAY}/emulator/admin/threads/${thread.id}/runs/run_Unknown/status_changes`,
    );
    expect(response.status).toBe(404);
  });
});

describe("DELETE /admin/stats", () => {
  it("zeroes every count and moves since to the reset", async () => {
    const before = await readStats();
    const { assistant, thread } = await threadToRun();
    await readSse(
      await emulatorRequest("POST", `/threads/${thread.id}/runs`, { assistant_id: assistant.id, stream: true }),
    );
    const counted = await readStats();
    expect(counted.requests).toBe(3);
    expect(counted.streams_opened).toBe(1);

    const reset = await resetStats();
    expect(reset).toEqual({
      requests: 0,
      by_route: {},
      streams_opened: 0,
      polls: 0,
      by_thread: {},
      since: reset.since,
    });
    expect(reset.since).toBeGreaterThanOrEqual(before.since);
    expect(await readStats()).toEqual(reset);
  });
});

describe("route classes", () => {
  it.each([
    ["/v1/threads", "/v1/threads"],
    ["/v1/threads/runs", "/v1/threads/runs"],
    ["/v1/threads/thread_a/messages/msg_b", "/v1/threads/{thread_id}/messages/{message_id}"],
    ["/v1/threads/thread_a/runs/run_b/cancel", "/v1/threads/{thread_id}/runs/{run_id}/cancel"],
    ["/v1/threads/thread_a/runs/run_b/steps/step_c", "/v1/threads/{thread_id}/runs/{run_id}/steps/{step_id}"],
    ["/v1/assistants/asst_a", "/v1/assistants/{id}"],
    ["/v1/responses/resp_a/input_items", "/v1/responses/{id}/input_items"],
    ["/v1/conversations/conv_a/items/msg_b", "/v1/conversations/{id}/items/{item_id}"],
    ["/openai/v1/threads/thread_a", "/openai/v1/threads/{thread_id}"],
    ["/api/projects/demo/threads/runs", "/api/projects/{project}/threads/runs"],
    ["/00000000-0000-4000-8000-00000000e001/oauth2/v2.0/token", "/{tenant}/oauth2/v2.0/token"],
    ["/v1/threads/constructor", "/v1/threads/{thread_id}"],
    ["/", "/"],
  ])("%s is %s", (path, route) => {
    expect(routeTemplate(path)).toBe(route);
  });
});
