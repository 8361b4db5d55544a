// Assistants, threads and messages through the typed tRPC client: what each procedure answers is what the emulator holds,
// upstream failures come back as the codes a frontend acts on, and writes are never retried while reads are.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { GatewayEnv } from "../src/env";
import { WEATHER_TOOL, resetEmulatorSettings, setEmulatorSettings } from "./helpers/emulator";
import {
  SLOW_RUN,
  TERMINAL_STATUSES,
  emulatorGet,
  emulatorSettings,
  rpcError,
  runcastClient,
  sleep,
} from "./helpers/runcast";

const runcast = runcastClient();
const owners = (env as GatewayEnv).THREAD_OWNER;
const ownerOf = (threadId: string) => owners.get(owners.idFromName(threadId)).owner();

afterEach(async () => {
  await resetEmulatorSettings();
});

const textOf = (message: { content: Array<{ type: string; text?: { value: string } }> }) =>
  message.content.map((part) => part.text?.value ?? "").join("");

/** Retrieves a run through the gateway until it is over. */
async function settled(threadId: string, runId: string) {
  for (let i = 0; i < 400; i++) {
    const run = await runcast.runs.retrieve.query({ thread_id: threadId, run_id: runId });
    if (TERMINAL_STATUSES.includes(run.status) || run.status === "requires_action") return run;
    await sleep(25);
  }
  throw new Error(`run ${runId} never settled`);
}

describe("assistants", () => {
  it("create, retrieve, update, list and delete: each answer is the object the emulator holds", async () => {
    const created = await runcast.assistants.create.mutate({
      model: "gpt-4o",
      name: "Forecaster",
      description: "Says what the weather does",
      instructions: "Answer briefly.",
      tools: [WEATHER_TOOL, { type: "code_interpreter" }],
      metadata: { team: "weather" },
      temperature: 0.5,
      top_p: 0.8,
      response_format: { type: "json_object" },
    });
    expect(created).toMatchObject({
      object: "assistant",
      model: "gpt-4o",
      name: "Forecaster",
      description: "Says what the weather does",
      tools: [WEATHER_TOOL, { type: "code_interpreter" }],
      metadata: { team: "weather" },
      temperature: 0.5,
      top_p: 0.8,
      response_format: { type: "json_object" },
    });
    expect(created).toEqual(await emulatorGet(`/assistants/${created.id}`));
    expect(await runcast.assistants.retrieve.query({ assistant_id: created.id })).toEqual(created);

    const updated = await runcast.assistants.update.mutate({
      assistant_id: created.id,
      name: "Forecaster 2",
      metadata: { team: "weather", version: "2" },
    });
    expect(updated).toMatchObject({
      id: created.id,
      name: "Forecaster 2",
      metadata: { version: "2" },
      model: "gpt-4o",
    });
    expect(updated).toEqual(await emulatorGet(`/assistants/${created.id}`));

    const page = await runcast.assistants.list.query({ limit: 5 });
    expect(page.data[0]).toEqual(updated);

    expect(await runcast.assistants.delete.mutate({ assistant_id: created.id })).toEqual({
      id: created.id,
      object: "assistant.deleted",
      deleted: true,
    });
    const gone = await rpcError(runcast.assistants.retrieve.query({ assistant_id: created.id }));
    expect(gone.data?.code).toBe("NOT_FOUND");
    expect(gone.message).toBe(`No assistant found with id '${created.id}'.`);
    expect((await rpcError(runcast.assistants.delete.mutate({ assistant_id: created.id }))).data?.code).toBe(
      "NOT_FOUND",
    );
  });

  it("writes are never retried (a failed create makes no assistant); reads retry past one failure", async () => {
    const before = (await runcast.assistants.list.query({ limit: 100 })).data.length;
    await setEmulatorSettings({ http_errors: { status: 500, count: 1, retry_after: 0 } });
    const failed = await rpcError(runcast.assistants.create.mutate({ model: "gpt-4o", name: "Never twice" }));
    expect(failed.data?.code).toBe("BAD_GATEWAY");
    expect((await emulatorSettings()).http_errors).toBeNull();
    expect((await runcast.assistants.list.query({ limit: 100 })).data).toHaveLength(before);

    const kept = await runcast.assistants.create.mutate({ model: "gpt-4o", name: "Read twice" });
    await setEmulatorSettings({ http_errors: { status: 500, count: 1, retry_after: 0 } });
    expect(await runcast.assistants.retrieve.query({ assistant_id: kept.id })).toEqual(kept);
    expect((await emulatorSettings()).http_errors).toBeNull();
  });

  it("Azure's tool types pass Runcast's checks and reach the upstream, whose Assistants API refuses them", async () => {
    const before = (await runcast.assistants.list.query({ limit: 100 })).data.length;
    const refused = await rpcError(
      runcast.assistants.create.mutate({ model: "gpt-4o", tools: [{ type: "bing_grounding" } as never] }),
    );
    expect(refused.data?.code).toBe("BAD_REQUEST");
    expect(refused.data?.upstream).toMatchObject({ status: 400 });
    expect((await runcast.assistants.list.query({ limit: 100 })).data).toHaveLength(before);
  });
});

describe("threads and messages", () => {
  it("a thread's whole life: created with messages and metadata, read, changed, written to, run, deleted", async () => {
    const assistant = await runcast.assistants.create.mutate({ model: "gpt-4o", instructions: "Answer briefly." });
    const thread = await runcast.threads.create.mutate({
      messages: [
        { role: "user", content: "Tell me about harbours", metadata: { turn: "1" } },
        { role: "assistant", content: [{ type: "text", text: "Gladly." }] },
      ],
      metadata: { customer: "c-42" },
    });
    expect(thread).toMatchObject({ object: "thread", metadata: { customer: "c-42" } });
    expect(thread).toEqual(await emulatorGet(`/threads/${thread.id}`));
    // Created through Runcast: the gateway's tenant owns it (`none` mode's developer).
    expect(await ownerOf(thread.id)).toBe("developer");
    expect(await runcast.threads.retrieve.query({ thread_id: thread.id })).toEqual(thread);

    const updated = await runcast.threads.update.mutate({ thread_id: thread.id, metadata: { customer: "c-43" } });
    expect(updated).toEqual({ ...thread, metadata: { customer: "c-43" } });
    expect(updated).toEqual(await emulatorGet(`/threads/${thread.id}`));

    const added = await runcast.threads.messages.create.mutate({
      thread_id: thread.id,
      role: "user",
      content: "And lighthouses?",
      metadata: { turn: "3" },
    });
    expect(added).toMatchObject({
      object: "thread.message",
      thread_id: thread.id,
      role: "user",
      metadata: { turn: "3" },
    });
    expect(textOf(added)).toBe("And lighthouses?");
    expect(await runcast.threads.messages.retrieve.query({ thread_id: thread.id, message_id: added.id })).toEqual(
      added,
    );
    const listed = await runcast.threads.messages.list.query({ thread_id: thread.id, order: "asc" });
    expect(listed.data.map(textOf)).toEqual(["Tell me about harbours", "Gladly.", "And lighthouses?"]);
    expect(listed).toEqual(await emulatorGet(`/threads/${thread.id}/messages?order=asc`));

    const run = await runcast.runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
    expect((await settled(thread.id, run.id)).status).toBe("completed");
    const [reply] = (await runcast.threads.messages.list.query({ thread_id: thread.id, run_id: run.id })).data;
    expect(textOf(reply!)).toMatch(/^You said: "And lighthouses\?"\./);

    expect(await runcast.threads.delete.mutate({ thread_id: thread.id })).toEqual({
      id: thread.id,
      object: "thread.deleted",
      deleted: true,
    });
    // The owner record went with it, and the thread answers as one that never existed.
    expect(await ownerOf(thread.id)).toBeNull();
    const gone = await rpcError(runcast.threads.retrieve.query({ thread_id: thread.id }));
    expect(gone.data?.code).toBe("NOT_FOUND");
    expect(gone.message).toBe(`No thread found with id '${thread.id}'.`);
  });

  it("the upstream's refusals come back as codes: a message while a run is active, an unknown message", async () => {
    const assistant = await runcast.assistants.create.mutate({ model: "gpt-4o" });
    const thread = await runcast.threads.create.mutate({ messages: [{ role: "user", content: "Hi" }] });
    const run = await runcast.runs.create.mutate({
      thread_id: thread.id,
      assistant_id: assistant.id,
      metadata: SLOW_RUN,
    });
    const locked = await rpcError(
      runcast.threads.messages.create.mutate({ thread_id: thread.id, role: "user", content: "Me too" }),
    );
    expect(locked.data?.code).toBe("BAD_REQUEST");
    expect(locked.message).toContain(run.id);
    await runcast.runs.cancel.mutate({ thread_id: thread.id, run_id: run.id });

    const unknown = await rpcError(
      runcast.threads.messages.retrieve.query({ thread_id: thread.id, message_id: "msg_doesnotexist" }),
    );
    expect(unknown.data?.code).toBe("NOT_FOUND");
    expect(unknown.message).toContain("msg_doesnotexist");
    expect((await emulatorGet<{ data: unknown[] }>(`/threads/${thread.id}/messages`)).data).toHaveLength(1);
  });

  it("a thread created with no input at all is empty, owned, and listable", async () => {
    const thread = await runcast.threads.create.mutate({});
    expect(thread).toMatchObject({ object: "thread", metadata: {} });
    expect(await ownerOf(thread.id)).toBe("developer");
    expect((await runcast.threads.messages.list.query({ thread_id: thread.id })).data).toEqual([]);
  });
});
