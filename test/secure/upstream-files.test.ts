// The upstream account's files and vector stores: every input field that names one (image_file content parts, message
// attachments, tool_resources at run and thread level) needs runcast:override, over tRPC and REST alike, and a refusal
// makes no upstream call; with the scope the field reaches the upstream unchanged.
import OpenAI from "openai";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { emulatorSdk, resetEmulatorSettings } from "../helpers/emulator";
import { emulatorGet, rejection, rpcError, waitForRun, type RuncastError } from "../helpers/runcast";
import { jwt, restAs, rpcAs, uniqueTenant, upstreamUntouchedBy } from "../helpers/secure";
import { API_KEYS } from "./fixtures";

afterEach(async () => {
  await resetEmulatorSettings();
});

const FILE_ID = "file-abc123";
/** A user message showing an upstream file by id: the upstream reads that file on the gateway's key. */
const imageMessage = {
  role: "user" as const,
  content: [
    { type: "text" as const, text: "What is in this image?" },
    { type: "image_file" as const, image_file: { file_id: FILE_ID } },
  ],
};
const attachments = [{ file_id: FILE_ID, tools: [{ type: "file_search" as const }] }];

let assistantId: string;
let acmeToken: string;
let acme: ReturnType<typeof rpcAs>;
/** acme's own thread, created through Runcast, with its first run finished. */
let threadId: string;

beforeAll(async () => {
  assistantId = (
    await emulatorSdk().beta.assistants.create({ model: "gpt-4o", name: "Plain", instructions: "Answer briefly." })
  ).id;
  acmeToken = await jwt({ sub: uniqueTenant("acme") });
  acme = rpcAs(acmeToken);
  const run = await acme.runs.createThreadAndRun.mutate({
    assistant_id: assistantId,
    thread: { messages: [{ role: "user", content: "Hello" }] },
  });
  threadId = run.thread_id;
  await waitForRun(run.thread_id, run.id);
});

/** FORBIDDEN (403) whose message starts with exactly these field paths and names the scope. */
function expectForbidden(error: RuncastError | undefined, fields: string) {
  expect(error?.data?.code, error?.message).toBe("FORBIDDEN");
  expect(error?.data?.httpStatus).toBe(403);
  expect(error?.message.startsWith(`${fields}: `), error?.message).toBe(true);
  expect(error?.message).toContain("runcast:override");
}

describe("image_file content parts need runcast:override", () => {
  it("tRPC: runs.create's additional_messages and createThreadAndRun's thread.messages are FORBIDDEN naming the field, with no upstream call", async () => {
    let create: RuncastError | undefined;
    let threadAndRun: RuncastError | undefined;
    const untouched = await upstreamUntouchedBy(async () => {
      create = await rpcError(
        acme.runs.create.mutate({
          thread_id: threadId,
          assistant_id: assistantId,
          additional_messages: [imageMessage],
        }),
      );
      threadAndRun = await rpcError(
        acme.runs.createThreadAndRun.mutate({ assistant_id: assistantId, thread: { messages: [imageMessage] } }),
      );
    });
    expect(untouched).toBe(true);
    expectForbidden(create, "additional_messages[].content[].image_file");
    expectForbidden(threadAndRun, "thread.messages[].content[].image_file");
  });

  it("REST (/v1): both creations are a 403 PermissionDeniedError naming the field, with no upstream call", async () => {
    const sdk = restAs(acmeToken);
    const refusals: unknown[] = [];
    const untouched = await upstreamUntouchedBy(async () => {
      refusals.push(
        await rejection(
          sdk.beta.threads.runs.create(threadId, { assistant_id: assistantId, additional_messages: [imageMessage] }),
        ),
      );
      refusals.push(
        await rejection(
          sdk.beta.threads.createAndRun({ assistant_id: assistantId, thread: { messages: [imageMessage] } }),
        ),
      );
    });
    expect(untouched).toBe(true);
    const [create, threadAndRun] = refusals as InstanceType<typeof OpenAI.PermissionDeniedError>[];
    for (const error of [create, threadAndRun]) {
      expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect(error?.status).toBe(403);
    }
    expect(create?.message).toMatch(/additional_messages\[\]\.content\[\]\.image_file: /);
    expect(threadAndRun?.message).toMatch(/thread\.messages\[\]\.content\[\]\.image_file: /);
  });

  it("an API key without the scope is refused the same way; text and image_url parts alone need no scope", async () => {
    const error = await rpcError(
      rpcAs(API_KEYS.acme).runs.createThreadAndRun.mutate({
        assistant_id: assistantId,
        thread: { messages: [imageMessage] },
      }),
    );
    expectForbidden(error, "thread.messages[].content[].image_file");
    const plain = await acme.runs.create.mutate({
      thread_id: threadId,
      assistant_id: assistantId,
      additional_messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Describe" },
            { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
          ],
        },
      ],
    });
    await waitForRun(threadId, plain.id);
  });
});

describe("every field naming the account's files or vector stores", () => {
  it("is named in the refusal, all of them at once, together with any override", async () => {
    let error: RuncastError | undefined;
    const untouched = await upstreamUntouchedBy(async () => {
      error = await rpcError(
        acme.runs.createThreadAndRun.mutate({
          assistant_id: assistantId,
          model: "gpt-4o-mini",
          tool_resources: { code_interpreter: { file_ids: [FILE_ID] } },
          thread: {
            tool_resources: { file_search: { vector_store_ids: ["vs_abc123"] } },
            messages: [{ ...imageMessage, attachments }],
          },
        }),
      );
    });
    expect(untouched).toBe(true);
    expectForbidden(
      error,
      "model, tool_resources, thread.tool_resources, thread.messages[].attachments, thread.messages[].content[].image_file",
    );
    const onThread = await rpcError(
      acme.runs.create.mutate({
        thread_id: threadId,
        assistant_id: assistantId,
        additional_messages: [{ role: "user", content: "Read this", attachments }, imageMessage],
      }),
    );
    expectForbidden(onThread, "additional_messages[].attachments, additional_messages[].content[].image_file");
  });
});

describe("with runcast:override", () => {
  it("globex's image_file parts reach the upstream unchanged, over tRPC and REST", async () => {
    const globex = rpcAs(API_KEYS.globex);
    const run = await globex.runs.createThreadAndRun.mutate({
      assistant_id: assistantId,
      thread: { messages: [imageMessage] },
    });
    await waitForRun(run.thread_id, run.id);
    const next = await restAs(API_KEYS.globex).beta.threads.runs.create(run.thread_id, {
      assistant_id: assistantId,
      additional_messages: [imageMessage],
    });
    await waitForRun(run.thread_id, next.id);
    const messages = await emulatorGet<{
      data: Array<{ role: string; content: Array<{ type: string; image_file?: { file_id: string } }> }>;
    }>(`/threads/${run.thread_id}/messages?order=asc`);
    const shown = messages.data
      .filter((message) => message.role === "user")
      .map((message) => message.content.find((part) => part.type === "image_file")?.image_file?.file_id);
    expect(shown).toEqual([FILE_ID, FILE_ID]);
  });
});
