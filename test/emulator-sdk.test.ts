// The official openai SDK (v7), unchanged, drives the emulator through its own helpers: polling, AssistantStream,
// tool-output submission and auto-pagination. Each test checks what a caller of the SDK relies on.
import OpenAI from "openai";
import type { Message } from "openai/resources/beta/threads/messages";
import type { Run } from "openai/resources/beta/threads/runs/runs";
import type { FunctionToolCall, RunStep } from "openai/resources/beta/threads/runs/steps";
import { describe, expect, it } from "vitest";
import { createToolAssistant, emulatorRequest, emulatorSdk, plainRunEvents } from "./helpers/emulator";

// The suite runs with EMULATOR_REPLY_WORDS=12 and EMULATOR_DELTA_MS=0 (vitest.config.ts).
const POLL = { pollIntervalMs: 10 };

/** The text of a message's text parts, joined. */
const textOf = (message: Message) =>
  message.content.map((part) => (part.type === "text" ? part.text.value : "")).join("");

const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;

const functionCalls = (step: RunStep): FunctionToolCall[] =>
  step.step_details.type === "tool_calls"
    ? step.step_details.tool_calls.filter((call): call is FunctionToolCall => call.type === "function")
    : [];

async function newThread(client: OpenAI, content: string) {
  return client.beta.threads.create({ messages: [{ role: "user", content }] });
}

async function allSteps(client: OpenAI, run: Run) {
  const steps: RunStep[] = [];
  for await (const step of client.beta.threads.runs.steps.list(run.id, { thread_id: run.thread_id, order: "asc" }))
    steps.push(step);
  return steps;
}

/** Polls `check` until it returns a value, or fails after `ms`. */
async function waitFor<T>(check: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("SDK polling helpers", () => {
  it("createAndPoll completes a plain run with the contract's reply, one message step, and usage equal to the step's", async () => {
    const client = emulatorSdk();
    const assistant = await createToolAssistant(client);
    const thread = await newThread(client, "Hello there");

    const first = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, POLL);
    await client.beta.threads.messages.create(thread.id, { role: "user", content: "How are you today" });
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, POLL);

    expect(first.status).toBe("completed");
    expect(run.status).toBe("completed");
    expect(run.thread_id).toBe(thread.id);
    expect(run.completed_at).toEqual(expect.any(Number));

    const runMessages = await client.beta.threads.messages.list(thread.id, { run_id: run.id });
    expect(runMessages.data).toHaveLength(1);
    const reply = runMessages.data[0]!;
    expect(reply).toMatchObject({
      role: "assistant",
      status: "completed",
      run_id: run.id,
      assistant_id: assistant.id,
      thread_id: thread.id,
    });
    // `You said: "<message>".` padded with filler words to 12 words.
    expect(textOf(reply)).toBe('You said: "How are you today". the quick brown fox jumps over');

    const firstMessages = await client.beta.threads.messages.list(thread.id, { run_id: first.id });
    expect(firstMessages.data.map((message) => message.run_id)).toEqual([first.id]);
    expect(textOf(firstMessages.data[0]!)).toBe('You said: "Hello there". the quick brown fox jumps over the lazy');

    const steps = await allSteps(client, run);
    expect(steps).toHaveLength(1);
    const step = steps[0]!;
    expect(step).toMatchObject({ type: "message_creation", status: "completed", run_id: run.id });
    expect(step.step_details).toEqual({ type: "message_creation", message_creation: { message_id: reply.id } });
    expect(step.usage).not.toBeNull();
    expect(step.usage!.completion_tokens).toBe(12);
    expect(step.usage!.total_tokens).toBe(step.usage!.prompt_tokens + step.usage!.completion_tokens);
    expect(run.usage).toEqual(step.usage);

    // The whole thread: two user messages and two replies, newest first.
    const all = await client.beta.threads.messages.list(thread.id);
    expect(all.data.map((message) => message.role)).toEqual(["assistant", "user", "assistant", "user"]);
  });

  it("createAndRunPoll creates the thread and completes the run", async () => {
    const client = emulatorSdk();
    const assistant = await createToolAssistant(client);
    const run = await client.beta.threads.createAndRunPoll(
      { assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "Polling a new thread" }] } },
      POLL,
    );
    expect(run.status).toBe("completed");
    const thread = await client.beta.threads.retrieve(run.thread_id);
    expect(thread.id).toBe(run.thread_id);
    const messages = await client.beta.threads.messages.list(run.thread_id, { order: "asc" });
    expect(messages.data.map((message) => [message.role, textOf(message)])).toEqual([
      ["user", "Polling a new thread"],
      ["assistant", 'You said: "Polling a new thread". the quick brown fox jumps over'],
    ]);
  });
});

describe("SDK AssistantStream", () => {
  it("runs.stream delivers the reply as text deltas in the documented event order", async () => {
    const client = emulatorSdk();
    const assistant = await createToolAssistant(client);
    const thread = await newThread(client, "Stream this please");

    const events: string[] = [];
    const doneMessages: Message[] = [];
    const doneSteps: RunStep[] = [];
    let text = "";
    const stream = client.beta.threads.runs
      .stream(thread.id, { assistant_id: assistant.id })
      .on("event", (event) => events.push(event.event))
      .on("textDelta", (delta) => (text += delta.value ?? ""))
      .on("messageDone", (message) => doneMessages.push(message))
      .on("runStepDone", (step) => doneSteps.push(step));

    const run = await stream.finalRun();
    const finalMessages = await stream.finalMessages();
    const finalSteps = await stream.finalRunSteps();

    expect(run.status).toBe("completed");
    expect(text).toBe('You said: "Stream this please". the quick brown fox jumps over the');
    // One word per delta (words_per_delta defaults to 1), 12 words.
    expect(events).toEqual(plainRunEvents(12));

    expect(doneMessages).toHaveLength(1);
    const message = doneMessages[0]!;
    expect(message).toMatchObject({ status: "completed", role: "assistant", run_id: run.id });
    expect(textOf(message)).toBe(text);
    expect(finalMessages.map(textOf)).toEqual([text]);
    expect(finalMessages[0]!.id).toBe(message.id);

    expect(doneSteps).toHaveLength(1);
    expect(doneSteps[0]!.step_details).toEqual({
      type: "message_creation",
      message_creation: { message_id: message.id },
    });
    expect(finalSteps.map((step) => step.id)).toEqual([doneSteps[0]!.id]);
    expect(run.usage).toEqual(doneSteps[0]!.usage);

    // What was streamed is what the thread stored.
    const stored = await client.beta.threads.messages.retrieve(message.id, { thread_id: thread.id });
    expect(textOf(stored)).toBe(text);
    expect(stored.status).toBe("completed");
  });

  it("createAndRunStream announces the new thread first and completes the run", async () => {
    const client = emulatorSdk();
    const assistant = await createToolAssistant(client);
    const events: Array<{ event: string; id: string | undefined }> = [];
    let text = "";
    const stream = client.beta.threads
      .createAndRunStream({
        assistant_id: assistant.id,
        thread: { messages: [{ role: "user", content: "Brand new thread" }] },
      })
      .on("event", (event) => events.push({ event: event.event, id: (event.data as { id?: string }).id }))
      .on("textDelta", (delta) => (text += delta.value ?? ""));
    const run = await stream.finalRun();

    expect(events[0]?.event).toBe("thread.created");
    expect(events[0]?.id).toBe(run.thread_id);
    expect(events[1]?.event).toBe("thread.run.created");
    expect(events.at(-1)?.event).toBe("thread.run.completed");
    expect(run.status).toBe("completed");
    expect(text).toBe('You said: "Brand new thread". the quick brown fox jumps over the');

    const thread = await client.beta.threads.retrieve(run.thread_id);
    expect(thread.id).toBe(run.thread_id);
    const retrieved = await client.beta.threads.runs.retrieve(run.id, { thread_id: run.thread_id });
    expect(retrieved.status).toBe("completed");
  });
});

describe("SDK tool calls", () => {
  const WEATHER_AND_TIME = "Please get_weather Paris. Then get_time Tokyo.";

  it("streams parallel tool calls, rejects a partial submission, and completes after submitToolOutputsStream", async () => {
    const client = emulatorSdk();
    const assistant = await createToolAssistant(client);
    const thread = await newThread(client, WEATHER_AND_TIME);

    const created: string[] = [];
    const done: FunctionToolCall[] = [];
    const firstEvents: string[] = [];
    const stream = client.beta.threads.runs
      .stream(thread.id, { assistant_id: assistant.id })
      .on("event", (event) => firstEvents.push(event.event))
      .on("toolCallCreated", (call) => created.push(call.type === "function" ? call.function.name : call.type))
      .on("toolCallDone", (call) => {
        if (call.type === "function") done.push(call);
      });
    const paused = await stream.finalRun();

    expect(paused.status).toBe("requires_action");
    expect(firstEvents.at(-1)).toBe("thread.run.requires_action");
    expect(firstEvents).not.toContain("thread.message.created");
    const calls = paused.required_action!.submit_tool_outputs.tool_calls;
    expect(calls.map((call) => call.function.name)).toEqual(["get_weather", "get_time"]);
    expect(JSON.parse(calls[0]!.function.arguments)).toEqual({ city: "Paris" });
    expect(JSON.parse(calls[1]!.function.arguments)).toEqual({ city: "Tokyo" });
    expect(new Set(calls.map((call) => call.id)).size).toBe(2);

    // The helper's tool-call events carry the same calls, with arguments fully accumulated from the deltas.
    expect(created).toEqual(["get_weather", "get_time"]);
    expect(done.map((call) => [call.id, call.function.name, JSON.parse(call.function.arguments)])).toEqual(
      calls.map((call) => [call.id, call.function.name, JSON.parse(call.function.arguments)]),
    );

    // Outputs for only one of the two calls: 400, and the run keeps waiting.
    const partial = client.beta.threads.runs.submitToolOutputs(paused.id, {
      thread_id: thread.id,
      tool_outputs: [{ tool_call_id: calls[0]!.id, output: "18C and sunny" }],
    });
    await expect(partial).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(partial).rejects.toMatchObject({ status: 400, type: "invalid_request_error" });
    const stillWaiting = await client.beta.threads.runs.retrieve(paused.id, { thread_id: thread.id });
    expect(stillWaiting.status).toBe("requires_action");
    expect(stillWaiting.required_action!.submit_tool_outputs.tool_calls.map((call) => call.id)).toEqual(
      calls.map((call) => call.id),
    );

    const resumedEvents: string[] = [];
    let text = "";
    const resumed = client.beta.threads.runs
      .submitToolOutputsStream(paused.id, {
        thread_id: thread.id,
        tool_outputs: [
          { tool_call_id: calls[0]!.id, output: "18C and sunny" },
          { tool_call_id: calls[1]!.id, output: "14:05" },
        ],
      })
      .on("event", (event) => resumedEvents.push(event.event))
      .on("textDelta", (delta) => (text += delta.value ?? ""));
    const run = await resumed.finalRun();

    expect(run.status).toBe("completed");
    expect(run.id).toBe(paused.id);
    expect(text).toBe("get_weather returned: 18C and sunny. get_time returned: 14:05. the quick brown fox");
    expect(resumedEvents.slice(0, 3)).toEqual([
      "thread.run.step.completed",
      "thread.run.queued",
      "thread.run.in_progress",
    ]);
    expect(resumedEvents).not.toContain("thread.run.created");
    expect(resumedEvents.at(-1)).toBe("thread.run.completed");

    const steps = await allSteps(client, run);
    expect(steps.map((step) => [step.type, step.status])).toEqual([
      ["tool_calls", "completed"],
      ["message_creation", "completed"],
    ]);
    expect(functionCalls(steps[0]!).map((call) => [call.id, call.function.name, call.function.output])).toEqual([
      [calls[0]!.id, "get_weather", "18C and sunny"],
      [calls[1]!.id, "get_time", "14:05"],
    ]);
    const [reply] = (await client.beta.threads.messages.list(thread.id, { run_id: run.id })).data;
    expect(steps[1]!.step_details).toEqual({ type: "message_creation", message_creation: { message_id: reply!.id } });
    expect(textOf(reply!)).toBe(text);

    // The run's usage is the sum of its two steps'.
    const sum = (key: "prompt_tokens" | "completion_tokens" | "total_tokens") =>
      steps.reduce((total, step) => total + step.usage![key], 0);
    expect(run.usage).toEqual({
      prompt_tokens: sum("prompt_tokens"),
      completion_tokens: sum("completion_tokens"),
      total_tokens: sum("total_tokens"),
    });
  });

  it("submitToolOutputsAndPoll resumes a polled requires_action run to completion", async () => {
    const client = emulatorSdk();
    const assistant = await createToolAssistant(client);
    const thread = await newThread(client, WEATHER_AND_TIME);

    const paused = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, POLL);
    expect(paused.status).toBe("requires_action");
    const calls = paused.required_action!.submit_tool_outputs.tool_calls;
    expect(calls.map((call) => call.function.name)).toEqual(["get_weather", "get_time"]);

    const run = await client.beta.threads.runs.submitToolOutputsAndPoll(
      paused.id,
      {
        thread_id: thread.id,
        tool_outputs: calls.map((call, index) => ({ tool_call_id: call.id, output: ["rainy", "noon"][index]! })),
      },
      POLL,
    );
    expect(run.status).toBe("completed");
    expect(run.required_action).toBeNull();
    const [reply] = (await client.beta.threads.messages.list(thread.id, { run_id: run.id })).data;
    expect(textOf(reply!)).toBe("get_weather returned: rainy. get_time returned: noon. the quick brown fox jumps over");

    // Submitting again once the run has moved on is refused.
    await expect(
      client.beta.threads.runs.submitToolOutputs(run.id, {
        thread_id: thread.id,
        tool_outputs: calls.map((call) => ({ tool_call_id: call.id, output: "again" })),
      }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it("applies tool_choice none, required, a named function, and parallel_tool_calls false", async () => {
    const client = emulatorSdk();
    const assistant = await createToolAssistant(client);
    const pausedCalls = (run: Run) =>
      run.required_action?.submit_tool_outputs.tool_calls.map((call) => [
        call.function.name,
        JSON.parse(call.function.arguments),
      ]);

    // auto (the default): every named tool, in the order the message names them.
    const auto = await client.beta.threads.runs.createAndPoll(
      (await newThread(client, "get_time Oslo. get_weather Rome.")).id,
      { assistant_id: assistant.id },
      POLL,
    );
    expect(auto.status).toBe("requires_action");
    expect(pausedCalls(auto)).toEqual([
      ["get_time", { city: "Oslo" }],
      ["get_weather", { city: "Rome" }],
    ]);

    // none: no calls, a plain reply.
    const noneThread = await newThread(client, WEATHER_AND_TIME);
    const none = await client.beta.threads.runs.createAndPoll(
      noneThread.id,
      { assistant_id: assistant.id, tool_choice: "none" },
      POLL,
    );
    expect(none.status).toBe("completed");
    expect(none.tool_choice).toBe("none");
    const [noneReply] = (await client.beta.threads.messages.list(noneThread.id, { run_id: none.id })).data;
    expect(textOf(noneReply!)).toBe('You said: "Please get_weather Paris. Then get_time Tokyo.". the quick brown fox');
    expect((await allSteps(client, none)).map((step) => step.type)).toEqual(["message_creation"]);

    // required with no tool named: the first function is called anyway.
    const required = await client.beta.threads.runs.createAndPoll(
      (await newThread(client, "Nothing to look up here")).id,
      { assistant_id: assistant.id, tool_choice: "required" },
      POLL,
    );
    expect(required.status).toBe("requires_action");
    expect(required.required_action!.submit_tool_outputs.tool_calls.map((call) => call.function.name)).toEqual([
      "get_weather",
    ]);

    // A named function: exactly that one, even though the message names both.
    const named = await client.beta.threads.runs.createAndPoll(
      (await newThread(client, WEATHER_AND_TIME)).id,
      { assistant_id: assistant.id, tool_choice: { type: "function", function: { name: "get_time" } } },
      POLL,
    );
    expect(named.status).toBe("requires_action");
    expect(pausedCalls(named)).toEqual([["get_time", { city: "Tokyo" }]]);

    // parallel_tool_calls false: only the first named call.
    const single = await client.beta.threads.runs.createAndPoll(
      (await newThread(client, WEATHER_AND_TIME)).id,
      { assistant_id: assistant.id, parallel_tool_calls: false },
      POLL,
    );
    expect(single.status).toBe("requires_action");
    expect(single.parallel_tool_calls).toBe(false);
    expect(pausedCalls(single)).toEqual([["get_weather", { city: "Paris" }]]);
    const singleSteps = await allSteps(client, single);
    expect(singleSteps.map((step) => [step.type, step.status])).toEqual([["tool_calls", "in_progress"]]);
    expect(functionCalls(singleSteps[0]!).map((call) => [call.function.name, call.function.output])).toEqual([
      ["get_weather", null],
    ]);
  });
});

describe("SDK pagination of runs", () => {
  it("auto-paginates runs.list newest first, asc reversed, with the upstream's cursors", async () => {
    const client = emulatorSdk();
    const assistant = await createToolAssistant(client);
    const thread = await newThread(client, "Count my runs");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, POLL);
      expect(run.status).toBe("completed");
      ids.push(run.id);
    }
    const newestFirst = [...ids].reverse();

    const desc: string[] = [];
    for await (const run of client.beta.threads.runs.list(thread.id, { limit: 2 })) desc.push(run.id);
    expect(desc).toEqual(newestFirst);

    const asc: string[] = [];
    for await (const run of client.beta.threads.runs.list(thread.id, { limit: 2, order: "asc" })) asc.push(run.id);
    expect(asc).toEqual(ids);

    // Page by page: 2 + 2 + 1.
    let page = await client.beta.threads.runs.list(thread.id, { limit: 2 });
    const pages = [page.data.map((run) => run.id)];
    while (page.hasNextPage()) {
      page = await page.getNextPage();
      pages.push(page.data.map((run) => run.id));
    }
    expect(pages).toEqual([newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4)]);

    // The raw list objects.
    const list = async (query: string) => {
      const response = await emulatorRequest("GET", `/threads/${thread.id}/runs?${query}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        object: string;
        data: Array<{ id: string }>;
        first_id: string | null;
        last_id: string | null;
        has_more: boolean;
      };
      return { ...body, ids: body.data.map((run) => run.id) };
    };
    const [r0, r1, r2, r3, r4] = ids as [string, string, string, string, string];

    const first = await list("limit=2");
    expect(first).toMatchObject({ object: "list", ids: [r4, r3], first_id: r4, last_id: r3, has_more: true });
    const second = await list(`limit=2&after=${first.last_id}`);
    expect(second).toMatchObject({ ids: [r2, r1], first_id: r2, last_id: r1, has_more: true });
    const third = await list(`limit=2&after=${second.last_id}`);
    expect(third).toMatchObject({ ids: [r0], first_id: r0, last_id: r0, has_more: false });

    // `before` walks back towards the newest: the two runs just before r1 in desc order, still listed in desc order.
    const back = await list(`limit=2&before=${r1}`);
    expect(back).toMatchObject({ ids: [r3, r2], first_id: r3, last_id: r2, has_more: true });
    const backToStart = await list(`limit=2&before=${r3}`);
    expect(backToStart).toMatchObject({ ids: [r4], first_id: r4, last_id: r4, has_more: false });

    // asc with cursors.
    const ascAfter = await list(`limit=3&order=asc&after=${r1}`);
    expect(ascAfter).toMatchObject({ ids: [r2, r3, r4], first_id: r2, last_id: r4, has_more: false });
    const ascBefore = await list(`limit=1&order=asc&before=${r2}`);
    expect(ascBefore).toMatchObject({ ids: [r1], has_more: true });

    // An empty page past the end.
    const past = await list(`limit=2&after=${r0}`);
    expect(past).toMatchObject({ ids: [], first_id: null, last_id: null, has_more: false });
  });
});

describe("SDK cancel, update and retrieve", () => {
  it("cancels a slowly paced run: cancelling at once, then cancelled, with the partial message incomplete", async () => {
    const client = emulatorSdk();
    const assistant = await createToolAssistant(client);
    const thread = await newThread(client, "Tell me a long story");
    const created = await client.beta.threads.runs.create(thread.id, {
      assistant_id: assistant.id,
      metadata: { emulator_delta_ms: "50", emulator_reply_words: "200" },
    });

    // Wait until the reply has streamed its opening and two filler words (9 words, one per 50 ms delta) but is far from its 200 words.
    const partial = await waitFor(async () => {
      const [message] = (await client.beta.threads.messages.list(thread.id, { run_id: created.id })).data;
      return message && wordCount(textOf(message)) >= 9 ? message : undefined;
    });
    expect(partial.status).toBe("in_progress");

    const cancelling = await client.beta.threads.runs.cancel(created.id, { thread_id: thread.id });
    expect(cancelling.status).toBe("cancelling");

    const run = await client.beta.threads.runs.poll(created.id, { thread_id: thread.id }, POLL);
    expect(run.status).toBe("cancelled");
    expect(run.cancelled_at).toEqual(expect.any(Number));
    expect(run.completed_at).toBeNull();

    const message = await client.beta.threads.messages.retrieve(partial.id, { thread_id: thread.id });
    expect(message.status).toBe("incomplete");
    expect(message.incomplete_details).toEqual({ reason: "run_cancelled" });
    const text = textOf(message);
    // What had streamed stays, and the reply stopped short of its 200 words.
    expect(text.startsWith(textOf(partial))).toBe(true);
    expect(text.startsWith('You said: "Tell me a long story". the quick')).toBe(true);
    expect(wordCount(text)).toBeLessThan(200);

    const steps = await allSteps(client, run);
    expect(steps.map((step) => [step.type, step.status])).toEqual([["message_creation", "cancelled"]]);
    expect(steps[0]!.cancelled_at).toEqual(expect.any(Number));

    const again = client.beta.threads.runs.cancel(created.id, { thread_id: thread.id });
    await expect(again).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(again).rejects.toMatchObject({ status: 400 });
    expect((await client.beta.threads.runs.retrieve(created.id, { thread_id: thread.id })).status).toBe("cancelled");
  });

  it("update round-trips metadata; steps.retrieve and messages.retrieve return the listed objects", async () => {
    const client = emulatorSdk();
    const assistant = await createToolAssistant(client);
    const thread = await newThread(client, "Keep my metadata");
    const run = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id, metadata: { origin: "sdk-test" } },
      POLL,
    );
    expect(run.metadata).toEqual({ origin: "sdk-test" });

    const updated = await client.beta.threads.runs.update(run.id, {
      thread_id: thread.id,
      metadata: { origin: "sdk-test", ticket: "T-42" },
    });
    expect(updated.id).toBe(run.id);
    expect(updated.metadata).toEqual({ origin: "sdk-test", ticket: "T-42" });
    expect(updated.status).toBe("completed");

    const retrieved = await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
    expect(retrieved.metadata).toEqual({ origin: "sdk-test", ticket: "T-42" });
    expect(retrieved.usage).toEqual(run.usage);
    const listed = (await client.beta.threads.runs.list(thread.id)).data;
    expect(listed.map((item) => [item.id, item.metadata])).toEqual([[run.id, { origin: "sdk-test", ticket: "T-42" }]]);

    const [listedStep] = await allSteps(client, run);
    const step = await client.beta.threads.runs.steps.retrieve(listedStep!.id, {
      thread_id: thread.id,
      run_id: run.id,
    });
    expect(step).toEqual(listedStep);
    expect(step.step_details.type).toBe("message_creation");
    const messageId =
      step.step_details.type === "message_creation" ? step.step_details.message_creation.message_id : "";

    const message = await client.beta.threads.messages.retrieve(messageId, { thread_id: thread.id });
    expect(message).toMatchObject({ id: messageId, role: "assistant", run_id: run.id, status: "completed" });
    expect(textOf(message)).toBe('You said: "Keep my metadata". the quick brown fox jumps over the');

    // Unknown ids are 404s through the SDK.
    await expect(
      client.beta.threads.runs.steps.retrieve("step_doesnotexist", { thread_id: thread.id, run_id: run.id }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(
      client.beta.threads.messages.retrieve("msg_doesnotexist", { thread_id: thread.id }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(
      client.beta.threads.runs.retrieve("run_doesnotexist", { thread_id: thread.id }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});
