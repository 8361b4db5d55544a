// Threads and messages under tenancy: a thread created through threads.create (tRPC or REST) belongs to its creator's
// tenant; for anyone else every thread and message call is NOT_FOUND worded as for a thread that does not exist, before
// anything reaches the upstream; admins reach all. Deleting a thread forgets its owner. Files need runcast:override.
import { env } from "cloudflare:workers";
import { NotFoundError, PermissionDeniedError } from "openai";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { GatewayEnv } from "../../src/env";
import { emulatorSdk, resetEmulatorSettings } from "../helpers/emulator";
import { emulatorGet, rejection, rpcError, type RuncastError } from "../helpers/runcast";
import { jwt, restAs, rpcAs, uniqueTenant, upstreamUntouchedBy } from "../helpers/secure";
import { API_KEYS } from "./fixtures";

afterEach(async () => {
  await resetEmulatorSettings();
});

type Client = ReturnType<typeof rpcAs>;
const owners = (env as GatewayEnv).THREAD_OWNER;
const ownerOf = (threadId: string) => owners.get(owners.idFromName(threadId)).owner();

const ACME = uniqueTenant("acme");
let acme: Client;
let acmeToken: string;
const globex = rpcAs(API_KEYS.globex);
const admin = rpcAs(API_KEYS.admin);
/** acme's thread, made with threads.create, and its first message. */
let T: string;
let M: string;
const UNKNOWN_THREAD = `thread_unknown${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;

beforeAll(async () => {
  acmeToken = await jwt({ sub: ACME });
  acme = rpcAs(acmeToken);
  const thread = await acme.threads.create.mutate({
    messages: [{ role: "user", content: "My private question" }],
    metadata: { owner: "acme" },
  });
  T = thread.id;
  M = (await acme.threads.messages.list.query({ thread_id: T })).data[0]!.id;
});

/** Every thread-scoped procedure this change adds, on `threadId`. */
const procedures: Array<[string, (client: Client, threadId: string) => Promise<unknown>]> = [
  ["threads.retrieve", (c, t) => c.threads.retrieve.query({ thread_id: t })],
  ["threads.update", (c, t) => c.threads.update.mutate({ thread_id: t, metadata: { taken: "yes" } })],
  ["threads.delete", (c, t) => c.threads.delete.mutate({ thread_id: t })],
  ["threads.messages.create", (c, t) => c.threads.messages.create.mutate({ thread_id: t, role: "user", content: "x" })],
  ["threads.messages.retrieve", (c, t) => c.threads.messages.retrieve.query({ thread_id: t, message_id: M })],
];

function expectHidden(error: RuncastError, threadId: string) {
  expect(error.data?.code).toBe("NOT_FOUND");
  expect(error.message).toBe(`No thread found with id '${threadId}'.`);
  expect(JSON.stringify(error.shape)).not.toMatch(/private question|"acme"/);
}

describe("a thread created through threads.create is its creator's", () => {
  it("the creating tenant owns it and can read, change and write to it", async () => {
    expect(await ownerOf(T)).toBe(ACME);
    expect(await acme.threads.retrieve.query({ thread_id: T })).toMatchObject({ id: T, metadata: { owner: "acme" } });
    expect((await acme.threads.messages.retrieve.query({ thread_id: T, message_id: M })).id).toBe(M);
  });

  it.each(procedures)(
    "%s: another tenant gets NOT_FOUND as for an unknown thread, and the upstream is untouched",
    async (_name, call) => {
      let foreign: RuncastError | undefined;
      expect(await upstreamUntouchedBy(async () => (foreign = await rpcError(call(globex, T))))).toBe(true);
      expectHidden(foreign!, T);
      const unknown = await rpcError(call(globex, UNKNOWN_THREAD));
      expectHidden(unknown, UNKNOWN_THREAD);
      // The thread is as acme left it.
      expect(await emulatorGet(`/threads/${T}`)).toMatchObject({ metadata: { owner: "acme" } });
      expect((await emulatorGet<{ data: unknown[] }>(`/threads/${T}/messages`)).data).toHaveLength(1);
      expect((await rpcError(call(rpcAs(), T))).data?.code).toBe("UNAUTHORIZED");
    },
  );

  it("admins reach it; a thread not created through Runcast is the admins' only", async () => {
    expect((await admin.threads.retrieve.query({ thread_id: T })).id).toBe(T);
    const outside = await emulatorSdk().beta.threads.create({ messages: [{ role: "user", content: "elsewhere" }] });
    expectHidden(await rpcError(acme.threads.retrieve.query({ thread_id: outside.id })), outside.id);
    expect((await admin.threads.retrieve.query({ thread_id: outside.id })).id).toBe(outside.id);
    expect(await ownerOf(outside.id)).toBeNull();
  });

  it("over REST: a thread the SDK creates is the caller's; another tenant's SDK gets NotFoundError", async () => {
    const mine = restAs(acmeToken);
    const thread = await mine.beta.threads.create({ messages: [{ role: "user", content: "Over REST" }] });
    expect(await ownerOf(thread.id)).toBe(ACME);
    const theirs = restAs(API_KEYS.globex);
    for (const call of [
      () => theirs.beta.threads.retrieve(thread.id),
      () => theirs.beta.threads.delete(thread.id),
      () => theirs.beta.threads.messages.create(thread.id, { role: "user", content: "x" }),
      () => theirs.beta.threads.messages.list(thread.id),
    ])
      expect(await rejection(call())).toBeInstanceOf(NotFoundError);
    expect((await mine.beta.threads.messages.list(thread.id)).data).toHaveLength(1);
  });
});

describe("deleting a thread", () => {
  it("only its owner (or an admin) may; the owner record goes with it, and the thread is then nobody's", async () => {
    const thread = await acme.threads.create.mutate({});
    expectHidden(await rpcError(globex.threads.delete.mutate({ thread_id: thread.id })), thread.id);
    expect(await emulatorGet(`/threads/${thread.id}`)).toMatchObject({ id: thread.id });

    expect(await acme.threads.delete.mutate({ thread_id: thread.id })).toEqual({
      id: thread.id,
      object: "thread.deleted",
      deleted: true,
    });
    expect(await ownerOf(thread.id)).toBeNull();
    expectHidden(await rpcError(acme.threads.retrieve.query({ thread_id: thread.id })), thread.id);
    expect((await rpcError(admin.threads.retrieve.query({ thread_id: thread.id }))).data?.code).toBe("NOT_FOUND");
  });
});

describe("the account's files need runcast:override", () => {
  const forbidden: Array<[string, (client: Client) => Promise<unknown>, string]> = [
    [
      "threads.create with tool_resources",
      (c) => c.threads.create.mutate({ tool_resources: { code_interpreter: { file_ids: ["file_private"] } } }),
      "tool_resources",
    ],
    [
      "threads.create with an attachment",
      (c) =>
        c.threads.create.mutate({
          messages: [{ role: "user", content: "read", attachments: [{ file_id: "file_private" }] }],
        }),
      "messages[].attachments",
    ],
    [
      "threads.update with tool_resources",
      (c) => c.threads.update.mutate({ thread_id: T, tool_resources: { file_search: { vector_store_ids: ["vs_x"] } } }),
      "tool_resources",
    ],
    [
      "messages.create with an image file",
      (c) =>
        c.threads.messages.create.mutate({
          thread_id: T,
          role: "user",
          content: [{ type: "image_file", image_file: { file_id: "file_private" } }],
        }),
      "content[].image_file",
    ],
    [
      "messages.create with an attachment",
      (c) =>
        c.threads.messages.create.mutate({
          thread_id: T,
          role: "user",
          content: "read",
          attachments: [{ file_id: "file_private", tools: [{ type: "file_search" }] }],
        }),
      "attachments",
    ],
  ];

  it.each(forbidden)("%s: FORBIDDEN naming the field, upstream untouched", async (_name, call, field) => {
    let error: RuncastError | undefined;
    expect(await upstreamUntouchedBy(async () => (error = await rpcError(call(acme))))).toBe(true);
    expect(error!.data?.code).toBe("FORBIDDEN");
    expect(error!.message).toMatch(new RegExp(`^${field.replace(/[[\]]/g, "\\$&")}: .*runcast:override`));
  });

  it("over REST the same is PermissionDeniedError", async () => {
    const error = await rejection(
      restAs(acmeToken).beta.threads.messages.create(T, {
        role: "user",
        content: "read",
        attachments: [{ file_id: "file_private", tools: [{ type: "file_search" }] }],
      }),
    );
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect((await emulatorGet<{ data: unknown[] }>(`/threads/${T}/messages`)).data).toHaveLength(1);
  });

  it("with runcast:override the same inputs go through", async () => {
    const thread = await globex.threads.create.mutate({
      tool_resources: { code_interpreter: { file_ids: ["file_shared"] } },
      messages: [{ role: "user", content: "read", attachments: [{ file_id: "file_shared" }] }],
    });
    expect(thread.tool_resources).toEqual({ code_interpreter: { file_ids: ["file_shared"] } });
    const message = await globex.threads.messages.create.mutate({
      thread_id: thread.id,
      role: "user",
      content: [{ type: "image_file", image_file: { file_id: "file_shared" } }],
    });
    expect(message.content[0]).toMatchObject({ type: "image_file", image_file: { file_id: "file_shared" } });
  });
});
