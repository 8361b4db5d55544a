// The upstream's error answers as the emulator gives them: status, the full `{message, type, param, code}` body, and headers.
import OpenAI, { APIError } from "openai";
import type { Run } from "openai/resources/beta/threads/runs/runs";
import { afterEach, describe, expect, it } from "vitest";
import {
  GATEWAY,
  createToolAssistant,
  emulatorRequest,
  emulatorSdk,
  gatewayFetch,
  resetEmulatorSettings,
  setEmulatorSettings,
} from "./helpers/emulator";

interface UpstreamError {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Asserts an error answer: its status, JSON content type, a `req_…` request id, and exactly the four keys of the
 * upstream's error object with the given values (type defaults to invalid_request_error, param and code to null).
 */
async function expectError(
  response: Response,
  status: number,
  expected: { message: unknown; type?: string; param?: string | null; code?: string | null },
) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(response.headers.get("x-request-id")).toMatch(/^req_[A-Za-z0-9]+$/);
  const body = (await response.json()) as { error: UpstreamError };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(body.error).toEqual({ type: "invalid_request_error", param: null, code: null, ...expected });
  return body.error;
}

/** Plain HTTP to the emulator with exactly the headers given (none of the required ones added). */
const bareRequest = (method: string, path: string, headers: Record<string, string>, body?: string) =>
  gatewayFetch(`${GATEWAY}/emulator/v1${path}`, { method, headers, body });

async function setup(client: OpenAI, text = "Hello there") {
  const assistant = await createToolAssistant(client);
  const thread = await client.beta.threads.create({ messages: [{ role: "user", content: text }] });
  return { assistant, thread };
}

async function waitForStatus(client: OpenAI, threadId: string, runId: string, statuses: string[]): Promise<Run> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const run = await client.beta.threads.runs.retrieve(runId, { thread_id: threadId });
    if (statuses.includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status}`);
    await sleep(20);
  }
}

/** A run paused in requires_action with one call per tool named in `text`. */
async function pausedToolRun(client: OpenAI, text: string) {
  const { assistant, thread } = await setup(client, text);
  const created = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
  const run = await waitForStatus(client, thread.id, created.id, ["requires_action"]);
  return { assistant, thread, run, calls: run.required_action!.submit_tool_outputs.tool_calls };
}

const metadataOf = (pairs: number) => Object.fromEntries(Array.from({ length: pairs }, (_, i) => [`key${i}`, "v"]));

afterEach(async () => {
  await resetEmulatorSettings();
});

describe("unknown ids answer 404", () => {
  it("unknown thread, for every route under it", async () => {
    const message = "No thread found with id 'thread_doesnotexist1'.";
    for (const [method, path, body] of [
      ["GET", "/threads/thread_doesnotexist1", undefined],
      ["POST", "/threads/thread_doesnotexist1", { metadata: { a: "b" } }],
      ["DELETE", "/threads/thread_doesnotexist1", undefined],
      ["GET", "/threads/thread_doesnotexist1/messages", undefined],
      ["POST", "/threads/thread_doesnotexist1/messages", { role: "user", content: "hi" }],
      ["GET", "/threads/thread_doesnotexist1/runs", undefined],
      ["GET", "/threads/thread_doesnotexist1/runs/run_abc", undefined],
    ] as const) {
      await expectError(await emulatorRequest(method, path, body), 404, { message });
    }
  });

  it("a run create on an unknown thread is a 404 and leaves no thread behind", async () => {
    const assistant = await createToolAssistant();
    await expectError(
      await emulatorRequest("POST", "/threads/thread_nothinghere/runs", { assistant_id: assistant.id }),
      404,
      { message: "No thread found with id 'thread_nothinghere'." },
    );
    await expectError(await emulatorRequest("GET", "/threads/thread_nothinghere"), 404, {
      message: "No thread found with id 'thread_nothinghere'.",
    });
  });

  it("an id not shaped like a thread id", async () => {
    await expectError(await emulatorRequest("GET", "/threads/not-a-thread"), 404, {
      message: "No thread found with id 'not-a-thread'.",
    });
  });

  it("a path trick in the thread id (../assistants, URL-encoded) is a 404 for that thread and reaches no other route", async () => {
    const client = emulatorSdk();
    // Were the id decoded into the path, these would answer the assistants list, the admin settings, or a list of runs.
    for (const id of ["../assistants", "../../admin/settings", "thread_abc/../../assistants"]) {
      const encoded = encodeURIComponent(id);
      await expectError(await emulatorRequest("GET", `/threads/${encoded}`), 404, {
        message: `No thread found with id '${id}'.`,
      });
      await expectError(await emulatorRequest("GET", `/threads/${encoded}/runs`), 404, {
        message: `No thread found with id '${id}'.`,
      });
      await expectError(await emulatorRequest("POST", `/threads/${encoded}/runs`, { assistant_id: "asst_abc" }), 404, {
        message: `No thread found with id '${id}'.`,
      });
    }
    // The SDK encodes the id the same way and gets a NotFoundError, not the assistants list.
    await expect(client.beta.threads.retrieve("../assistants")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("unknown run, on a real thread, for retrieve, modify, cancel, submit and steps", async () => {
    const { thread } = await setup(emulatorSdk());
    const message = "No run found with id 'run_unknown1'.";
    for (const [method, path, body] of [
      ["GET", "", undefined],
      ["POST", "", { metadata: { a: "b" } }],
      ["POST", "/cancel", undefined],
      ["POST", "/submit_tool_outputs", { tool_outputs: [] }],
      ["GET", "/steps", undefined],
      ["GET", "/steps/step_abc", undefined],
    ] as const) {
      await expectError(await emulatorRequest(method, `/threads/${thread.id}/runs/run_unknown1${path}`, body), 404, {
        message,
      });
    }
  });

  it("unknown step and unknown message", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const run = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id },
      { pollIntervalMs: 10 },
    );
    await expectError(await emulatorRequest("GET", `/threads/${thread.id}/runs/${run.id}/steps/step_unknown1`), 404, {
      message: "No run step found with id 'step_unknown1'.",
    });
    await expectError(await emulatorRequest("GET", `/threads/${thread.id}/messages/msg_unknown1`), 404, {
      message: "No message found with id 'msg_unknown1'.",
    });
  });

  it("ids of real objects under the wrong parent: another thread's run and message, another run's step", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const other = await client.beta.threads.create({ messages: [{ role: "user", content: "Other" }] });
    const run = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id },
      { pollIntervalMs: 10 },
    );
    const otherRun = await client.beta.threads.runs.createAndPoll(
      other.id,
      { assistant_id: assistant.id },
      { pollIntervalMs: 10 },
    );
    const [message] = (await client.beta.threads.messages.list(thread.id)).data;
    const [step] = (await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id })).data;

    await expectError(await emulatorRequest("GET", `/threads/${other.id}/runs/${run.id}`), 404, {
      message: `No run found with id '${run.id}'.`,
    });
    await expectError(await emulatorRequest("GET", `/threads/${other.id}/messages/${message!.id}`), 404, {
      message: `No message found with id '${message!.id}'.`,
    });
    await expectError(await emulatorRequest("GET", `/threads/${other.id}/runs/${otherRun.id}/steps/${step!.id}`), 404, {
      message: `No run step found with id '${step!.id}'.`,
    });
  });

  it("unknown assistant: retrieve, modify, delete, and as a run's assistant_id (param assistant_id)", async () => {
    const message = "No assistant found with id 'asst_unknown1'.";
    await expectError(await emulatorRequest("GET", "/assistants/asst_unknown1"), 404, { message });
    await expectError(await emulatorRequest("POST", "/assistants/asst_unknown1", { name: "x" }), 404, { message });
    await expectError(await emulatorRequest("DELETE", "/assistants/asst_unknown1"), 404, { message });

    const { thread } = await setup(emulatorSdk());
    await expectError(
      await emulatorRequest("POST", `/threads/${thread.id}/runs`, { assistant_id: "asst_unknown1" }),
      404,
      { message, param: "assistant_id" },
    );
    expect((await emulatorSdk().beta.threads.runs.list(thread.id)).data).toHaveLength(0);
  });

  it("a deleted assistant and a deleted thread are gone", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    await client.beta.assistants.delete(assistant.id);
    await client.beta.threads.delete(thread.id);
    await expectError(await emulatorRequest("GET", `/assistants/${assistant.id}`), 404, {
      message: `No assistant found with id '${assistant.id}'.`,
    });
    await expectError(await emulatorRequest("GET", `/threads/${thread.id}`), 404, {
      message: `No thread found with id '${thread.id}'.`,
    });
  });
});

describe("concurrency on a thread answers 400", () => {
  it("a second run while one is active names the active run; once it ends a new run is accepted", async () => {
    const client = emulatorSdk();
    const { assistant, thread, run } = await pausedToolRun(client, "get_weather Rome");
    await expectError(
      await emulatorRequest("POST", `/threads/${thread.id}/runs`, { assistant_id: assistant.id }),
      400,
      {
        message: `Thread ${thread.id} already has an active run ${run.id}.`,
      },
    );
    expect((await client.beta.threads.runs.list(thread.id)).data).toHaveLength(1);

    await client.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
    await waitForStatus(client, thread.id, run.id, ["cancelled"]);
    expect((await emulatorRequest("POST", `/threads/${thread.id}/runs`, { assistant_id: assistant.id })).status).toBe(
      200,
    );
  });

  it("a second run while the first is still in progress (not only in requires_action)", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const first = await client.beta.threads.runs.create(thread.id, {
      assistant_id: assistant.id,
      metadata: { emulator_delta_ms: "200" },
    });
    await expectError(
      await emulatorRequest("POST", `/threads/${thread.id}/runs`, { assistant_id: assistant.id }),
      400,
      {
        message: `Thread ${thread.id} already has an active run ${first.id}.`,
      },
    );
  });

  it("adding a message while a run is active names thread and run", async () => {
    const client = emulatorSdk();
    const { thread, run } = await pausedToolRun(client, "get_weather Rome");
    await expectError(
      await emulatorRequest("POST", `/threads/${thread.id}/messages`, { role: "user", content: "more" }),
      400,
      {
        message: `Can't add messages to ${thread.id} while a run ${run.id} is active.`,
      },
    );
    expect((await client.beta.threads.messages.list(thread.id)).data).toHaveLength(1);
  });

  it("cancelling a finished run", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const run = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id },
      { pollIntervalMs: 10 },
    );
    await expectError(await emulatorRequest("POST", `/threads/${thread.id}/runs/${run.id}/cancel`), 400, {
      message: "Cannot cancel run with status 'completed'.",
    });
  });
});

describe("tool outputs answer 400", () => {
  it("for a run not in requires_action", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const run = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id },
      { pollIntervalMs: 10 },
    );
    await expectError(
      await emulatorRequest("POST", `/threads/${thread.id}/runs/${run.id}/submit_tool_outputs`, {
        tool_outputs: [{ tool_call_id: "call_x", output: "y" }],
      }),
      400,
      {
        message: 'Runs in status "completed" do not accept tool outputs.',
      },
    );
  });

  it("missing, unknown and duplicate tool_call_ids; the run keeps waiting and a correct submit then completes it", async () => {
    const client = emulatorSdk();
    const { thread, run, calls } = await pausedToolRun(client, "get_weather Paris and get_time Tokyo");
    expect(calls).toHaveLength(2);
    const [weather, time] = calls as [(typeof calls)[number], (typeof calls)[number]];
    const submit = (tool_outputs: unknown[]) =>
      emulatorRequest("POST", `/threads/${thread.id}/runs/${run.id}/submit_tool_outputs`, { tool_outputs });
    const expectedIds = JSON.stringify([weather.id, time.id]);

    await expectError(await submit([{ tool_call_id: weather.id, output: "sunny" }]), 400, {
      message: `Expected tool outputs for call_ids ${expectedIds}, got ${JSON.stringify([weather.id])}`,
      param: "tool_outputs",
    });
    await expectError(
      await submit([
        { tool_call_id: weather.id, output: "sunny" },
        { tool_call_id: "call_unknown1", output: "noon" },
      ]),
      400,
      {
        message: `Expected tool outputs for call_ids ${expectedIds}, got ${JSON.stringify([weather.id, "call_unknown1"])}`,
        param: "tool_outputs",
      },
    );
    await expectError(
      await submit([
        { tool_call_id: weather.id, output: "sunny" },
        { tool_call_id: weather.id, output: "rain" },
      ]),
      400,
      {
        message: `Duplicate tool output for tool call '${weather.id}'.`,
        param: "tool_outputs[1].tool_call_id",
      },
    );
    await expectError(await submit([{ output: "sunny" }]), 400, {
      message: "Missing required parameter: 'tool_outputs[0].tool_call_id'.",
      param: "tool_outputs[0].tool_call_id",
      code: "missing_required_parameter",
    });
    await expectError(
      await emulatorRequest("POST", `/threads/${thread.id}/runs/${run.id}/submit_tool_outputs`, {}),
      400,
      {
        message: "Missing required parameter: 'tool_outputs'.",
        param: "tool_outputs",
        code: "missing_required_parameter",
      },
    );

    expect((await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id })).status).toBe("requires_action");
    const done = await client.beta.threads.runs.submitToolOutputsAndPoll(
      run.id,
      {
        thread_id: thread.id,
        tool_outputs: [
          { tool_call_id: time.id, output: "noon" },
          { tool_call_id: weather.id, output: "sunny" },
        ],
      },
      { pollIntervalMs: 10 },
    );
    expect(done.status).toBe("completed");
  });
});

describe("metadata limits answer 400", () => {
  it("17 pairs (16 accepted)", async () => {
    expect((await emulatorRequest("POST", "/threads", { metadata: metadataOf(16) })).status).toBe(200);
    await expectError(await emulatorRequest("POST", "/threads", { metadata: metadataOf(17) }), 400, {
      message: expect.stringContaining("at most 16 properties"),
      param: "metadata",
      code: "object_above_max_properties",
    });
  });

  it("a 65-character key (64 accepted)", async () => {
    expect((await emulatorRequest("POST", "/threads", { metadata: { ["k".repeat(64)]: "v" } })).status).toBe(200);
    await expectError(await emulatorRequest("POST", "/threads", { metadata: { ["k".repeat(65)]: "v" } }), 400, {
      message: expect.stringContaining("maximum length 64"),
      param: "metadata",
      code: "string_above_max_length",
    });
  });

  it("a 513-character value (512 accepted), named by its key", async () => {
    expect((await emulatorRequest("POST", "/threads", { metadata: { note: "v".repeat(512) } })).status).toBe(200);
    await expectError(await emulatorRequest("POST", "/threads", { metadata: { note: "v".repeat(513) } }), 400, {
      message: expect.stringContaining("maximum length 512"),
      param: "metadata.note",
      code: "string_above_max_length",
    });
  });

  it("the same limits on runs, messages, assistants and messages inside a new thread", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const tooMany = { message: expect.any(String), code: "object_above_max_properties" };
    await expectError(
      await emulatorRequest("POST", `/threads/${thread.id}/runs`, {
        assistant_id: assistant.id,
        metadata: metadataOf(17),
      }),
      400,
      { ...tooMany, param: "metadata" },
    );
    await expectError(
      await emulatorRequest("POST", `/threads/${thread.id}/messages`, {
        role: "user",
        content: "hi",
        metadata: metadataOf(17),
      }),
      400,
      { ...tooMany, param: "metadata" },
    );
    await expectError(
      await emulatorRequest("POST", "/assistants", { model: "gpt-4o", metadata: metadataOf(17) }),
      400,
      { ...tooMany, param: "metadata" },
    );
    await expectError(
      await emulatorRequest("POST", "/threads", {
        messages: [{ role: "user", content: "hi", metadata: metadataOf(17) }],
      }),
      400,
      { ...tooMany, param: "messages[0].metadata" },
    );
    expect((await client.beta.threads.runs.list(thread.id)).data).toHaveLength(0);
  });
});

describe("request bodies answer 400", () => {
  it("an unknown parameter: code unknown_parameter, param naming it (top level and nested)", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    await expectError(await emulatorRequest("POST", "/threads", { colour: "blue" }), 400, {
      message: "Unknown parameter: 'colour'.",
      param: "colour",
      code: "unknown_parameter",
    });
    await expectError(
      await emulatorRequest("POST", `/threads/${thread.id}/runs`, { assistant_id: assistant.id, turbo: true }),
      400,
      {
        message: "Unknown parameter: 'turbo'.",
        param: "turbo",
        code: "unknown_parameter",
      },
    );
    await expectError(
      await emulatorRequest("POST", "/threads", { messages: [{ role: "user", content: "hi", mood: "happy" }] }),
      400,
      {
        message: "Unknown parameter: 'messages[0].mood'.",
        param: "messages[0].mood",
        code: "unknown_parameter",
      },
    );
  });

  it("a wrong type: code invalid_type, param naming the field", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    await expectError(
      await emulatorRequest("POST", `/threads/${thread.id}/runs`, { assistant_id: assistant.id, temperature: "hot" }),
      400,
      {
        message: expect.stringContaining("'temperature'"),
        param: "temperature",
        code: "invalid_type",
      },
    );
    await expectError(await emulatorRequest("POST", `/threads/${thread.id}/runs`, { assistant_id: 42 }), 400, {
      message: expect.stringContaining("'assistant_id'"),
      param: "assistant_id",
      code: "invalid_type",
    });
    expect((await client.beta.threads.runs.list(thread.id)).data).toHaveLength(0);
  });

  it("a missing required assistant_id", async () => {
    const { thread } = await setup(emulatorSdk());
    await expectError(await emulatorRequest("POST", `/threads/${thread.id}/runs`, { instructions: "Be brief." }), 400, {
      message: "Missing required parameter: 'assistant_id'.",
      param: "assistant_id",
      code: "missing_required_parameter",
    });
  });

  it("a body that is not JSON", async () => {
    const { thread } = await setup(emulatorSdk());
    const headers = {
      authorization: "Bearer test-key",
      "openai-beta": "assistants=v2",
      "content-type": "application/json",
    };
    for (const path of ["/threads", `/threads/${thread.id}/runs`, "/assistants"]) {
      await expectError(await bareRequest("POST", path, headers, '{"assistant_id": '), 400, {
        message: expect.stringContaining("could not parse the JSON body"),
      });
    }
  });

  it("list parameters: limit 0 and 101, order 'sideways' (limit 1 and 100 accepted)", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const run = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id },
      { pollIntervalMs: 10 },
    );
    for (const list of [
      `/threads/${thread.id}/messages`,
      `/threads/${thread.id}/runs`,
      `/threads/${thread.id}/runs/${run.id}/steps`,
      "/assistants",
    ]) {
      for (const limit of ["0", "101"])
        await expectError(await emulatorRequest("GET", `${list}?limit=${limit}`), 400, {
          message: expect.stringContaining(`got ${limit}`),
          param: "limit",
          code: "invalid_value",
        });
      await expectError(await emulatorRequest("GET", `${list}?order=sideways`), 400, {
        message: expect.stringContaining("'sideways'"),
        param: "order",
        code: "invalid_value",
      });
      for (const limit of ["1", "100"])
        expect((await emulatorRequest("GET", `${list}?limit=${limit}`)).status, `${list}?limit=${limit}`).toBe(200);
    }
  });
});

describe("authentication, beta header and routes", () => {
  it("a missing Authorization header is a 401", async () => {
    for (const [method, path] of [
      ["GET", "/assistants"],
      ["POST", "/threads"],
      ["GET", "/threads/thread_abc"],
    ] as const) {
      await expectError(await bareRequest(method, path, { "openai-beta": "assistants=v2" }), 401, {
        message: expect.stringContaining("You didn't provide an API key"),
      });
    }
  });

  it("a missing or wrong OpenAI-Beta header is a 400 invalid_beta", async () => {
    for (const headers of [
      { authorization: "Bearer test-key" },
      { authorization: "Bearer test-key", "openai-beta": "assistants=v1" },
    ] as Array<Record<string, string>>) {
      await expectError(await bareRequest("GET", "/assistants", headers), 400, {
        message: expect.stringContaining("'OpenAI-Beta: assistants=v2'"),
        code: "invalid_beta",
      });
    }
  });

  it("an unknown route is a 404 naming method and path", async () => {
    await expectError(await emulatorRequest("GET", "/nothing-here"), 404, {
      message: "Invalid URL (GET /v1/nothing-here)",
    });
    await expectError(await gatewayFetch(`${GATEWAY}/emulator/nowhere`), 404, {
      message: "Invalid URL (GET /nowhere)",
    });
  });

  it("an unknown route under a real thread or assistant, or a known path with the wrong method, is a 404 in the same shape", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    await expectError(await emulatorRequest("GET", `/threads/${thread.id}/bogus`), 404, {
      message: `Invalid URL (GET /v1/threads/${thread.id}/bogus)`,
    });
    await expectError(await emulatorRequest("PUT", `/threads/${thread.id}`), 404, {
      message: `Invalid URL (PUT /v1/threads/${thread.id})`,
    });
    await expectError(await emulatorRequest("GET", `/assistants/${assistant.id}/bogus`), 404, {
      message: `Invalid URL (GET /v1/assistants/${assistant.id}/bogus)`,
    });
  });
});

describe("upstream headers", () => {
  it("x-request-id (req_…) and openai-version on success and error answers alike, a new id each time", async () => {
    const answers = [
      await emulatorRequest("POST", "/threads", {}),
      await emulatorRequest("GET", "/threads/thread_missing1"),
      await emulatorRequest("POST", "/threads", { bogus: 1 }),
      await bareRequest("GET", "/assistants", {}),
      await emulatorRequest("GET", "/nothing-here"),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 404, 400, 401, 404]);
    const ids = answers.map((r) => r.headers.get("x-request-id"));
    for (const id of ids) expect(id).toMatch(/^req_[A-Za-z0-9]{20,}$/);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of answers) expect(r.headers.get("openai-version")).toBe("2020-10-01");
  });

  it("openai-poll-after-ms on retrieve run: 20 under the test settings, and the global poll_after_ms for runs created after a change", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const run = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const retrieved = await emulatorRequest("GET", `/threads/${thread.id}/runs/${run.id}`);
    expect(retrieved.status).toBe(200);
    expect(retrieved.headers.get("openai-poll-after-ms")).toBe("20");

    await waitForStatus(client, thread.id, run.id, ["completed"]);
    await setEmulatorSettings({ poll_after_ms: 75 });
    const next = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    expect(
      (await emulatorRequest("GET", `/threads/${thread.id}/runs/${next.id}`)).headers.get("openai-poll-after-ms"),
    ).toBe("75");
  });
});

describe("the SDK's error classes", () => {
  it("NotFoundError with status, type, null param/code and the request id", async () => {
    const error = await emulatorSdk()
      .beta.threads.retrieve("thread_missing2")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    const notFound = error as InstanceType<typeof OpenAI.NotFoundError>;
    expect(notFound.status).toBe(404);
    expect(notFound.message).toBe("404 No thread found with id 'thread_missing2'.");
    expect(notFound.type).toBe("invalid_request_error");
    expect(notFound.param).toBeNull();
    expect(notFound.code).toBeNull();
    expect(notFound.requestID).toMatch(/^req_/);
  });

  it("BadRequestError carrying .param, .code and .requestID (metadata limit, unknown parameter)", async () => {
    const client = emulatorSdk();
    const { assistant, thread } = await setup(client);
    const tooMany = await client.beta.threads.runs
      .create(thread.id, { assistant_id: assistant.id, metadata: metadataOf(17) })
      .catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(OpenAI.BadRequestError);
    expect(tooMany).toMatchObject({
      status: 400,
      param: "metadata",
      code: "object_above_max_properties",
      requestID: expect.stringMatching(/^req_/),
    });

    const unknown = await client.beta.threads.runs
      .create(thread.id, {
        assistant_id: assistant.id,
        turbo: true,
      } as unknown as OpenAI.Beta.Threads.RunCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.BadRequestError);
    expect(unknown).toMatchObject({
      status: 400,
      param: "turbo",
      code: "unknown_parameter",
      type: "invalid_request_error",
    });
  });

  it("BadRequestError for a second active run, with its message", async () => {
    const client = emulatorSdk();
    const { assistant, thread, run } = await pausedToolRun(client, "get_time Oslo");
    const error = await client.beta.threads.runs
      .create(thread.id, { assistant_id: assistant.id })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as APIError).message).toBe(`400 Thread ${thread.id} already has an active run ${run.id}.`);
  });

  it("AuthenticationError when the key does not arrive", async () => {
    const withoutKey: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.delete("authorization");
      return gatewayFetch(input, { ...init, headers });
    };
    const error = await emulatorSdk({ fetch: withoutKey })
      .beta.assistants.list()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as APIError).status).toBe(401);
  });
});
