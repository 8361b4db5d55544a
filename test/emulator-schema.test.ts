// Every object and every stream event the emulator answers with validates against the upstream's own schemas
// (spec/assistants-runs-schemas.json, generated from the OpenAPI subset), checked by a JSON Schema validator.
// Each scenario records every HTTP answer it gets (through the SDK or plain HTTP), maps each request to the schema
// the spec gives for its answer, and validates bodies and SSE events after the scenario has run.
import type OpenAI from "openai";
import { afterAll, describe, expect, it } from "vitest";
import { captureAnswer, type CapturedAnswer } from "./helpers/answer-capture";
import {
  createToolAssistant,
  emulatorRequest,
  emulatorSdk,
  gatewayFetch,
  TIME_TOOL,
  WEATHER_TOOL,
} from "./helpers/emulator";
import { expectValid, schemaErrors, type SchemaName } from "./helpers/openapi-schemas";

const API_PREFIX = "/emulator/v1";

/** The spec's answer schema for each upstream operation; `stream` marks operations that may answer with SSE instead. */
const ROUTES: Array<{ method: string; path: RegExp; schema: SchemaName; stream?: true }> = [
  { method: "POST", path: /^\/assistants$/, schema: "AssistantObject" },
  { method: "GET", path: /^\/assistants$/, schema: "ListAssistantsResponse" },
  { method: "GET", path: /^\/assistants\/[^/]+$/, schema: "AssistantObject" },
  { method: "POST", path: /^\/assistants\/[^/]+$/, schema: "AssistantObject" },
  { method: "DELETE", path: /^\/assistants\/[^/]+$/, schema: "DeleteAssistantResponse" },
  { method: "POST", path: /^\/threads$/, schema: "ThreadObject" },
  { method: "POST", path: /^\/threads\/runs$/, schema: "RunObject", stream: true },
  { method: "GET", path: /^\/threads\/[^/]+$/, schema: "ThreadObject" },
  { method: "POST", path: /^\/threads\/[^/]+$/, schema: "ThreadObject" },
  { method: "DELETE", path: /^\/threads\/[^/]+$/, schema: "DeleteThreadResponse" },
  { method: "POST", path: /^\/threads\/[^/]+\/messages$/, schema: "MessageObject" },
  { method: "GET", path: /^\/threads\/[^/]+\/messages$/, schema: "ListMessagesResponse" },
  { method: "GET", path: /^\/threads\/[^/]+\/messages\/[^/]+$/, schema: "MessageObject" },
  { method: "POST", path: /^\/threads\/[^/]+\/runs$/, schema: "RunObject", stream: true },
  { method: "GET", path: /^\/threads\/[^/]+\/runs$/, schema: "ListRunsResponse" },
  { method: "GET", path: /^\/threads\/[^/]+\/runs\/[^/]+$/, schema: "RunObject" },
  { method: "POST", path: /^\/threads\/[^/]+\/runs\/[^/]+$/, schema: "RunObject" },
  { method: "POST", path: /^\/threads\/[^/]+\/runs\/[^/]+\/cancel$/, schema: "RunObject" },
  { method: "POST", path: /^\/threads\/[^/]+\/runs\/[^/]+\/submit_tool_outputs$/, schema: "RunObject", stream: true },
  { method: "GET", path: /^\/threads\/[^/]+\/runs\/[^/]+\/steps$/, schema: "ListRunStepsResponse" },
  { method: "GET", path: /^\/threads\/[^/]+\/runs\/[^/]+\/steps\/[^/]+$/, schema: "RunStepObject" },
];

const routeFor = (method: string, path: string) =>
  ROUTES.find((route) => route.method === method && route.path.test(path));

/** The schema of an SSE event's `data`, by event name (notes §3.4; the spec's AssistantStreamEvent). */
function eventSchema(event: string): SchemaName | undefined {
  if (event === "thread.created") return "ThreadObject";
  if (event === "thread.run.step.delta") return "RunStepDeltaObject";
  if (event.startsWith("thread.run.step.")) return "RunStepObject";
  if (event.startsWith("thread.run.")) return "RunObject";
  if (event === "thread.message.delta") return "MessageDeltaObject";
  if (event.startsWith("thread.message.")) return "MessageObject";
  if (event === "error") return "Error";
  return undefined;
}

const LIST_SCHEMAS = new Set<SchemaName>([
  "ListAssistantsResponse",
  "ListMessagesResponse",
  "ListRunsResponse",
  "ListRunStepsResponse",
]);

/**
 * KNOWN SPEC DEFECT (reported, not hidden): the list schemas declare `first_id` and `last_id` as required non-nullable
 * strings, yet an empty page has no first or last element; the upstream answers `null` there (and so does the emulator).
 * For an empty page exactly — `data: []`, both ids null — the validator's verdict is still taken, and the only errors
 * accepted are the `type` failures at `/first_id` and `/last_id` (plus the enclosing `properties`/`$ref` reports at
 * the root). Anything else in the answer still fails the test. Each such answer is counted in `specDefects`.
 */
function emptyPageDefectOnly(schema: SchemaName, value: unknown): boolean {
  const page = value as { data?: unknown; first_id?: unknown; last_id?: unknown };
  if (
    !LIST_SCHEMAS.has(schema) ||
    !Array.isArray(page.data) ||
    page.data.length > 0 ||
    page.first_id !== null ||
    page.last_id !== null
  )
    return false;
  const errors = schemaErrors(schema, value);
  return (
    errors.length > 0 &&
    errors.every(
      (e) =>
        (e.instanceLocation === "#" && (e.keyword === "properties" || e.keyword === "$ref")) ||
        ((e.instanceLocation === "#/first_id" || e.instanceLocation === "#/last_id") && e.keyword === "type"),
    )
  );
}

interface Tally {
  responses: number;
  /** Values validated: answer bodies, event payloads, and the items inside list pages (validated with their page). */
  objects: number;
  bySchema: Record<string, number>;
  events: Record<string, number>;
  /** Answers accepted only under the documented empty-page spec defect (where they came from). */
  specDefects: string[];
  /** Parsed event payloads, for scenario checks that the intended path was taken. */
  eventData: Array<{ event: string; data: unknown }>;
}

/** Captures every upstream answer a scenario gets, whether through the SDK (`fetch`) or plain HTTP (`request`). */
class Recorder {
  private readonly captured: CapturedAnswer[] = [];

  readonly fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    return this.capture(request.method, new URL(request.url).pathname, await gatewayFetch(request));
  }) as typeof fetch;

  /** Plain HTTP to the emulator's `/v1` API with the upstream's headers (emulatorRequest), recorded. */
  async request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response> {
    return this.capture(method, API_PREFIX + path.split("?")[0], await emulatorRequest(method, path, body, headers));
  }

  private capture(method: string, path: string, response: Response): Response {
    const captured = captureAnswer(method, path, response);
    this.captured.push(captured.answer);
    return captured.response;
  }

  /** Validates everything captured so far; collects every failure, then fails once with all of them. */
  async validate(): Promise<Tally> {
    const tally: Tally = { responses: 0, objects: 0, bySchema: {}, events: {}, specDefects: [], eventData: [] };
    const failures: string[] = [];
    const check = (schema: SchemaName, value: unknown, where: string) => {
      tally.bySchema[schema] = (tally.bySchema[schema] ?? 0) + 1;
      // The envelope check of an event validates the same payload again; it is not counted as another object.
      if (schema !== "AssistantStreamEvent") tally.objects++;
      if (LIST_SCHEMAS.has(schema))
        tally.objects += Array.isArray((value as { data?: unknown }).data)
          ? (value as { data: unknown[] }).data.length
          : 0;
      if (emptyPageDefectOnly(schema, value)) {
        tally.specDefects.push(where);
        return;
      }
      try {
        expectValid(schema, value, where);
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    };
    const parse = (text: string, where: string): unknown => {
      try {
        return JSON.parse(text);
      } catch {
        failures.push(`${where}: not JSON: ${text.slice(0, 200)}`);
        return undefined;
      }
    };

    for (const answer of this.captured) {
      const text = await answer.text;
      tally.responses++;
      const where = `${answer.method} ${answer.path} → ${answer.status}`;
      if (!answer.path.startsWith(API_PREFIX)) {
        failures.push(`${where}: not an upstream API path`);
        continue;
      }
      const path = answer.path.slice(API_PREFIX.length);
      if (answer.status >= 400) {
        // Any failed answer, on any path (unknown routes included), is the upstream's error object.
        if (!/^application\/json/.test(answer.contentType))
          failures.push(`${where}: error answered as ${answer.contentType}`);
        check("ErrorResponse", parse(text, where), where);
        continue;
      }
      const route = routeFor(answer.method, path);
      if (!route) {
        failures.push(`${where}: no answer schema mapped for this operation`);
        continue;
      }
      if (answer.status !== 200) failures.push(`${where}: expected 200`);
      if (/^text\/event-stream/.test(answer.contentType)) {
        if (!route.stream) failures.push(`${where}: answered with a stream, but this operation never streams`);
        this.validateStream(text, where, tally, failures, check, parse);
      } else check(route.schema, parse(text, where), where);
    }
    if (failures.length) expect.fail(`${failures.length} answer(s) do not match the spec:\n\n${failures.join("\n\n")}`);
    totals.add(tally);
    return tally;
  }

  private validateStream(
    text: string,
    where: string,
    tally: Tally,
    failures: string[],
    check: (schema: SchemaName, value: unknown, where: string) => void,
    parse: (text: string, where: string) => unknown,
  ) {
    if (!text.endsWith("\n\n")) failures.push(`${where}: the stream does not end with a complete frame`);
    const frames = text
      .split("\n\n")
      .filter((block) => block.trim())
      .map((block) => {
        const lines = block.split("\n");
        const names = lines.filter((line) => line.startsWith("event: ")).map((line) => line.slice(7));
        const data = lines.filter((line) => line.startsWith("data: ")).map((line) => line.slice(6));
        const other = lines.filter(
          (line) => !line.startsWith("event: ") && !line.startsWith("data: ") && !line.startsWith(":"),
        );
        if (names.length !== 1 || data.length === 0 || other.length)
          failures.push(`${where}: malformed SSE frame ${JSON.stringify(block)}`);
        return { event: names[0] ?? "", data: data.join("\n") };
      });
    if (frames.at(-1)?.event !== "done") failures.push(`${where}: the stream does not end with the done event`);
    frames.forEach(({ event, data }, index) => {
      const at = `${where}, event #${index} ${event}`;
      tally.events[event] = (tally.events[event] ?? 0) + 1;
      if (event === "done") {
        if (data !== "[DONE]") failures.push(`${at}: data is ${JSON.stringify(data)}, not [DONE]`);
        if (index !== frames.length - 1) failures.push(`${at}: events after done`);
        check("AssistantStreamEvent", { event, data }, at);
        return;
      }
      const schema = eventSchema(event);
      if (!schema) {
        failures.push(`${at}: an event name the spec does not have`);
        return;
      }
      const value = parse(data, at);
      tally.eventData.push({ event, data: value });
      check(schema, value, at);
      // And the whole event against the spec's union of stream events, which also pins each event name to its payload.
      check("AssistantStreamEvent", { event, data: value }, `${at} (as AssistantStreamEvent)`);
    });
  }
}

/** Totals over the whole file, printed at the end (the report quotes them). */
const totals = {
  responses: 0,
  objects: 0,
  specDefects: [] as string[],
  bySchema: {} as Record<string, number>,
  events: {} as Record<string, number>,
  add(tally: Tally) {
    this.responses += tally.responses;
    this.objects += tally.objects;
    this.specDefects.push(...tally.specDefects);
    for (const [name, count] of Object.entries(tally.bySchema))
      this.bySchema[name] = (this.bySchema[name] ?? 0) + count;
    for (const [name, count] of Object.entries(tally.events)) this.events[name] = (this.events[name] ?? 0) + count;
  },
};

afterAll(() => {
  const { add: _, ...summary } = totals;
  console.log(`emulator-schema totals: ${JSON.stringify(summary, null, 1)}`);
});

/** Validates what the scenario recorded; proves it validated at least `minObjects` values and saw every named event. */
async function validated(rec: Recorder, minObjects: number, events: string[] = []): Promise<Tally> {
  const tally = await rec.validate();
  expect(tally.objects, "values validated in this scenario").toBeGreaterThanOrEqual(minObjects);
  const seen = Object.keys(tally.events);
  for (const event of events) expect(seen, `event ${event} in this scenario's streams`).toContain(event);
  return tally;
}

function setup() {
  const rec = new Recorder();
  return { rec, client: emulatorSdk({ fetch: rec.fetch }) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads an SDK event stream to its end; returns the events as the SDK parsed them. */
async function drain(stream: AsyncIterable<OpenAI.Beta.AssistantStreamEvent>) {
  const events: OpenAI.Beta.AssistantStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const runOf = (events: OpenAI.Beta.AssistantStreamEvent[]) => {
  const created = events.find((event) => event.event === "thread.run.created");
  if (!created) throw new Error("no thread.run.created event");
  return created.data as OpenAI.Beta.Threads.Run;
};

const RUN_EVENTS = ["thread.run.created", "thread.run.queued", "thread.run.in_progress"];
const REPLY_EVENTS = [
  "thread.run.step.created",
  "thread.run.step.in_progress",
  "thread.message.created",
  "thread.message.in_progress",
  "thread.message.delta",
  "thread.message.completed",
  "thread.run.step.completed",
];

/** Every kind of object a finished run leaves behind: the run (retrieved and listed), its steps and its thread's messages. */
async function readBack(client: OpenAI, threadId: string, runId: string) {
  const run = await client.beta.threads.runs.retrieve(runId, { thread_id: threadId });
  await client.beta.threads.runs.list(threadId);
  const steps = await client.beta.threads.runs.steps.list(runId, { thread_id: threadId });
  for (const step of steps.data)
    await client.beta.threads.runs.steps.retrieve(step.id, { thread_id: threadId, run_id: runId });
  const messages = await client.beta.threads.messages.list(threadId);
  for (const message of messages.data) await client.beta.threads.messages.retrieve(message.id, { thread_id: threadId });
  return { run, steps: steps.data, messages: messages.data };
}

describe("every answer and stream event validates against the spec's schemas", () => {
  it("the validator is live: it rejects an emulator object and event broken where the spec forbids it", async () => {
    // A negative control for this file: if $ref resolution or the schema entry point silently failed, everything would "validate".
    const { client } = setup();
    const assistant = await createToolAssistant(client);
    const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "Control" }] });
    const run = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, stream: true });
    const events = await drain(run);
    const completed = structuredClone(events.at(-1)!.data) as unknown as Record<string, unknown> & {
      tools: Array<{ type: string }>;
    };
    expectValid("RunObject", completed);
    const broken = {
      ...completed,
      status: "paused",
      usage: { prompt_tokens: "many" },
      tools: [{ ...completed.tools[0]!, type: "browser" }],
    };
    delete (broken as Record<string, unknown>).required_action;
    const locations = new Set(schemaErrors("RunObject", broken).map((e) => `${e.instanceLocation} ${e.keyword}`));
    for (const expected of ["# required", "#/status enum", "#/usage/prompt_tokens type", "#/tools/0/type enum"])
      expect(locations).toContain(expected);
    expect(() => expectValid("RunObject", broken)).toThrow(/does not validate against RunObject/);
    const delta = structuredClone(events.find((event) => event.event === "thread.message.delta")!.data) as unknown as {
      delta: { content: Array<Record<string, unknown>> };
    };
    expectValid("MessageDeltaObject", delta);
    delete delta.delta.content[0]!.index;
    expect(() => expectValid("MessageDeltaObject", delta)).toThrow(/index/);
    expect(() => expectValid("AssistantStreamEvent", { event: "thread.run.paused", data: completed })).toThrow();
    expect(() => expectValid("AssistantStreamEvent", { event: "done", data: "DONE" })).toThrow();
  });

  it("a plain run, polled", async () => {
    const { rec, client } = setup();
    const assistant = await createToolAssistant(client);
    const thread = await client.beta.threads.create({
      messages: [{ role: "user", content: "Hello there" }],
      metadata: { case: "plain" },
    });
    const run = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id },
      { pollIntervalMs: 10 },
    );
    expect(run.status).toBe("completed");
    const modified = await client.beta.threads.runs.update(run.id, {
      thread_id: thread.id,
      metadata: { reviewed: "yes" },
    });
    expect(modified.metadata).toEqual({ reviewed: "yes" });
    const { steps, messages } = await readBack(client, thread.id, run.id);
    expect(steps.map((step) => step.type)).toEqual(["message_creation"]);
    expect(messages.map((message) => message.role)).toEqual(["assistant", "user"]);
    await validated(rec, 12);
  });

  it("a plain run, streamed", async () => {
    const { rec, client } = setup();
    const assistant = await createToolAssistant(client);
    const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "Stream me a reply" }] });
    const events = await drain(
      await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, stream: true }),
    );
    expect(events.at(-1)?.event).toBe("thread.run.completed");
    await readBack(client, thread.id, runOf(events).id);
    const tally = await validated(rec, 30, [...RUN_EVENTS, ...REPLY_EVENTS, "thread.run.completed", "done"]);
    expect(tally.events["thread.message.delta"]).toBeGreaterThanOrEqual(10);
  });

  it("a run with every run setting given, streamed and polled", async () => {
    const { rec, client } = setup();
    const assistant = await createToolAssistant(client);
    const thread = await client.beta.threads.create();
    const settings = {
      assistant_id: assistant.id,
      model: "gpt-4o-mini",
      instructions: "Be terse.",
      additional_instructions: "Really terse.",
      additional_messages: [
        { role: "user" as const, content: "First, some context." },
        {
          role: "user" as const,
          content: [{ type: "text" as const, text: "Then the question." }],
          metadata: { part: "2" },
        },
      ],
      tools: [WEATHER_TOOL],
      metadata: { case: "settings" },
      temperature: 0.2,
      top_p: 0.5,
      max_prompt_tokens: 5000,
      max_completion_tokens: 5000,
      truncation_strategy: { type: "last_messages" as const, last_messages: 4 },
      tool_choice: "none" as const,
      parallel_tool_calls: false,
      response_format: { type: "text" as const },
    };
    const events = await drain(await client.beta.threads.runs.create(thread.id, { ...settings, stream: true }));
    expect(events.at(-1)?.event).toBe("thread.run.completed");
    const polled = await client.beta.threads.runs.createAndPoll(
      thread.id,
      {
        ...settings,
        tool_choice: { type: "function", function: { name: "get_weather" } },
        response_format: { type: "json_object" },
        additional_messages: [{ role: "user", content: "get_weather Oslo" }],
      },
      { pollIntervalMs: 10 },
    );
    expect(polled.status).toBe("requires_action");
    await client.beta.threads.runs.cancel(polled.id, { thread_id: thread.id });
    await client.beta.threads.runs.poll(polled.id, { thread_id: thread.id }, { pollIntervalMs: 10 });
    await readBack(client, thread.id, polled.id);
    await validated(rec, 35, [...RUN_EVENTS, ...REPLY_EVENTS, "thread.run.completed", "done"]);
  });

  it("createThreadAndRun, streamed and polled", async () => {
    const { rec, client } = setup();
    const assistant = await createToolAssistant(client);
    const events = await drain(
      await client.beta.threads.createAndRun({
        assistant_id: assistant.id,
        thread: { messages: [{ role: "user", content: "A new thread, please" }], metadata: { case: "createAndRun" } },
        stream: true,
      }),
    );
    expect(events[0]?.event).toBe("thread.created");
    const run = runOf(events);
    await readBack(client, run.thread_id, run.id);
    const polled = await client.beta.threads.createAndRunPoll(
      {
        assistant_id: assistant.id,
        thread: { messages: [{ role: "user", content: "And another" }] },
        metadata: { case: "createAndRunPoll" },
      },
      { pollIntervalMs: 10 },
    );
    expect(polled.status).toBe("completed");
    await readBack(client, polled.thread_id, polled.id);
    await validated(rec, 40, ["thread.created", ...RUN_EVENTS, ...REPLY_EVENTS, "thread.run.completed", "done"]);
  });

  it("parallel tool calls, then submit_tool_outputs, streamed", async () => {
    const { rec, client } = setup();
    const assistant = await createToolAssistant(client);
    const thread = await client.beta.threads.create({
      messages: [{ role: "user", content: "Please get_weather Paris and get_time Tokyo." }],
    });
    const first = await drain(
      await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, stream: true }),
    );
    const paused = first.at(-1);
    expect(paused?.event).toBe("thread.run.requires_action");
    const run = paused!.data as OpenAI.Beta.Threads.Run;
    const calls = run.required_action!.submit_tool_outputs.tool_calls;
    expect(calls.map((call) => call.function.name)).toEqual(["get_weather", "get_time"]);
    // While the run waits: the run, its in-progress tool step (outputs still null) and the thread.
    await readBack(client, thread.id, run.id);
    const second = await drain(
      await client.beta.threads.runs.submitToolOutputs(run.id, {
        thread_id: thread.id,
        tool_outputs: calls.map((call) => ({ tool_call_id: call.id, output: `${call.function.name} ok` })),
        stream: true,
      }),
    );
    expect(second.at(-1)?.event).toBe("thread.run.completed");
    const { steps } = await readBack(client, thread.id, run.id);
    expect(steps.map((step) => step.type).sort()).toEqual(["message_creation", "tool_calls"]);
    const tally = await validated(rec, 45, [
      ...RUN_EVENTS,
      "thread.run.step.created",
      "thread.run.step.in_progress",
      "thread.run.step.delta",
      "thread.run.requires_action",
      ...REPLY_EVENTS,
      "thread.run.completed",
      "done",
    ]);
    expect(tally.events["thread.run.step.delta"]).toBeGreaterThanOrEqual(4);
  });

  it("parallel tool calls, then submit_tool_outputs, polled", async () => {
    const { rec, client } = setup();
    const assistant = await createToolAssistant(client);
    const thread = await client.beta.threads.create({
      messages: [{ role: "user", content: "get_time Lima and get_weather Quito" }],
    });
    const paused = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id },
      { pollIntervalMs: 10 },
    );
    expect(paused.status).toBe("requires_action");
    const calls = paused.required_action!.submit_tool_outputs.tool_calls;
    expect(calls).toHaveLength(2);
    await readBack(client, thread.id, paused.id);
    const done = await client.beta.threads.runs.submitToolOutputsAndPoll(
      paused.id,
      { thread_id: thread.id, tool_outputs: calls.map((call) => ({ tool_call_id: call.id, output: "42" })) },
      { pollIntervalMs: 10 },
    );
    expect(done.status).toBe("completed");
    await readBack(client, thread.id, paused.id);
    await validated(rec, 20);
  });

  it("a cancelled run, streamed and polled", async () => {
    const { rec, client } = setup();
    const assistant = await createToolAssistant(client);
    const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "Say a lot, slowly" }] });
    const slow = { emulator_delta_ms: "30", emulator_reply_words: "80" };
    const stream = await client.beta.threads.runs.create(thread.id, {
      assistant_id: assistant.id,
      metadata: slow,
      stream: true,
    });
    const events: OpenAI.Beta.AssistantStreamEvent[] = [];
    let runId = "";
    for await (const event of stream) {
      events.push(event);
      if (event.event === "thread.run.created") runId = event.data.id;
      if (
        event.event === "thread.message.delta" &&
        events.filter((e) => e.event === "thread.message.delta").length === 1
      ) {
        const cancelling = await client.beta.threads.runs.cancel(runId, { thread_id: thread.id });
        expect(cancelling.status).toBe("cancelling");
      }
    }
    expect(events.at(-1)?.event).toBe("thread.run.cancelled");
    await readBack(client, thread.id, runId);

    const polled = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, metadata: slow });
    await sleep(120);
    await client.beta.threads.runs.cancel(polled.id, { thread_id: thread.id });
    const cancelled = await client.beta.threads.runs.poll(polled.id, { thread_id: thread.id }, { pollIntervalMs: 10 });
    expect(cancelled.status).toBe("cancelled");
    const { steps, messages } = await readBack(client, thread.id, polled.id);
    expect(steps[0]?.status).toBe("cancelled");
    expect(messages[0]?.incomplete_details?.reason).toBe("run_cancelled");
    // Cancelling it again is an error, in the error shape.
    const again = await rec.request("POST", `/threads/${thread.id}/runs/${polled.id}/cancel`);
    expect(again.status).toBe(400);
    await validated(rec, 30, [
      "thread.run.cancelling",
      "thread.message.incomplete",
      "thread.run.step.cancelled",
      "thread.run.cancelled",
      "done",
    ]);
  });

  for (const fail of ["server_error", "rate_limit_exceeded"] as const) {
    it(`a failed run (emulator_fail ${fail}), streamed and polled`, async () => {
      const { rec, client } = setup();
      const assistant = await createToolAssistant(client);
      const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "This will fail" }] });
      const events = await drain(
        await client.beta.threads.runs.create(thread.id, {
          assistant_id: assistant.id,
          metadata: { emulator_fail: fail },
          stream: true,
        }),
      );
      const failed = events.at(-1);
      expect(failed?.event).toBe("thread.run.failed");
      expect((failed?.data as OpenAI.Beta.Threads.Run).last_error?.code).toBe(fail);
      await readBack(client, thread.id, runOf(events).id);
      const polled = await client.beta.threads.runs.createAndPoll(
        thread.id,
        { assistant_id: assistant.id, metadata: { emulator_fail: fail } },
        { pollIntervalMs: 10 },
      );
      expect(polled.status).toBe("failed");
      const { steps } = await readBack(client, thread.id, polled.id);
      expect(steps[0]?.status).toBe("failed");
      await validated(rec, 30, [
        ...RUN_EVENTS,
        "thread.message.delta",
        "thread.message.incomplete",
        "thread.run.step.failed",
        "thread.run.failed",
        "done",
      ]);
    });
  }

  it("a failed run (emulator_fail invalid_prompt), streamed and polled", async () => {
    const { rec, client } = setup();
    const assistant = await createToolAssistant(client);
    const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "Something flagged" }] });
    const events = await drain(
      await client.beta.threads.runs.create(thread.id, {
        assistant_id: assistant.id,
        metadata: { emulator_fail: "invalid_prompt" },
        stream: true,
      }),
    );
    expect(events.map((event) => event.event)).toEqual([...RUN_EVENTS, "thread.run.failed"]);
    const { steps } = await readBack(client, thread.id, runOf(events).id);
    expect(steps).toEqual([]);
    const polled = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id, metadata: { emulator_fail: "invalid_prompt" } },
      { pollIntervalMs: 10 },
    );
    expect(polled.last_error?.code).toBe("invalid_prompt");
    await readBack(client, thread.id, polled.id);
    await validated(rec, 15, [...RUN_EVENTS, "thread.run.failed", "done"]);
  });

  it("incomplete runs: emulator_incomplete max_completion_tokens and max_prompt_tokens, streamed and polled", async () => {
    const { rec, client } = setup();
    const assistant = await createToolAssistant(client);
    const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "Cut me short" }] });
    for (const reason of ["max_completion_tokens", "max_prompt_tokens"] as const) {
      const events = await drain(
        await client.beta.threads.runs.create(thread.id, {
          assistant_id: assistant.id,
          metadata: { emulator_incomplete: reason },
          stream: true,
        }),
      );
      const last = events.at(-1);
      expect(last?.event).toBe("thread.run.incomplete");
      expect((last?.data as OpenAI.Beta.Threads.Run).incomplete_details?.reason).toBe(reason);
      await readBack(client, thread.id, runOf(events).id);
      const polled = await client.beta.threads.runs.createAndPoll(
        thread.id,
        { assistant_id: assistant.id, metadata: { emulator_incomplete: reason } },
        { pollIntervalMs: 10 },
      );
      expect(polled.status).toBe("incomplete");
      await readBack(client, thread.id, polled.id);
    }
    await validated(rec, 50, [
      ...RUN_EVENTS,
      ...REPLY_EVENTS.filter((e) => e !== "thread.message.completed"),
      "thread.message.incomplete",
      "thread.run.incomplete",
      "done",
    ]);
  });

  it("an incomplete run from a real max_completion_tokens of 256 (emulator_reply_words 400)", async () => {
    const { rec, client } = setup();
    const assistant = await createToolAssistant(client);
    const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "Write an essay" }] });
    const metadata = { emulator_reply_words: "400", emulator_words_per_delta: "16" };
    const events = await drain(
      await client.beta.threads.runs.create(thread.id, {
        assistant_id: assistant.id,
        max_completion_tokens: 256,
        metadata,
        stream: true,
      }),
    );
    const last = events.at(-1)?.data as OpenAI.Beta.Threads.Run;
    expect(last.status).toBe("incomplete");
    expect(last.incomplete_details?.reason).toBe("max_completion_tokens");
    const { messages } = await readBack(client, thread.id, last.id);
    expect(messages[0]?.incomplete_details?.reason).toBe("max_tokens");
    const polled = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id, max_completion_tokens: 256, metadata },
      { pollIntervalMs: 10 },
    );
    expect(polled.status).toBe("incomplete");
    await readBack(client, thread.id, polled.id);
    await validated(rec, 40, [
      ...RUN_EVENTS,
      "thread.message.delta",
      "thread.message.incomplete",
      "thread.run.step.completed",
      "thread.run.incomplete",
      "done",
    ]);
  });

  it("expired runs: one left in requires_action past emulator_expire_after 1, one expiring mid-reply while streamed", async () => {
    const { rec, client } = setup();
    const assistant = await createToolAssistant(client);
    const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "get_weather Reykjavik" }] });
    // expires_at is in whole seconds: created late in a second, the run could expire before its first segment ends.
    const intoSecond = Date.now() % 1000;
    if (intoSecond > 200) await sleep(1010 - intoSecond);
    const events = await drain(
      await client.beta.threads.runs.create(thread.id, {
        assistant_id: assistant.id,
        metadata: { emulator_expire_after: "1" },
        stream: true,
      }),
    );
    expect(events.at(-1)?.event).toBe("thread.run.requires_action");
    const run = runOf(events);
    await sleep(1500);
    const { run: expired, steps } = await readBack(client, thread.id, run.id);
    expect(expired.status).toBe("expired");
    expect(steps[0]?.status).toBe("expired");
    // Outputs for an expired run are refused, in the error shape.
    const late = await rec.request("POST", `/threads/${thread.id}/runs/${run.id}/submit_tool_outputs`, {
      tool_outputs: [{ tool_call_id: "call_x", output: "late" }],
    });
    expect(late.status).toBe(400);

    // A run that expires mid-reply, streamed: its open message and step end with it (the expiry events).
    const slow = { emulator_expire_after: "1", emulator_delta_ms: "50", emulator_reply_words: "60" };
    await client.beta.threads.messages.create(thread.id, { role: "user", content: "A long answer please" });
    // expires_at is in whole seconds: start just after a second begins so the reply is well under way when it passes.
    await sleep(1020 - (Date.now() % 1000));
    const cut = await drain(
      await client.beta.threads.runs.create(thread.id, {
        assistant_id: assistant.id,
        tool_choice: "none",
        metadata: slow,
        stream: true,
      }),
    );
    expect(cut.at(-1)?.event).toBe("thread.run.expired");
    const { messages } = await readBack(client, thread.id, runOf(cut).id);
    expect(messages[0]?.incomplete_details?.reason).toBe("run_expired");
    await validated(rec, 30, [
      ...RUN_EVENTS,
      "thread.run.step.created",
      "thread.run.step.delta",
      "thread.run.requires_action",
      "thread.message.delta",
      "thread.message.incomplete",
      "thread.run.step.expired",
      "thread.run.expired",
      "done",
    ]);
  });

  it("message deltas stamped with emulator_stamp still validate", async () => {
    const { rec, client } = setup();
    const assistant = await createToolAssistant(client);
    const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "Stamp these" }] });
    const events = await drain(
      await client.beta.threads.runs.create(thread.id, {
        assistant_id: assistant.id,
        metadata: { emulator_stamp: "true" },
        stream: true,
      }),
    );
    expect(events.at(-1)?.event).toBe("thread.run.completed");
    const tally = await validated(rec, 20, [...RUN_EVENTS, ...REPLY_EVENTS, "thread.run.completed", "done"]);
    const deltas = tally.eventData.filter((event) => event.event === "thread.message.delta");
    expect(deltas.length).toBeGreaterThanOrEqual(10);
    for (const delta of deltas) expect(delta.data).toHaveProperty("emulator_emitted_at_ms", expect.any(Number));
  });

  it("error answers (401, 400s, 404s, injected 429/500) are the spec's ErrorResponse", async () => {
    const { rec, client } = setup();
    const assistant = await createToolAssistant(client);
    const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "get_weather Rome" }] });
    const t = `/threads/${thread.id}`;
    const expectations: Array<[number, string, string, unknown?, Record<string, string>?]> = [
      [404, "GET", "/threads/thread_doesnotexist000"],
      [404, "GET", "/threads/not-an-id"],
      [404, "GET", "/assistants/asst_doesnotexist000"],
      [404, "GET", `${t}/messages/msg_doesnotexist000`],
      [404, "GET", `${t}/runs/run_doesnotexist000`],
      [404, "GET", `${t}/runs/run_doesnotexist000/steps`],
      [404, "POST", `${t}/runs`, { assistant_id: "asst_doesnotexist000" }],
      [404, "GET", "/no/such/route"],
      [401, "GET", t, undefined, { authorization: "" }],
      [400, "GET", t, undefined, { "openai-beta": "" }],
      [400, "POST", "/threads", { bogus: true }],
      [400, "POST", `${t}/messages`, { role: "user", content: 5 }],
      [400, "POST", `${t}/messages`, { content: "no role" }],
      [400, "POST", `${t}/runs`, { assistant_id: assistant.id, metadata: { emulator_fail: "sometimes" } }],
      [400, "POST", "/threads", { metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }],
      [400, "POST", "/threads", { metadata: { ["k".repeat(65)]: "v" } }],
      [400, "POST", "/assistants", { model: "gpt-4o", tools: [{ type: "function", function: { name: "bad name!" } }] }],
      [400, "GET", `${t}/messages?limit=0`],
      [400, "GET", `${t}/messages?order=sideways`],
      [400, "GET", `${t}/runs?limit=101`],
    ];
    for (const [status, method, path, body, headers] of expectations)
      expect((await rec.request(method, path, body, headers)).status, `${method} ${path}`).toBe(status);
    const badJson = await gatewayFetch(`http://runcast.test/emulator/v1/threads`, {
      method: "POST",
      headers: { authorization: "Bearer k", "openai-beta": "assistants=v2", "content-type": "application/json" },
      body: "{not json",
    });
    expect(badJson.status).toBe(400);
    expectValid("ErrorResponse", await badJson.json(), "invalid JSON body");

    // A run waiting for tool outputs: a second run, a new message, wrong outputs are all refused.
    const paused = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id },
      { pollIntervalMs: 10 },
    );
    expect(paused.status).toBe("requires_action");
    const callId = paused.required_action!.submit_tool_outputs.tool_calls[0]!.id;
    const submit = `${t}/runs/${paused.id}/submit_tool_outputs`;
    const refusals: Array<[string, string, unknown]> = [
      ["POST", `${t}/runs`, { assistant_id: assistant.id }],
      ["POST", `${t}/messages`, { role: "user", content: "too soon" }],
      ["POST", submit, { tool_outputs: [{ tool_call_id: "call_wrong", output: "x" }] }],
      [
        "POST",
        submit,
        {
          tool_outputs: [
            { tool_call_id: callId, output: "x" },
            { tool_call_id: callId, output: "y" },
          ],
        },
      ],
      ["POST", submit, { tool_outputs: [{ tool_call_id: callId }] }],
      ["POST", submit, { tool_outputs: [], extra: 1 }],
    ];
    for (const [method, path, body] of refusals)
      expect((await rec.request(method, path, body)).status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
    const done = await client.beta.threads.runs.submitToolOutputsAndPoll(
      paused.id,
      { thread_id: thread.id, tool_outputs: [{ tool_call_id: callId, output: "sunny" }] },
      { pollIntervalMs: 10 },
    );
    expect(done.status).toBe("completed");
    expect((await rec.request("POST", `${t}/runs/${done.id}/cancel`)).status).toBe(400);
    expect(
      (await rec.request("POST", submit, { tool_outputs: [{ tool_call_id: callId, output: "again" }] })).status,
    ).toBe(400);

    // Injected upstream failures keep the error shape too.
    for (const [fault, status] of [
      ["429x1", 429],
      ["500x1", 500],
      ["503x1", 503],
    ] as const) {
      const run = await client.beta.threads.runs.create(thread.id, {
        assistant_id: assistant.id,
        tool_choice: "none",
        metadata: { emulator_http_errors: fault },
      });
      expect((await rec.request("GET", `${t}/runs/${run.id}`)).status, fault).toBe(status);
      expect(
        (await client.beta.threads.runs.poll(run.id, { thread_id: thread.id }, { pollIntervalMs: 10 })).status,
      ).toBe("completed");
    }
    const tally = await validated(rec, 35);
    expect(tally.bySchema.ErrorResponse).toBeGreaterThanOrEqual(expectations.length + refusals.length + 5);
  });

  it("list endpoints, with pagination and filters", async () => {
    const { rec, client } = setup();
    const assistants = [
      await createToolAssistant(client),
      await createToolAssistant(client),
      await createToolAssistant(client),
    ];
    const firstPage = await client.beta.assistants.list({ limit: 2, order: "asc" });
    expect(firstPage.has_more).toBe(true);
    await client.beta.assistants.list({ limit: 2, after: assistants[0]!.id });
    const newer = await (await rec.request("GET", `/assistants?limit=1&before=${assistants[0]!.id}&order=desc`)).json();
    expect(newer).toMatchObject({ data: [{ id: assistants[1]!.id }] });

    const thread = await client.beta.threads.create({
      messages: [
        { role: "user", content: "One" },
        { role: "user", content: "Two" },
      ],
    });
    const runs: string[] = [];
    for (const assistant of assistants)
      runs.push(
        (
          await client.beta.threads.runs.createAndPoll(
            thread.id,
            { assistant_id: assistant.id },
            { pollIntervalMs: 10 },
          )
        ).id,
      );
    const page = await client.beta.threads.messages.list(thread.id, { limit: 2 });
    expect(page.has_more).toBe(true);
    const older = await client.beta.threads.messages.list(thread.id, { after: page.data.at(-1)!.id });
    expect(older.data.length).toBeGreaterThan(0);
    await client.beta.threads.messages.list(thread.id, { run_id: runs[1] });
    await client.beta.threads.runs.list(thread.id, { limit: 1 });
    await client.beta.threads.runs.list(thread.id, { order: "asc", limit: 100 });
    await client.beta.threads.runs.steps.list(runs[0]!, { thread_id: thread.id, order: "asc", limit: 1 });
    await rec.request(
      "GET",
      `/threads/${thread.id}/runs/${runs[2]}/steps?include[]=${encodeURIComponent("step_details.tool_calls[*].file_search.results[*].content")}`,
    );
    // Auto-pagination through the SDK: every page it fetches is recorded and validated too.
    let count = 0;
    for await (const _ of client.beta.threads.messages.list(thread.id, { limit: 1 })) count++;
    expect(count).toBe(5);
    await validated(rec, 35);
  });

  it("empty pages: the spec's non-nullable first_id/last_id is the only disagreement (spec defect, see report)", async () => {
    const { rec, client } = setup();
    const thread = await client.beta.threads.create();
    const runs = await rec.request("GET", `/threads/${thread.id}/runs`);
    const messages = await rec.request("GET", `/threads/${thread.id}/messages`);
    for (const [schema, response] of [
      ["ListRunsResponse", runs],
      ["ListMessagesResponse", messages],
    ] as const) {
      const page = await response.json();
      expect(page).toMatchObject({ data: [], first_id: null, last_id: null, has_more: false });
      // The validator's own verdict: it rejects exactly the two null ids, as type errors, and nothing else.
      const errors = schemaErrors(schema, page).filter((e) => e.keyword === "type");
      expect(errors.map((e) => e.instanceLocation).sort()).toEqual(["#/first_id", "#/last_id"]);
    }
    const tally = await validated(rec, 3);
    expect(tally.specDefects).toHaveLength(2);
  });

  it("assistants: create, retrieve, modify, list, delete", async () => {
    const { rec, client } = setup();
    const full = await client.beta.assistants.create({
      model: "gpt-4o",
      name: "Everything",
      description: "An assistant with every field set",
      instructions: "Be helpful.",
      tools: [
        { type: "code_interpreter" },
        { type: "file_search", file_search: { max_num_results: 5 } },
        { ...WEATHER_TOOL, function: { ...WEATHER_TOOL.function, strict: false } },
        TIME_TOOL,
      ],
      tool_resources: { code_interpreter: { file_ids: ["file_abc"] }, file_search: { vector_store_ids: ["vs_abc"] } },
      metadata: { team: "runcast" },
      temperature: 0.7,
      top_p: 0.9,
      response_format: { type: "json_object" },
    });
    const bare = await client.beta.assistants.create({ model: "gpt-4o-mini" });
    await client.beta.assistants.retrieve(full.id);
    await client.beta.assistants.retrieve(bare.id);
    await client.beta.assistants.update(full.id, {
      name: "Renamed",
      description: null,
      metadata: { team: "edge" },
      tools: [TIME_TOOL],
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "answer",
          schema: { type: "object", properties: { text: { type: "string" } } },
          strict: true,
        },
      },
      reasoning_effort: "low",
    });
    await client.beta.assistants.update(bare.id, {
      temperature: null,
      top_p: null,
      instructions: null,
      response_format: "auto",
    });
    await client.beta.assistants.list();
    await client.beta.assistants.delete(bare.id);
    const gone = await rec.request("GET", `/assistants/${bare.id}`);
    expect(gone.status).toBe(404);
    await validated(rec, 20);
  });

  it("threads: create, retrieve, modify, delete", async () => {
    const { rec, client } = setup();
    const bare = await client.beta.threads.create();
    const full = await client.beta.threads.create({
      messages: [
        { role: "user", content: "Hi" },
        { role: "assistant", content: [{ type: "text", text: "Hello!" }] },
      ],
      metadata: { user: "u1" },
      tool_resources: { code_interpreter: { file_ids: ["file_abc"] } },
    });
    await client.beta.threads.retrieve(bare.id);
    await client.beta.threads.retrieve(full.id);
    await client.beta.threads.update(full.id, { metadata: { user: "u2", extra: "yes" } });
    await client.beta.threads.update(bare.id, { tool_resources: { file_search: { vector_store_ids: ["vs_1"] } } });
    const deleted = await client.beta.threads.delete(full.id);
    expect(deleted.deleted).toBe(true);
    expect((await rec.request("GET", `/threads/${full.id}`)).status).toBe(404);
    await validated(rec, 7);
  });

  it("messages: create with string and array content, list, retrieve", async () => {
    const { rec, client } = setup();
    const thread = await client.beta.threads.create();
    const created = [
      await client.beta.threads.messages.create(thread.id, { role: "user", content: "Plain string content" }),
      await client.beta.threads.messages.create(thread.id, {
        role: "user",
        content: [
          { type: "text", text: "Look at these" },
          { type: "image_url", image_url: { url: "https://example.com/cat.png", detail: "low" } },
          { type: "image_file", image_file: { file_id: "file_img123" } },
        ],
        attachments: [{ file_id: "file_doc123", tools: [{ type: "code_interpreter" }, { type: "file_search" }] }],
        metadata: { source: "test" },
      }),
      await client.beta.threads.messages.create(thread.id, {
        role: "assistant",
        content: [{ type: "text", text: "I see a cat." }],
      }),
    ];
    for (const message of created) await client.beta.threads.messages.retrieve(message.id, { thread_id: thread.id });
    const listed = await client.beta.threads.messages.list(thread.id, { order: "asc" });
    expect(listed.data.map((message) => message.id)).toEqual(created.map((message) => message.id));
    expect(listed.data[1]?.content.map((part) => part.type)).toEqual(["text", "image_url", "image_file"]);
    await validated(rec, 10);
  });
});
