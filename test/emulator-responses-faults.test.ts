// The emulator's knobs and faults on the Responses API, each shown happening (globally through the admin endpoint, per
// response through `emulator_*` metadata), and its request validation: clear 400s in the upstream's error shape.
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { GATEWAY, emulatorFetch, emulatorSdk, resetEmulatorSettings, setEmulatorSettings } from "./helpers/emulator";
import { readFrames, responsesRequest, waitForResponse, WEATHER_FUNCTION } from "./helpers/responses";

afterEach(async () => {
  await resetEmulatorSettings();
});

const TERMINAL_EVENTS = ["response.completed", "response.failed", "response.incomplete"];

async function errorOf(response: Response) {
  return (
    (await response.json()) as { error: { message: string; type: string; param: string | null; code: string | null } }
  ).error;
}

const idOf = (frames: Awaited<ReturnType<typeof readFrames>>["frames"]) =>
  (frames[0]!.data.response as { id: string }).id;

describe("keepalive events", () => {
  it("a live stream waiting between events sends keepalives, each taking a sequence number; a replay shows the gaps", async () => {
    const live = await readFrames(
      await responsesRequest("POST", "/responses", {
        model: "gpt-4o",
        input: "Hello",
        background: true,
        stream: true,
        metadata: { emulator_delta_ms: "120", emulator_keepalive_ms: "50", emulator_reply_words: "3" },
      }),
    );
    const keepalives = live.frames.filter((frame) => frame.event === "keepalive");
    expect(keepalives.length).toBeGreaterThan(0);
    for (const frame of keepalives)
      expect(frame.data).toEqual({ type: "keepalive", sequence_number: expect.any(Number) });
    // One counter for all frames of the connection: strictly increasing, no repeats.
    const numbers = live.frames.map((frame) => frame.data.sequence_number);
    expect(numbers).toEqual(numbers.map((_, index) => index));
    expect(live.frames.at(-1)!.event).toBe("response.completed");

    // A replay has no keepalives: the numbers they took are gaps.
    const replay = await readFrames(await responsesRequest("GET", `/responses/${idOf(live.frames)}?stream=true`));
    const replayed = replay.frames.map((frame) => frame.data.sequence_number);
    expect(replay.frames.some((frame) => frame.event === "keepalive")).toBe(false);
    expect(replayed).toEqual(
      live.frames.filter((frame) => frame.event !== "keepalive").map((f) => f.data.sequence_number),
    );
    expect(replayed.at(-1)! + 1).toBeGreaterThan(replayed.length);
  });

  it("the SDK's stream helper takes keepalives in its stride", async () => {
    const client = emulatorSdk();
    const stream = client.responses.stream({
      model: "gpt-4o",
      input: "Hello",
      metadata: { emulator_delta_ms: "80", emulator_keepalive_ms: "30", emulator_reply_words: "3" },
    });
    const seen: string[] = [];
    stream.on("event", (event) => seen.push(event.type));
    const final = await stream.finalResponse();
    expect(final.status).toBe("completed");
    expect(final.output_text).toBe('You said: "Hello".');
    expect(seen).toContain("keepalive");
    expect(seen.at(-1)).toBe("response.completed");
  });

  it("no keepalive when events come faster than the interval (the default)", async () => {
    const { frames } = await readFrames(
      await responsesRequest("POST", "/responses", { model: "gpt-4o", input: "Hi", stream: true }),
    );
    expect(frames.some((frame) => frame.event === "keepalive")).toBe(false);
  });
});

describe("fault: stream cut after N events", () => {
  it("per response (emulator_cut_after): exactly N events, no terminal event; the background response still completes", async () => {
    const client = emulatorSdk();
    const { frames, text } = await readFrames(
      await responsesRequest("POST", "/responses", {
        model: "gpt-4o",
        input: "Hello",
        background: true,
        stream: true,
        metadata: { emulator_cut_after: "5" },
      }),
    );
    expect(frames.map((frame) => frame.event)).toEqual([
      "response.created",
      "response.queued",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
    ]);
    expect(text.endsWith("\n\n")).toBe(true);
    const done = await waitForResponse(client, idOf(frames));
    expect(done.status).toBe("completed");
    // A resume is cut as well: the knob belongs to the response.
    const resumed = await readFrames(
      await responsesRequest("GET", `/responses/${done.id}?stream=true&starting_after=4`),
    );
    expect(resumed.frames).toHaveLength(5);
    expect(resumed.frames.some((frame) => TERMINAL_EVENTS.includes(frame.event))).toBe(false);
  });

  it("global cut_after cuts every stream; the SDK's stream helper rejects", async () => {
    await setEmulatorSettings({ cut_after: 3 });
    const client = emulatorSdk();
    const stream = client.responses.stream({ model: "gpt-4o", input: "Hello" });
    await expect(stream.finalResponse()).rejects.toThrow();
  });
});

describe("fault: HTTP errors", () => {
  it("global http_errors 429 with retry_after: the request fails in the upstream's shape, then requests pass", async () => {
    await setEmulatorSettings({ http_errors: { status: 429, count: 1, retry_after: 2 } });
    const limited = await responsesRequest("POST", "/responses", { model: "gpt-4o", input: "Hi" });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(limited.headers.get("x-request-id")).toMatch(/^req_/);
    expect(await errorOf(limited)).toMatchObject({ type: "requests", code: "rate_limit_exceeded" });
    expect((await responsesRequest("POST", "/responses", { model: "gpt-4o", input: "Hi" })).status).toBe(200);
  });

  it("global http_errors 500 x2: exactly two requests fail, whichever paths they take", async () => {
    await setEmulatorSettings({ http_errors: { status: 500, count: 2 } });
    expect((await responsesRequest("POST", "/responses", { model: "gpt-4o", input: "Hi" })).status).toBe(500);
    expect((await responsesRequest("POST", "/conversations", {})).status).toBe(500);
    expect((await responsesRequest("POST", "/responses", { model: "gpt-4o", input: "Hi" })).status).toBe(200);
  });

  it("global http_errors 503: the SDK with retries rides through it", async () => {
    await setEmulatorSettings({ http_errors: { status: 503, count: 1, retry_after: 0 } });
    const client = emulatorSdk({ maxRetries: 1 });
    const response = await client.responses.create({ model: "gpt-4o", input: "Hi" });
    expect(response.status).toBe("completed");
  });

  it("per response (emulator_http_errors 500x2): the next two requests naming it fail, the third succeeds", async () => {
    const client = emulatorSdk();
    const created = await client.responses.create({
      model: "gpt-4o",
      input: "Hi",
      background: true,
      metadata: { emulator_http_errors: "500x2" },
    });
    for (let i = 0; i < 2; i++) {
      const failed = await responsesRequest("GET", `/responses/${created.id}`);
      expect(failed.status).toBe(500);
      expect(await errorOf(failed)).toMatchObject({ type: "server_error" });
    }
    expect((await responsesRequest("GET", `/responses/${created.id}`)).status).toBe(200);
  });
});

describe("fault: failed and incomplete responses", () => {
  for (const code of ["server_error", "rate_limit_exceeded"] as const) {
    it(`emulator_fail ${code}: half the reply streams, then response.failed with error {code, message}`, async () => {
      const { frames } = await readFrames(
        await responsesRequest("POST", "/responses", {
          model: "gpt-4o",
          input: "Hello",
          stream: true,
          metadata: { emulator_fail: code },
        }),
      );
      const deltas = frames.filter((frame) => frame.event === "response.output_text.delta");
      expect(deltas).toHaveLength(6);
      const failed = frames.at(-1)!;
      expect(failed.event).toBe("response.failed");
      expect(failed.data.response).toMatchObject({
        status: "failed",
        error: { code, message: expect.any(String) },
        output: [{ type: "message", status: "incomplete" }],
      });
    });
  }

  it("emulator_fail invalid_prompt: failed before any output", async () => {
    const client = emulatorSdk();
    const response = await client.responses.create({
      model: "gpt-4o",
      input: "Hello",
      metadata: { emulator_fail: "invalid_prompt" },
    });
    expect(response).toMatchObject({ status: "failed", output: [], error: { code: "invalid_prompt" } });
  });

  it("max_output_tokens below the reply: incomplete with reason max_output_tokens, the message cut at the budget", async () => {
    const client = emulatorSdk();
    const response = await client.responses.create({
      model: "gpt-4o",
      input: "Hello",
      max_output_tokens: 16,
      metadata: { emulator_reply_words: "30" },
    });
    expect(response).toMatchObject({
      status: "incomplete",
      incomplete_details: { reason: "max_output_tokens" },
      output: [{ type: "message", status: "incomplete" }],
    });
    expect(response.output_text.split(/\s+/)).toHaveLength(16);
    expect(response.usage?.output_tokens).toBe(16);
  });

  it("emulator_incomplete content_filter: incomplete with reason content_filter, ending with response.incomplete", async () => {
    const { frames } = await readFrames(
      await responsesRequest("POST", "/responses", {
        model: "gpt-4o",
        input: "Hello",
        stream: true,
        metadata: { emulator_incomplete: "content_filter" },
      }),
    );
    expect(frames.at(-1)!.event).toBe("response.incomplete");
    expect(frames.at(-1)!.data.response).toMatchObject({ incomplete_details: { reason: "content_filter" } });
    expect(frames.find((frame) => frame.event === "response.output_item.done")!.data.item).toMatchObject({
      status: "incomplete",
    });
  });

  it("emulator_stream_error nested: half the reply, then an error frame nested as upstream sends it; the response is failed", async () => {
    const client = emulatorSdk();
    const { frames } = await readFrames(
      await responsesRequest("POST", "/responses", {
        model: "gpt-4o",
        input: "Hello",
        background: true,
        stream: true,
        metadata: { emulator_stream_error: "nested" },
      }),
    );
    const last = frames.at(-1)!;
    expect(last.event).toBe("error");
    expect(last.data).toEqual({
      type: "error",
      sequence_number: frames.length - 1,
      error: { type: "too_many_requests", code: "too_many_requests", message: "Too Many Requests", param: null },
    });
    expect(frames.some((frame) => TERMINAL_EVENTS.includes(frame.event))).toBe(false);
    expect(frames.filter((frame) => frame.event === "response.output_text.delta")).toHaveLength(6);
    const polled = await waitForResponse(client, idOf(frames));
    expect(polled).toMatchObject({ status: "failed", error: { code: "rate_limit_exceeded" } });
  });

  it("emulator_stream_error flat: the spec's flat error event; the SDK's stream throws an APIError on it", async () => {
    const { frames } = await readFrames(
      await responsesRequest("POST", "/responses", {
        model: "gpt-4o",
        input: "Hello",
        stream: true,
        metadata: { emulator_stream_error: "flat" },
      }),
    );
    expect(frames.at(-1)!.data).toEqual({
      type: "error",
      sequence_number: frames.length - 1,
      code: "too_many_requests",
      message: "Too Many Requests",
      param: null,
    });
    const client = emulatorSdk();
    const stream = await client.responses.create({
      model: "gpt-4o",
      input: "Hello",
      stream: true,
      metadata: { emulator_stream_error: "nested" },
    });
    await expect(
      (async () => {
        for await (const _ of stream);
      })(),
    ).rejects.toBeInstanceOf(OpenAI.APIError);
  });

  it("an Assistants-only knob value is refused on a response, naming the knob", async () => {
    const refused = await responsesRequest("POST", "/responses", {
      model: "gpt-4o",
      input: "Hi",
      metadata: { emulator_incomplete: "max_completion_tokens" },
    });
    expect(refused.status).toBe(400);
    expect(await errorOf(refused)).toMatchObject({ param: "metadata.emulator_incomplete", code: "invalid_value" });
  });
});

describe("pace, length, first byte, stamps", () => {
  it("emulator_delta_ms paces the deltas; emulator_reply_words and words_per_delta set their number", async () => {
    const started = Date.now();
    const { frames } = await readFrames(
      await responsesRequest("POST", "/responses", {
        model: "gpt-4o",
        input: "Hello",
        stream: true,
        metadata: { emulator_delta_ms: "40", emulator_reply_words: "8", emulator_words_per_delta: "2" },
      }),
    );
    expect(frames.filter((frame) => frame.event === "response.output_text.delta")).toHaveLength(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40 * 6);
  });

  it("emulator_first_byte_ms holds back the stream's answer; emulator_stamp stamps the text deltas", async () => {
    const started = Date.now();
    const response = await responsesRequest("POST", "/responses", {
      model: "gpt-4o",
      input: "Hello",
      stream: true,
      metadata: { emulator_first_byte_ms: "400", emulator_stamp: "true" },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    const { frames } = await readFrames(response);
    const deltas = frames.filter((frame) => frame.event === "response.output_text.delta");
    for (const delta of deltas) expect(delta.data.emulator_emitted_at_ms).toEqual(expect.any(Number));
  });

  it("global reply_words and first_byte_ms apply to responses too", async () => {
    await setEmulatorSettings({ reply_words: 5, first_byte_ms: 300 });
    const client = emulatorSdk();
    const started = Date.now();
    const response = await client.responses.create({ model: "gpt-4o", input: "Hi" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(response.output_text.split(/\s+/)).toHaveLength(5);
  });
});

describe("request validation", () => {
  const cases: Array<[string, Record<string, unknown>, string | null, string | null]> = [
    [
      "an unknown parameter",
      { model: "gpt-4o", input: "Hi", assistant_id: "asst_1" },
      "assistant_id",
      "unknown_parameter",
    ],
    ["a missing model", { input: "Hi" }, "model", "missing_required_parameter"],
    ["a wrong type", { model: "gpt-4o", input: "Hi", background: "yes" }, "background", "invalid_type"],
    [
      "max_output_tokens under 16",
      { model: "gpt-4o", input: "Hi", max_output_tokens: 3 },
      "max_output_tokens",
      "invalid_value",
    ],
    [
      "a tool that is not a function",
      { model: "gpt-4o", input: "Hi", tools: [{ type: "web_search" }] },
      "tools[0].type",
      "unsupported_value",
    ],
    [
      "a bad function name",
      { model: "gpt-4o", input: "Hi", tools: [{ ...WEATHER_FUNCTION, name: "no spaces" }] },
      "tools[0].name",
      "invalid_value",
    ],
    ["background without store", { model: "gpt-4o", input: "Hi", background: true, store: false }, "store", null],
    [
      "an output without call_id",
      { model: "gpt-4o", input: [{ type: "function_call_output", output: "x" }] },
      "input[0].call_id",
      "missing_required_parameter",
    ],
    [
      "17 metadata pairs",
      {
        model: "gpt-4o",
        input: "Hi",
        metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])),
      },
      "metadata",
      "object_above_max_properties",
    ],
  ];
  for (const [name, body, param, code] of cases)
    it(`POST /responses with ${name} is a 400 naming the parameter`, async () => {
      const response = await responsesRequest("POST", "/responses", body);
      expect(response.status).toBe(400);
      expect(await errorOf(response)).toEqual({
        message: expect.any(String),
        type: "invalid_request_error",
        param,
        code,
      });
    });

  it("invalid JSON, a bad starting_after, an unknown path and an unknown response id answer in the upstream's shape", async () => {
    const client = emulatorSdk();
    const invalid = await emulatorFetch(`${GATEWAY}/emulator/v1/responses`, {
      method: "POST",
      headers: { authorization: "Bearer test-key", "content-type": "application/json" },
      body: "{not json",
    });
    expect(invalid.status).toBe(400);
    expect((await errorOf(invalid)).message).toMatch(/could not parse the JSON body/);
    const stream = await client.responses.create({ model: "gpt-4o", input: "Hi", background: true, stream: true });
    let id = "";
    for await (const event of stream) if (event.type === "response.created") id = event.response.id;
    const badCursor = await responsesRequest("GET", `/responses/${id}?stream=true&starting_after=abc`);
    expect(badCursor.status).toBe(400);
    expect((await errorOf(badCursor)).param).toBe("starting_after");
    const list = await responsesRequest("GET", "/responses");
    expect(list.status).toBe(404);
    expect((await errorOf(list)).message).toBe("Invalid URL (GET /v1/responses)");
    const unknown = await responsesRequest("GET", "/responses/resp_nope");
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).message).toBe("Response with id 'resp_nope' not found.");
    const include = await responsesRequest("GET", `/responses/${id}?include[]=nope`);
    expect(include.status).toBe(400);
  });

  it("the SDK surfaces a validation error as BadRequestError with the param", async () => {
    const client = emulatorSdk();
    await expect(
      client.responses.create({ model: "gpt-4o", input: "Hi", max_output_tokens: 2 }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });
});
