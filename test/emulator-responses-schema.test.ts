// Every object and every stream event the emulator's Responses and Conversations API answers validates against the
// upstream's own schemas (spec/responses-schemas.json, generated from the vendored OpenAPI subset). Each scenario records
// every HTTP answer it gets (through the SDK or plain HTTP), maps each request to the schema the spec gives for its
// answer, and validates bodies and SSE events after the scenario has run.
import type OpenAI from "openai";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { captureAnswer, type CapturedAnswer } from "./helpers/answer-capture";
import { GATEWAY, emulatorSdk, gatewayFetch, resetEmulatorSettings } from "./helpers/emulator";
import { responsesSchemas, type ResponsesSchemaName } from "./helpers/openapi-schemas";
import { WEATHER_FUNCTION, TIME_FUNCTION } from "./helpers/responses";

const { expectValid, schemaErrors } = responsesSchemas;
const API_PREFIX = "/emulator/v1";

/** The spec's answer schema for each operation; `stream` marks those that may answer with SSE instead. */
const ROUTES: Array<{ method: string; path: RegExp; schema: ResponsesSchemaName | "deleted-response"; stream?: true }> =
  [
    { method: "POST", path: /^\/responses$/, schema: "Response", stream: true },
    { method: "GET", path: /^\/responses\/[^/]+$/, schema: "Response", stream: true },
    // The spec gives this 200 no schema; its example is `{id, object: "response", deleted: true}`.
    { method: "DELETE", path: /^\/responses\/[^/]+$/, schema: "deleted-response" },
    { method: "POST", path: /^\/responses\/[^/]+\/cancel$/, schema: "Response" },
    { method: "GET", path: /^\/responses\/[^/]+\/input_items$/, schema: "ResponseItemList" },
    { method: "POST", path: /^\/conversations$/, schema: "ConversationResource" },
    { method: "GET", path: /^\/conversations\/[^/]+$/, schema: "ConversationResource" },
    { method: "POST", path: /^\/conversations\/[^/]+$/, schema: "ConversationResource" },
    { method: "DELETE", path: /^\/conversations\/[^/]+$/, schema: "DeletedConversationResource" },
    { method: "POST", path: /^\/conversations\/[^/]+\/items$/, schema: "ConversationItemList" },
    { method: "GET", path: /^\/conversations\/[^/]+\/items$/, schema: "ConversationItemList" },
    { method: "GET", path: /^\/conversations\/[^/]+\/items\/[^/]+$/, schema: "ConversationItem" },
    { method: "DELETE", path: /^\/conversations\/[^/]+\/items\/[^/]+$/, schema: "ConversationResource" },
  ];

/** The schema of each event type the emulator sends (every one is also checked against the ResponseStreamEvent union). */
const EVENT_SCHEMAS: Record<string, ResponsesSchemaName> = {
  "response.created": "ResponseCreatedEvent",
  "response.queued": "ResponseQueuedEvent",
  "response.in_progress": "ResponseInProgressEvent",
  "response.completed": "ResponseCompletedEvent",
  "response.failed": "ResponseFailedEvent",
  "response.incomplete": "ResponseIncompleteEvent",
  "response.output_item.added": "ResponseOutputItemAddedEvent",
  "response.output_item.done": "ResponseOutputItemDoneEvent",
  "response.content_part.added": "ResponseContentPartAddedEvent",
  "response.content_part.done": "ResponseContentPartDoneEvent",
  "response.output_text.delta": "ResponseTextDeltaEvent",
  "response.output_text.done": "ResponseTextDoneEvent",
  "response.function_call_arguments.delta": "ResponseFunctionCallArgumentsDeltaEvent",
  "response.function_call_arguments.done": "ResponseFunctionCallArgumentsDoneEvent",
  error: "ResponseErrorEvent",
};

const LISTS = new Set<ResponsesSchemaName>(["ResponseItemList", "ConversationItemList"]);

/**
 * KNOWN SPEC DEFECT 1 (reported, not hidden): `Response.usage` is `$ref: ResponseUsage`, an object, yet the upstream
 * sends `usage: null` until a response ends and on a cancelled one (the spec's own cancel example shows it; notes §1.3),
 * and so does the emulator. Where `usage` is exactly null (on a response, or on an event's `response`), the key is
 * dropped from a copy (it is not a required key) and the copy is validated; everything else must still hold.
 */
function withoutNullUsage(value: unknown, defects: string[], where: string): unknown {
  const copy = structuredClone(value) as { usage?: unknown; response?: { usage?: unknown } };
  if (copy && typeof copy === "object") {
    if (copy.usage === null && (copy as { object?: unknown }).object === "response") {
      delete copy.usage;
      defects.push(`${where} (usage: null)`);
    }
    if (copy.response && copy.response.usage === null) {
      delete copy.response.usage;
      defects.push(`${where} (response.usage: null)`);
    }
  }
  return copy;
}

/**
 * KNOWN SPEC DEFECT 2: the item lists declare `first_id` and `last_id` as required strings, yet an empty list has no
 * first or last item; the answer there is null. For an empty page exactly, only the `type` failures at those two keys
 * (and the enclosing reports at the root) are accepted.
 */
function emptyPageDefectOnly(schema: ResponsesSchemaName, value: unknown): boolean {
  const page = value as { data?: unknown; first_id?: unknown; last_id?: unknown };
  if (!LISTS.has(schema) || !Array.isArray(page.data) || page.data.length > 0) return false;
  if (page.first_id !== null || page.last_id !== null) return false;
  const errors = schemaErrors(schema, value);
  return errors.every(
    (e) =>
      (e.instanceLocation === "#" && (e.keyword === "properties" || e.keyword === "$ref")) ||
      ((e.instanceLocation === "#/first_id" || e.instanceLocation === "#/last_id") && e.keyword === "type"),
  );
}

interface Tally {
  responses: number;
  objects: number;
  events: Record<string, number>;
  specDefects: string[];
  frames: Array<{ event: string; data: Record<string, unknown> }>;
}

/** Captures every answer a scenario gets; the body is copied as it arrives, so streams reach their reader at once. */
class Recorder {
  private readonly captured: CapturedAnswer[] = [];

  readonly fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    return this.capture(request.method, new URL(request.url).pathname, await gatewayFetch(request));
  }) as typeof fetch;

  /** Plain HTTP to the emulator's `/v1` with only the API key, recorded. */
  request(method: string, path: string, body?: unknown): Promise<Response> {
    return this.fetch(`${GATEWAY}${API_PREFIX}${path}`, {
      method,
      headers: { authorization: "Bearer test-key", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  private capture(method: string, path: string, response: Response): Response {
    const captured = captureAnswer(method, path, response);
    this.captured.push(captured.answer);
    return captured.response;
  }

  async validate(): Promise<Tally> {
    const tally: Tally = { responses: 0, objects: 0, events: {}, specDefects: [], frames: [] };
    const failures: string[] = [];
    const check = (schema: ResponsesSchemaName, value: unknown, where: string) => {
      tally.objects += 1 + (LISTS.has(schema) ? ((value as { data?: unknown[] }).data?.length ?? 0) : 0);
      if (emptyPageDefectOnly(schema, value)) {
        tally.specDefects.push(`${where} (empty page)`);
        return;
      }
      try {
        expectValid(schema, withoutNullUsage(value, tally.specDefects, where), where);
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    };
    for (const answer of this.captured) {
      tally.responses++;
      const where = `${answer.method} ${answer.path} → ${answer.status}`;
      let text: string;
      try {
        text = await answer.text;
      } catch (error) {
        // A cut stream: its frames before the cut are still checked below.
        text = String((error as { partial?: string }).partial ?? "");
      }
      const path = answer.path.slice(API_PREFIX.length);
      if (answer.status >= 400) {
        if (!/^application\/json/.test(answer.contentType))
          failures.push(`${where}: error answered as ${answer.contentType}`);
        check("ErrorResponse", JSON.parse(text), where);
        continue;
      }
      const route = ROUTES.find((r) => r.method === answer.method && r.path.test(path));
      if (!route) {
        failures.push(`${where}: no answer schema mapped for this operation`);
        continue;
      }
      if (/^text\/event-stream/.test(answer.contentType)) {
        if (!route.stream) failures.push(`${where}: answered with a stream, but this operation never streams`);
        this.validateStream(text, where, tally, failures, check);
      } else if (route.schema === "deleted-response") {
        const body = JSON.parse(text) as Record<string, unknown>;
        if (!(body.object === "response" && body.deleted === true && typeof body.id === "string"))
          failures.push(`${where}: not the spec example's deletion shape: ${text}`);
        tally.objects++;
      } else check(route.schema, JSON.parse(text), where);
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
    check: (schema: ResponsesSchemaName, value: unknown, where: string) => void,
  ) {
    if (text && !text.endsWith("\n\n")) failures.push(`${where}: the stream does not end with a complete frame`);
    if (text.includes("[DONE]")) failures.push(`${where}: the Responses API sends no [DONE]`);
    let previous = -1;
    text
      .split("\n\n")
      .filter((block) => block.trim())
      .forEach((block, index) => {
        const lines = block.split("\n");
        const names = lines.filter((line) => line.startsWith("event: ")).map((line) => line.slice(7));
        const data = lines.filter((line) => line.startsWith("data: ")).map((line) => line.slice(6));
        const at = `${where}, frame #${index} ${names[0]}`;
        if (names.length !== 1 || data.length !== 1 || lines.length !== 2) {
          failures.push(`${at}: malformed SSE frame ${JSON.stringify(block)}`);
          return;
        }
        const event = names[0]!;
        const value = JSON.parse(data[0]!) as Record<string, unknown> & { type: string; sequence_number: number };
        tally.events[event] = (tally.events[event] ?? 0) + 1;
        tally.frames.push({ event, data: value });
        if (value.type !== event) failures.push(`${at}: data.type is ${value.type}`);
        if (!(Number.isInteger(value.sequence_number) && value.sequence_number > previous))
          failures.push(`${at}: sequence_number ${value.sequence_number} does not follow ${previous}`);
        previous = value.sequence_number;
        if (event === "keepalive") {
          // Undocumented in the spec, observed upstream (notes §1.5): exactly a type and a sequence number.
          if (Object.keys(value).sort().join() !== "sequence_number,type") failures.push(`${at}: ${data[0]}`);
          tally.objects++;
          return;
        }
        if (event === "error" && "error" in value) {
          // KNOWN SPEC DEFECT 3: upstream error frames nest their details (notes §1.5), the spec's event is flat. The
          // nested frame must be exactly {type, sequence_number, error} with `error` the spec's own Error object.
          if (Object.keys(value).sort().join() !== "error,sequence_number,type") failures.push(`${at}: ${data[0]}`);
          check("Error", value.error, `${at} (nested error)`);
          tally.specDefects.push(`${at} (nested error frame)`);
          return;
        }
        const schema = EVENT_SCHEMAS[event];
        if (!schema) {
          failures.push(`${at}: an event type the emulator should not send`);
          return;
        }
        check(schema, value, at);
        check("ResponseStreamEvent", value, `${at} (as ResponseStreamEvent)`);
      });
  }
}

const totals = {
  responses: 0,
  objects: 0,
  specDefects: 0,
  events: {} as Record<string, number>,
  add(tally: Tally) {
    this.responses += tally.responses;
    this.objects += tally.objects;
    this.specDefects += tally.specDefects.length;
    for (const [name, count] of Object.entries(tally.events)) this.events[name] = (this.events[name] ?? 0) + count;
  },
};

afterAll(() => {
  const { add: _, ...summary } = totals;
  console.log(`emulator-responses-schema totals: ${JSON.stringify(summary, null, 1)}`);
});

afterEach(async () => {
  await resetEmulatorSettings();
});

function setup() {
  const rec = new Recorder();
  return { rec, client: emulatorSdk({ fetch: rec.fetch }) };
}

async function drain<T>(stream: AsyncIterable<T>) {
  const events: T[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

async function validated(rec: Recorder, minObjects: number, events: string[] = []): Promise<Tally> {
  const tally = await rec.validate();
  expect(tally.objects, "values validated in this scenario").toBeGreaterThanOrEqual(minObjects);
  for (const event of events) expect(Object.keys(tally.events), `event ${event}`).toContain(event);
  return tally;
}

const TOOLS = [WEATHER_FUNCTION, TIME_FUNCTION];

describe("every Responses and Conversations answer and event validates against the spec's schemas", () => {
  it("the validator is live: it rejects a response and an event broken where the spec forbids it", async () => {
    const { client } = setup();
    const response = await client.responses.create({ model: "gpt-4o", input: "Control" });
    const { output_text: _, ...wire } = response as OpenAI.Responses.Response & { output_text?: string };
    expectValid("Response", wire);
    const broken = { ...wire, status: "paused", output: [{ type: "message", id: 7 }], created_at: "today" };
    delete (broken as Record<string, unknown>).model;
    const found = new Set(schemaErrors("Response", broken).map((e) => `${e.instanceLocation} ${e.keyword}`));
    for (const expected of ["#/status enum", "#/created_at type", "#/output/0/id type"])
      expect(found).toContain(expected);
    expect(() => expectValid("Response", broken)).toThrow(/does not validate against Response/);
    // usage: null is the documented defect, not something the schema allows.
    expect(schemaErrors("Response", { ...wire, usage: null }).length).toBeGreaterThan(0);
    expect(() =>
      expectValid("ResponseStreamEvent", { type: "response.output_text.delta", item_id: "m", delta: "x" }),
    ).toThrow();
    expect(() => expectValid("ResponseStreamEvent", { type: "keepalive", sequence_number: 3 })).toThrow();
  });

  it("foreground: create, retrieve, input items, delete", async () => {
    const { rec, client } = setup();
    const response = await client.responses.create({
      model: "gpt-4o",
      instructions: "Be brief.",
      input: [
        { role: "developer", content: "Use short words." },
        { role: "user", content: [{ type: "input_text", text: "Hello there" }] },
        { role: "assistant", content: "Earlier answer" },
      ],
      metadata: { case: "plain" },
    });
    await client.responses.retrieve(response.id);
    await client.responses.inputItems.list(response.id, { order: "asc" });
    await client.responses.delete(response.id);
    await validated(rec, 7);
  });

  it("streams: text in the foreground, text in the background with keepalives and a resume, function calls", async () => {
    const { rec, client } = setup();
    await drain(await client.responses.create({ model: "gpt-4o", input: "Hello", stream: true }));
    const background = await drain(
      await client.responses.create({
        model: "gpt-4o",
        input: "Hello",
        background: true,
        stream: true,
        metadata: { emulator_delta_ms: "60", emulator_keepalive_ms: "25", emulator_reply_words: "3" },
      }),
    );
    const id = (background[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    await drain(await client.responses.retrieve(id, { stream: true, starting_after: 2 }));
    await drain(
      await client.responses.create({
        model: "gpt-4o",
        input: "get_weather Paris and get_time Rome",
        tools: TOOLS,
        stream: true,
      }),
    );
    const tally = await validated(rec, 60, [
      "response.created",
      "response.queued",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.completed",
      "keepalive",
    ]);
    expect(tally.specDefects.length).toBeGreaterThan(0);
  });

  it("background: poll, cancel, the tool loop over previous_response_id", async () => {
    const { rec, client } = setup();
    const slow = await client.responses.create({
      model: "gpt-4o",
      input: "Hello",
      background: true,
      metadata: { emulator_delta_ms: "100" },
    });
    await client.responses.retrieve(slow.id);
    await client.responses.cancel(slow.id);
    await client.responses.cancel(slow.id);
    const calls = await client.responses.create({
      model: "gpt-4o",
      input: "get_weather Oslo",
      tools: TOOLS,
      background: true,
    });
    let done = await client.responses.retrieve(calls.id);
    while (done.status !== "completed") done = await client.responses.retrieve(calls.id);
    const [call] = done.output as OpenAI.Responses.ResponseFunctionToolCall[];
    const next = await client.responses.create({
      model: "gpt-4o",
      previous_response_id: calls.id,
      input: [{ type: "function_call_output", call_id: call!.call_id, output: "snow" }],
      tools: TOOLS,
    });
    let final = await client.responses.retrieve(next.id);
    while (final.status !== "completed") final = await client.responses.retrieve(next.id);
    await client.responses.inputItems.list(next.id);
    await validated(rec, 10);
  });

  it("conversations: CRUD, items, responses on a conversation, an empty page", async () => {
    const { rec, client } = setup();
    const empty = await client.conversations.create({});
    await client.conversations.items.list(empty.id);
    const conversation = await client.conversations.create({
      metadata: { topic: "t" },
      items: [{ type: "message", role: "user", content: "Hi" }],
    });
    await client.conversations.retrieve(conversation.id);
    await client.conversations.update(conversation.id, { metadata: { topic: "u" } });
    const added = await client.conversations.items.create(conversation.id, {
      items: [{ type: "message", role: "assistant", content: "Hello" }],
    });
    const first = await client.responses.create({
      model: "gpt-4o",
      conversation: conversation.id,
      input: "get_weather Paris",
      tools: TOOLS,
    });
    const [call] = first.output as OpenAI.Responses.ResponseFunctionToolCall[];
    await client.responses.create({
      model: "gpt-4o",
      conversation: conversation.id,
      input: [{ type: "function_call_output", call_id: call!.call_id, output: "sun" }],
      tools: TOOLS,
    });
    const items = await client.conversations.items.list(conversation.id);
    for (const item of items.data)
      await client.conversations.items.retrieve(item.id!, { conversation_id: conversation.id });
    await client.conversations.items.delete(added.data[0]!.id!, { conversation_id: conversation.id });
    await client.conversations.delete(conversation.id);
    const tally = await validated(rec, 20);
    expect(tally.specDefects.some((defect) => defect.includes("empty page"))).toBe(true);
  });

  it("faults: failed, incomplete, content_filter, invalid_prompt, stamped deltas", async () => {
    const { rec, client } = setup();
    for (const metadata of [
      { emulator_fail: "server_error" } as Record<string, string>,
      { emulator_incomplete: "content_filter", emulator_stamp: "true" },
      { emulator_fail: "invalid_prompt" },
    ])
      await drain(await client.responses.create({ model: "gpt-4o", input: "Hello", stream: true, metadata }));
    await client.responses.create({
      model: "gpt-4o",
      input: "Hello",
      max_output_tokens: 16,
      metadata: { emulator_reply_words: "20" },
    });
    for (const shape of ["nested", "flat"]) {
      const response = await rec.request("POST", "/responses", {
        model: "gpt-4o",
        input: "Hello",
        stream: true,
        metadata: { emulator_stream_error: shape },
      });
      await response.text();
    }
    await validated(rec, 40, ["response.failed", "response.incomplete", "error"]);
  });

  it("errors: every refusal is the upstream's error object", async () => {
    const { rec, client } = setup();
    const conversation = await client.conversations.create({});
    const running = await client.responses.create({
      model: "gpt-4o",
      conversation: conversation.id,
      input: "Slow",
      background: true,
      metadata: { emulator_delta_ms: "50" },
    });
    const foreground = await client.responses.create({ model: "gpt-4o", input: "Hi" });
    const refusals = [
      rec.request("POST", "/responses", { model: "gpt-4o", conversation: conversation.id, input: "Locked" }),
      rec.request("POST", "/responses", { model: "gpt-4o", input: "Hi", unknown: 1 }),
      rec.request("POST", "/responses", { input: "Hi" }),
      rec.request("POST", "/responses", { model: "gpt-4o", previous_response_id: "resp_x", input: "Hi" }),
      rec.request("GET", "/responses/resp_nope"),
      rec.request("GET", `/responses/${running.id}/nope`),
      rec.request("POST", `/responses/${foreground.id}/cancel`),
      rec.request("GET", "/conversations/conv_nope"),
      rec.request("POST", `/conversations/${conversation.id}/items`, {
        items: Array.from({ length: 21 }, () => ({ type: "message", role: "user", content: "x" })),
      }),
      rec.request("POST", `/conversations/${conversation.id}/items`, {}),
      rec.request("DELETE", `/conversations/${conversation.id}/items/msg_nope`),
    ];
    const statuses = (await Promise.all(refusals)).map((response) => response.status);
    expect(statuses.every((status) => status >= 400)).toBe(true);
    await validated(rec, 11);
  });
});
