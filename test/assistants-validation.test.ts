// Inputs of the assistant, thread and message procedures that the gateway refuses itself, over tRPC and REST: each names the
// field and the reason, and not one request reaches the upstream (the emulator's tripwire fault stays armed).
import OpenAI, { BadRequestError } from "openai";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { GATEWAY, WEATHER_TOOL, gatewayFetch, resetEmulatorSettings, setEmulatorSettings } from "./helpers/emulator";
import { emulatorGet, emulatorSettings, rejection, restSdk, rpcError, runcastClient } from "./helpers/runcast";

const runcast = runcastClient();
/** A fault armed on the emulator for its next /v1 request: still armed afterwards means no request reached it. */
const TRIPWIRE = { status: 503, count: 1, retry_after: 1 };
const TRICKS = ["../assistants", "x/../../v1", "a b", "", "x".repeat(200), "id?limit=1", "%2e%2e"];

let assistantId = "";
let threadId = "";
let messageCount = 0;

beforeAll(async () => {
  assistantId = (await runcast.assistants.create.mutate({ model: "gpt-4o", name: "Untouched" })).id;
  const thread = await runcast.threads.create.mutate({ messages: [{ role: "user", content: "Hi" }] });
  threadId = thread.id;
  messageCount = 1;
});

afterEach(async () => {
  await resetEmulatorSettings();
  // Nothing a refused call carried reached the objects it named.
  expect(await emulatorGet(`/assistants/${assistantId}`)).toMatchObject({ name: "Untouched", metadata: {} });
  expect((await emulatorGet<{ data: unknown[] }>(`/threads/${threadId}/messages?limit=100`)).data).toHaveLength(
    messageCount,
  );
});

/** Runs `call` with the tripwire armed and answers what it threw, failing if the tripwire fired. */
async function refusedWithoutUpstream<T>(call: () => Promise<T>): Promise<unknown> {
  await setEmulatorSettings({ http_errors: TRIPWIRE });
  const error = await rejection(call());
  expect((await emulatorSettings()).http_errors, "the upstream was called").toEqual(TRIPWIRE);
  await resetEmulatorSettings();
  return error;
}

/** BAD_REQUEST over tRPC, naming `field` with a reason matching `reason`, and no upstream call. */
async function expectRefused(call: () => Promise<unknown>, field: string, reason: RegExp) {
  const error = await rpcError(refusedWithoutUpstream(call).then((e) => Promise.reject(e)));
  expect(error.data?.code).toBe("BAD_REQUEST");
  expect(error.data?.fields, JSON.stringify(error.data?.fields)).toContainEqual({
    field,
    message: expect.stringMatching(reason),
  });
  expect(error.message).toContain(`${field}: `);
}

const pairs = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`key${i}`, "v"]));
const functions = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ type: "function" as const, function: { name: `tool_${i}` } }));
const createAssistant = (extra: Record<string, unknown>) => () =>
  runcast.assistants.create.mutate({ model: "gpt-4o", ...extra } as never);
const updateAssistant = (extra: Record<string, unknown>) => () =>
  runcast.assistants.update.mutate({ assistant_id: assistantId, ...extra } as never);
const createThread = (extra: Record<string, unknown>) => () => runcast.threads.create.mutate(extra as never);
const createMessage = (extra: Record<string, unknown>) => () =>
  runcast.threads.messages.create.mutate({ thread_id: threadId, role: "user", content: "x", ...extra } as never);

describe("assistants over tRPC", () => {
  it.each([
    ["model", { model: undefined }, "model", /model name/],
    ["name", { name: "n".repeat(257) }, "name", /at most 256 characters/],
    ["description", { description: "d".repeat(513) }, "description", /at most 512 characters/],
    ["instructions", { instructions: "i".repeat(256_001) }, "instructions", /at most 256000 characters/],
    ["tools", { tools: functions(129) }, "tools", /at most 128 tools/],
    [
      "a tool's name",
      { tools: [{ type: "function", function: { name: "get weather" } }] },
      "tools.0.function.name",
      /letters, digits/,
    ],
    ["metadata", { metadata: pairs(17) }, "metadata", /at most 16 pairs/],
    ["a metadata value", { metadata: { note: "v".repeat(513) } }, "metadata.note", /at most 512 characters/],
    ["temperature", { temperature: 2.5 }, "temperature", /<=\s?2|too big/i],
    ["top_p", { top_p: -0.1 }, "top_p", />=\s?0|too small/i],
    ["reasoning_effort", { reasoning_effort: "extreme" }, "reasoning_effort", /medium/],
    ["response_format", { response_format: { type: "yaml" } }, "response_format", /.+/],
    ["an unknown key", { file_ids: ["file_1"] }, "(input)", /file_ids/],
    [
      "code_interpreter files",
      { tool_resources: { code_interpreter: { file_ids: Array(21).fill("file_a") } } },
      "tool_resources.code_interpreter.file_ids",
      /at most 20 files/,
    ],
    [
      "a file id",
      { tool_resources: { code_interpreter: { file_ids: ["../files"] } } },
      "tool_resources.code_interpreter.file_ids.0",
      /must be a file id/,
    ],
    [
      "both vector store forms",
      { tool_resources: { file_search: { vector_store_ids: ["vs_1"], vector_stores: [{}] } } },
      "tool_resources.file_search",
      /either vector_store_ids or vector_stores/,
    ],
    [
      "chunk overlap",
      {
        tool_resources: {
          file_search: {
            vector_stores: [
              {
                chunking_strategy: {
                  type: "static",
                  static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 101 },
                },
              },
            ],
          },
        },
      },
      "tool_resources.file_search.vector_stores.0.chunking_strategy.static.chunk_overlap_tokens",
      /at most half/,
    ],
  ])("create refuses a bad %s", async (_what, extra, field, reason) => {
    await expectRefused(createAssistant(extra), field, reason);
  });

  it("update refuses the same limits, and a vector store made on modification (the upstream takes ids only)", async () => {
    await expectRefused(updateAssistant({ name: "n".repeat(257) }), "name", /at most 256 characters/);
    await expectRefused(updateAssistant({ metadata: pairs(17) }), "metadata", /at most 16 pairs/);
    await expectRefused(
      updateAssistant({ tool_resources: { file_search: { vector_stores: [{}] } } }),
      "tool_resources.file_search",
      /vector_stores/,
    );
  });

  it.each(TRICKS)("retrieve, update and delete refuse assistant_id %j", async (id) => {
    await expectRefused(() => runcast.assistants.retrieve.query({ assistant_id: id }), "assistant_id", /assistant id/);
    await expectRefused(() => runcast.assistants.update.mutate({ assistant_id: id }), "assistant_id", /assistant id/);
    await expectRefused(() => runcast.assistants.delete.mutate({ assistant_id: id }), "assistant_id", /assistant id/);
  });
});

describe("threads and messages over tRPC", () => {
  it("threads.create refuses 33 messages, a bad message, bad metadata and an unknown key", async () => {
    const many = Array.from({ length: 33 }, () => ({ role: "user", content: "x" }));
    await expectRefused(createThread({ messages: many }), "messages", /at most 32 messages/);
    await expectRefused(
      createThread({ messages: [{ role: "system", content: "x" }] }),
      "messages.0.role",
      /user|assistant/,
    );
    await expectRefused(
      createThread({ messages: [{ role: "user", content: [] }] }),
      "messages.0.content",
      /cannot be empty/,
    );
    await expectRefused(createThread({ metadata: { k: "v".repeat(513) } }), "metadata.k", /at most 512/);
    await expectRefused(createThread({ assistant_id: assistantId }), "(input)", /assistant_id/);
  });

  it.each(TRICKS)("every thread procedure refuses thread_id %j", async (id) => {
    await expectRefused(() => runcast.threads.retrieve.query({ thread_id: id }), "thread_id", /must be a thread id/);
    await expectRefused(() => runcast.threads.update.mutate({ thread_id: id }), "thread_id", /must be a thread id/);
    await expectRefused(() => runcast.threads.delete.mutate({ thread_id: id }), "thread_id", /must be a thread id/);
    await expectRefused(createMessage({ thread_id: id }), "thread_id", /must be a thread id/);
  });

  it("threads.update refuses 17 metadata pairs and a 65-character key", async () => {
    await expectRefused(
      () => runcast.threads.update.mutate({ thread_id: threadId, metadata: pairs(17) }),
      "metadata",
      /at most 16 pairs/,
    );
    await expectRefused(
      () => runcast.threads.update.mutate({ thread_id: threadId, metadata: { ["k".repeat(65)]: "v" } }),
      `metadata.${"k".repeat(65)}`,
      /keys are at most 64/,
    );
  });

  it("messages.create refuses a missing or empty content, a bad role, image URL, attachment and metadata", async () => {
    await expectRefused(createMessage({ content: undefined }), "content", /.+/);
    await expectRefused(createMessage({ content: [] }), "content", /cannot be empty/);
    await expectRefused(createMessage({ role: "system" }), "role", /user|assistant/);
    await expectRefused(
      createMessage({ content: [{ type: "image_url", image_url: { url: "not a url" } }] }),
      "content.0.image_url.url",
      /url/i,
    );
    await expectRefused(createMessage({ attachments: [{ file_id: "../etc" }] }), "attachments.0.file_id", /file id/);
    await expectRefused(createMessage({ metadata: pairs(17) }), "metadata", /at most 16 pairs/);
    await expectRefused(createMessage({ name: "bob" }), "(input)", /name/);
  });

  it.each(TRICKS)("messages.retrieve refuses message_id %j", async (id) => {
    await expectRefused(
      () => runcast.threads.messages.retrieve.query({ thread_id: threadId, message_id: id }),
      "message_id",
      /must be a message id/,
    );
  });
});

describe("the same refusals over REST, as the SDK meets them", () => {
  const sdk = () => restSdk();

  it("a 400 BadRequestError whose param names the field, for bodies, paths and queries", async () => {
    const cases: Array<[(client: OpenAI) => Promise<unknown>, string]> = [
      [(c) => c.beta.assistants.create({ model: "gpt-4o", name: "n".repeat(257) }), "name"],
      [(c) => c.beta.assistants.update(assistantId, { tools: functions(129) }), "tools"],
      [(c) => c.beta.assistants.retrieve("a b"), "assistant_id"],
      [(c) => c.beta.assistants.delete("a b"), "assistant_id"],
      [(c) => c.beta.assistants.list({ limit: 101 }), "limit"],
      [(c) => c.beta.threads.create({ metadata: pairs(17) }), "metadata"],
      [(c) => c.beta.threads.update(threadId, { metadata: { k: "v".repeat(513) } }), "metadata.k"],
      [(c) => c.beta.threads.retrieve("a b"), "thread_id"],
      [(c) => c.beta.threads.delete("a b"), "thread_id"],
      [(c) => c.beta.threads.messages.create(threadId, { role: "user", content: [] }), "content"],
      [(c) => c.beta.threads.messages.retrieve("m n", { thread_id: threadId }), "message_id"],
    ];
    for (const [call, param] of cases) {
      const error = await refusedWithoutUpstream(() => call(sdk()));
      expect(error, param).toBeInstanceOf(BadRequestError);
      expect((error as BadRequestError).param, (error as Error).message).toBe(param);
      expect((error as BadRequestError).message).toContain(`${param}: `);
    }
  });

  it("a body that is not a JSON object is the upstream's 400, on every new route that reads one", async () => {
    for (const path of [
      "/assistants",
      `/assistants/${assistantId}`,
      "/threads",
      `/threads/${threadId}`,
      `/threads/${threadId}/messages`,
    ]) {
      for (const body of ["{", "[1]", '"text"'])
        await refusedWithoutUpstream(async () => {
          const response = await gatewayFetch(`${GATEWAY}/v1${path}`, {
            method: "POST",
            body,
            headers: { "content-type": "application/json", authorization: "Bearer x" },
          });
          expect(response.status, `${path} ${body}`).toBe(400);
          const { error } = (await response.json()) as { error: { type: string; message: string } };
          expect(error.type).toBe("invalid_request_error");
          throw new Error(error.message);
        });
    }
  });
});

// Last, since these reach the upstream: the limits themselves are accepted.
describe("the limits themselves are accepted", () => {
  it("name 256, description 512, instructions 256000, 128 tools, 16 metadata pairs of 64/512 characters", async () => {
    const metadata = { ...pairs(15), ["k".repeat(64)]: "v".repeat(512) };
    const assistant = await runcast.assistants.create.mutate({
      model: "gpt-4o",
      name: "n".repeat(256),
      description: "d".repeat(512),
      instructions: "i".repeat(256_000),
      tools: [WEATHER_TOOL, ...functions(127)],
      metadata,
      temperature: 2,
      top_p: 1,
    });
    expect(assistant.tools).toHaveLength(128);
    expect(assistant).toMatchObject({ name: "n".repeat(256), metadata, temperature: 2 });
    const many = Array.from({ length: 32 }, (_, i) => ({ role: "user" as const, content: `m${i}` }));
    const thread = await runcast.threads.create.mutate({ messages: many, metadata });
    expect((await runcast.threads.messages.list.query({ thread_id: thread.id, limit: 100 })).data).toHaveLength(32);
  });
});
