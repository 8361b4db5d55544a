// An Assistants app written for the official `openai` SDK, pointed at Runcast's /v1 and nothing else: it makes its
// assistant and thread, talks, answers a tool call while streaming, polls, cancels, pages, and cleans up. Every object it
// gets is the one the emulator holds, and every failure is the error class the SDK raises against the upstream.
import OpenAI, { BadRequestError, NotFoundError } from "openai";
import type { AssistantStreamEvent } from "openai/resources/beta/assistants";
import { afterEach, describe, expect, it } from "vitest";
import { GATEWAY, TIME_TOOL, WEATHER_TOOL, gatewayFetch, resetEmulatorSettings } from "./helpers/emulator";
import { SLOW_RUN, heldGet, rejection, restSdk, waitForRun } from "./helpers/runcast";

afterEach(async () => {
  await resetEmulatorSettings();
});

const textOf = (message: OpenAI.Beta.Threads.Message) =>
  message.content.map((part) => (part.type === "text" ? part.text.value : "")).join("");

describe("an Assistants app on Runcast's /v1", () => {
  it("assistants: create, retrieve, update, list (auto-paginated) and delete", async () => {
    const client = restSdk();
    const assistant = await client.beta.assistants.create({
      model: "gpt-4o",
      name: "Concierge",
      description: "Finds weather and times",
      instructions: "Answer briefly.",
      tools: [WEATHER_TOOL, TIME_TOOL],
      metadata: { app: "flow" },
    });
    expect(assistant).toMatchObject({ object: "assistant", name: "Concierge", tools: [WEATHER_TOOL, TIME_TOOL] });
    expect(assistant).toEqual(await heldGet(`/assistants/${assistant.id}`));
    expect(await client.beta.assistants.retrieve(assistant.id)).toEqual(assistant);

    const updated = await client.beta.assistants.update(assistant.id, {
      instructions: "Answer in one line.",
      metadata: { app: "flow", rev: "2" },
    });
    expect(updated).toEqual({ ...assistant, instructions: "Answer in one line.", metadata: { app: "flow", rev: "2" } });
    expect(updated).toEqual(await heldGet(`/assistants/${assistant.id}`));

    const extra = await client.beta.assistants.create({ model: "gpt-4o", name: "Second" });
    const seen: string[] = [];
    for await (const item of client.beta.assistants.list({ limit: 1 })) {
      seen.push(item.id);
      if (seen.length === 2) break;
    }
    // Newest first, one per page: the SDK followed `after` from page to page.
    expect(seen).toEqual([extra.id, assistant.id]);

    expect(await client.beta.assistants.delete(extra.id)).toEqual({
      id: extra.id,
      object: "assistant.deleted",
      deleted: true,
    });
    const error = await rejection(client.beta.assistants.retrieve(extra.id));
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).message).toContain(`No assistant found with id '${extra.id}'.`);
  });

  it("threads and messages: create with messages and metadata, retrieve, update, add, list, retrieve, delete", async () => {
    const client = restSdk();
    const thread = await client.beta.threads.create({
      messages: [
        { role: "user", content: "Plan my trip", metadata: { step: "1" } },
        { role: "assistant", content: "Where to?" },
      ],
      metadata: { user: "u-7" },
    });
    expect(thread).toMatchObject({ object: "thread", metadata: { user: "u-7" } });
    expect(thread).toEqual(await heldGet(`/threads/${thread.id}`));
    expect(await client.beta.threads.retrieve(thread.id)).toEqual(thread);
    const updated = await client.beta.threads.update(thread.id, { metadata: { user: "u-7", plan: "lisbon" } });
    expect(updated.metadata).toEqual({ user: "u-7", plan: "lisbon" });

    const message = await client.beta.threads.messages.create(thread.id, { role: "user", content: "Lisbon, in May" });
    expect(message).toMatchObject({ object: "thread.message", thread_id: thread.id, role: "user" });
    expect(await client.beta.threads.messages.retrieve(message.id, { thread_id: thread.id })).toEqual(message);
    const all: OpenAI.Beta.Threads.Message[] = [];
    for await (const item of client.beta.threads.messages.list(thread.id, { limit: 2, order: "asc" })) all.push(item);
    expect(all.map(textOf)).toEqual(["Plan my trip", "Where to?", "Lisbon, in May"]);
    expect(all[0]!.metadata).toEqual({ step: "1" });

    expect(await client.beta.threads.delete(thread.id)).toEqual({
      id: thread.id,
      object: "thread.deleted",
      deleted: true,
    });
    expect(await rejection(client.beta.threads.retrieve(thread.id))).toBeInstanceOf(NotFoundError);
    expect(await rejection(client.beta.threads.messages.list(thread.id))).toBeInstanceOf(NotFoundError);
  });

  it("runs: a streamed tool call answered with submitToolOutputsStream, createAndPoll, cancel, and runs.list with for await", async () => {
    const client = restSdk();
    const assistant = await client.beta.assistants.create({ model: "gpt-4o", tools: [WEATHER_TOOL] });
    const thread = await client.beta.threads.create({
      messages: [{ role: "user", content: "What is it like? get_weather Porto" }],
    });

    const events: string[] = [];
    const paused = await client.beta.threads.runs
      .stream(thread.id, { assistant_id: assistant.id })
      .on("event", (event: AssistantStreamEvent) => events.push(event.event))
      .finalRun();
    expect(paused.status).toBe("requires_action");
    expect(events.at(-1)).toBe("thread.run.requires_action");
    const [call] = paused.required_action!.submit_tool_outputs.tool_calls;
    expect(call!.function).toEqual({ name: "get_weather", arguments: JSON.stringify({ city: "Porto" }) });

    let text = "";
    const answered = await client.beta.threads.runs
      .submitToolOutputsStream(paused.id, {
        thread_id: thread.id,
        tool_outputs: [{ tool_call_id: call!.id, output: "22C, clear" }],
      })
      .on("textDelta", (delta) => (text += delta.value ?? ""))
      .finalRun();
    expect(answered).toMatchObject({ id: paused.id, status: "completed" });
    expect(text).toMatch(/^get_weather returned: 22C, clear\./);

    await client.beta.threads.messages.create(thread.id, { role: "user", content: "Thanks" });
    const polled = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id },
      { pollIntervalMs: 10 },
    );
    expect(polled.status).toBe("completed");
    const [reply] = (await client.beta.threads.messages.list(thread.id, { run_id: polled.id })).data;
    expect(textOf(reply!)).toMatch(/^You said: "Thanks"\./);

    const slow = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, metadata: SLOW_RUN });
    // While it runs the thread takes no message: the upstream's own 400, as the SDK would get it there.
    const locked = await rejection(client.beta.threads.messages.create(thread.id, { role: "user", content: "Wait" }));
    expect(locked).toBeInstanceOf(BadRequestError);
    expect((locked as BadRequestError).message).toContain(slow.id);
    const cancelled = await client.beta.threads.runs.cancel(slow.id, { thread_id: thread.id });
    expect(["cancelling", "cancelled"]).toContain(cancelled.status);
    expect((await waitForRun(thread.id, slow.id)).status).toBe("cancelled");

    const runs: string[] = [];
    for await (const run of client.beta.threads.runs.list(thread.id, { limit: 1 })) runs.push(run.id);
    expect(runs).toEqual([slow.id, polled.id, paused.id]);

    await client.beta.threads.delete(thread.id);
    await client.beta.assistants.delete(assistant.id);
    expect(await rejection(client.beta.assistants.retrieve(assistant.id))).toBeInstanceOf(NotFoundError);
  });
});

describe("the REST answers themselves", () => {
  const rest = (method: string, path: string, body?: string) =>
    gatewayFetch(`${GATEWAY}/v1${path}`, {
      method,
      ...(body === undefined ? {} : { body }),
      headers: { "content-type": "application/json", authorization: "Bearer x" },
    });

  it("answers bodies exactly as the emulator holds them, and an unknown route in the upstream's shape", async () => {
    const created = await (await rest("POST", "/assistants", JSON.stringify({ model: "gpt-4o", name: "Raw" }))).json();
    const { id } = created as { id: string };
    expect(await (await rest("GET", `/assistants/${id}`)).json()).toEqual(await heldGet(`/assistants/${id}`));
    const thread = (await (await rest("POST", "/threads")).json()) as { id: string };
    expect(await (await rest("GET", `/threads/${thread.id}`)).json()).toEqual(await heldGet(`/threads/${thread.id}`));

    const unknown = await rest("DELETE", `/threads/${thread.id}/messages`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error: {
        message: `Invalid URL (DELETE /v1/threads/${thread.id}/messages)`,
        type: "invalid_request_error",
        param: null,
        code: null,
        request_id: unknown.headers.get("x-request-id"),
      },
    });
  });

  it("`POST /v1/threads/runs` is still createThreadAndRun, not an update of a thread named `runs`", async () => {
    const assistant = (await (await rest("POST", "/assistants", JSON.stringify({ model: "gpt-4o" }))).json()) as {
      id: string;
    };
    const response = await rest(
      "POST",
      "/threads/runs",
      JSON.stringify({ assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "Hi" }] } }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ object: "thread.run", assistant_id: assistant.id });
  });
});
