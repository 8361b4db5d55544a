// The emulator's Responses API as a client meets it: the official SDK for the ordinary calls, raw HTTP for the wire
// (event order, sequence numbers, resume with starting_after, the refusals), and the tool loop over previous_response_id.
import OpenAI, { BadRequestError, NotFoundError } from "openai";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { afterEach, describe, expect, it } from "vitest";
import { emulatorSdk, resetEmulatorSettings } from "./helpers/emulator";
import {
  readFrames,
  responsesRequest,
  textReplyEvents,
  TIME_FUNCTION,
  waitForResponse,
  WEATHER_FUNCTION,
} from "./helpers/responses";

afterEach(async () => {
  await resetEmulatorSettings();
});

const TOOLS = [WEATHER_FUNCTION, TIME_FUNCTION];

async function drain(stream: AsyncIterable<ResponseStreamEvent>) {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe("POST /responses in the foreground", () => {
  it("answers the completed response, echoing the input, with usage and no beta header needed", async () => {
    const client = emulatorSdk();
    const response = await client.responses.create({
      model: "gpt-4o",
      input: "Hello there",
      instructions: "Be brief.",
    });
    expect(response).toMatchObject({
      object: "response",
      status: "completed",
      background: false,
      model: "gpt-4o",
      instructions: "Be brief.",
      previous_response_id: null,
      conversation: null,
      error: null,
      incomplete_details: null,
      store: true,
    });
    expect(response.id).toMatch(/^resp_[A-Za-z0-9]{48}$/);
    expect(response.output).toHaveLength(1);
    expect(response.output_text).toMatch(/^You said: "Hello there"\./);
    expect(response.output_text.split(/\s+/)).toHaveLength(12);
    expect(response.usage).toMatchObject({ input_tokens: 4, output_tokens: 12, total_tokens: 16 });
    expect(response.completed_at).toEqual(expect.any(Number));
    // Retrievable afterwards, unchanged.
    expect(await client.responses.retrieve(response.id)).toEqual(response);
  });

  it("the raw answer carries the upstream headers, and an unknown key is refused like the Assistants API", async () => {
    const ok = await responsesRequest("POST", "/responses", { model: "gpt-4o", input: "Hi" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-request-id")).toMatch(/^req_/);
    expect(ok.headers.get("openai-version")).toBe("2020-10-01");
    const noKey = await responsesRequest("POST", "/responses", { model: "gpt-4o", input: "Hi" }, { authorization: "" });
    expect(noKey.status).toBe(401);
  });

  it("calls a function named in the message: the response completes with function_call items", async () => {
    const client = emulatorSdk();
    const response = await client.responses.create({
      model: "gpt-4o",
      input: "What is the weather? get_weather Paris, and get_time Oslo",
      tools: TOOLS,
    });
    expect(response.status).toBe("completed");
    expect(response.output.map((item) => item.type)).toEqual(["function_call", "function_call"]);
    const [weather, time] = response.output as OpenAI.Responses.ResponseFunctionToolCall[];
    expect(weather).toMatchObject({ name: "get_weather", arguments: '{"city":"Paris"}', status: "completed" });
    expect(time).toMatchObject({ name: "get_time", arguments: '{"city":"Oslo"}', status: "completed" });
    expect(weather!.id).toMatch(/^fc_/);
    expect(weather!.call_id).toMatch(/^call_/);
  });

  it("tool_choice and parallel_tool_calls follow the Assistants surface's rules", async () => {
    const client = emulatorSdk();
    const none = await client.responses.create({
      model: "gpt-4o",
      input: "get_weather Paris",
      tools: TOOLS,
      tool_choice: "none",
    });
    expect(none.output.map((item) => item.type)).toEqual(["message"]);
    const named = await client.responses.create({
      model: "gpt-4o",
      input: "Tell me the time in Rome",
      tools: TOOLS,
      tool_choice: { type: "function", name: "get_time" },
    });
    expect(named.output).toMatchObject([{ type: "function_call", name: "get_time" }]);
    const single = await client.responses.create({
      model: "gpt-4o",
      input: "get_weather Paris and get_time Oslo",
      tools: TOOLS,
      parallel_tool_calls: false,
    });
    expect(single.output).toMatchObject([{ type: "function_call", name: "get_weather" }]);
  });
});

describe("the tool loop over previous_response_id", () => {
  it("outputs answer the calls in a new response, which replies with them; a chained response may come back in_progress", async () => {
    const client = emulatorSdk();
    const first = await client.responses.create({ model: "gpt-4o", input: "get_weather Paris", tools: TOOLS });
    const [call] = first.output as OpenAI.Responses.ResponseFunctionToolCall[];
    const second = await client.responses.create({
      model: "gpt-4o",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: call!.call_id, output: "sunny, 21C" }],
      tools: TOOLS,
    });
    expect(second.previous_response_id).toBe(first.id);
    // Observed upstream: a chained foreground response can answer before it has finished; the caller polls.
    expect(second.status).toBe("in_progress");
    const done = await waitForResponse(client, second.id);
    expect(done.status).toBe("completed");
    expect(done.output_text).toMatch(/^get_weather returned: sunny, 21C\./);
    // The same home holds the chain: its input items list the output given.
    const items = await client.responses.inputItems.list(second.id);
    expect(items.data).toMatchObject([{ type: "function_call_output", call_id: call!.call_id, output: "sunny, 21C" }]);
  });

  it("refuses an output for a call that was never made, and a chained request that leaves a call unanswered", async () => {
    const client = emulatorSdk();
    const first = await client.responses.create({ model: "gpt-4o", input: "get_weather Paris", tools: TOOLS });
    const [call] = first.output as OpenAI.Responses.ResponseFunctionToolCall[];
    const stray = client.responses.create({
      model: "gpt-4o",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: "call_nope", output: "x" }],
    });
    await expect(stray).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("No tool call found for function call output with call_id call_nope."),
      param: "input",
    });
    const unanswered = client.responses.create({ model: "gpt-4o", previous_response_id: first.id, input: "And now?" });
    await expect(unanswered).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining(`No tool output found for function call ${call!.call_id}.`),
    });
  });

  it("an unknown previous_response_id is the upstream's previous_response_not_found", async () => {
    const client = emulatorSdk();
    const missing = client.responses.create({ model: "gpt-4o", previous_response_id: "resp_nope", input: "Hi" });
    await expect(missing).rejects.toBeInstanceOf(BadRequestError);
    await expect(missing).rejects.toMatchObject({ code: "previous_response_not_found", param: "previous_response_id" });
  });
});

describe("streaming", () => {
  it("a foreground stream: created, in_progress, the documented text events, completed; sequence numbers from 0", async () => {
    const client = emulatorSdk();
    const events = await drain(await client.responses.create({ model: "gpt-4o", input: "Hello there", stream: true }));
    expect(events.map((event) => event.type)).toEqual([
      "response.created",
      "response.in_progress",
      ...textReplyEvents(12),
      "response.completed",
    ]);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    const created = events[0] as OpenAI.Responses.ResponseCreatedEvent;
    expect(created.response).toMatchObject({ status: "in_progress", output: [], usage: null });
    const deltas = events.filter((event) => event.type === "response.output_text.delta");
    const done = events.find((event) => event.type === "response.output_text.done")!;
    expect(deltas.map((delta) => delta.delta).join("")).toBe(done.text);
    // Deltas carry obfuscation padding unless asked not to.
    expect(deltas.every((delta) => typeof (delta as { obfuscation?: unknown }).obfuscation === "string")).toBe(true);
  });

  it("a background stream: created (queued), queued, in_progress, then the reply; no [DONE]", async () => {
    const response = await responsesRequest("POST", "/responses", {
      model: "gpt-4o",
      input: "Hi",
      background: true,
      stream: true,
      stream_options: { include_obfuscation: false },
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const { frames, text } = await readFrames(response);
    expect(frames.slice(0, 3).map((frame) => frame.event)).toEqual([
      "response.created",
      "response.queued",
      "response.in_progress",
    ]);
    expect(frames[0]!.data.response).toMatchObject({ status: "queued", background: true });
    expect(frames.at(-1)!.event).toBe("response.completed");
    expect(text).not.toContain("[DONE]");
    expect(frames.every((frame) => frame.event === frame.data.type)).toBe(true);
    expect(frames.some((frame) => "obfuscation" in frame.data)).toBe(false);
  });

  it("function calls stream as output items with argument deltas, then completed", async () => {
    const client = emulatorSdk();
    const events = await drain(
      await client.responses.create({ model: "gpt-4o", input: "get_weather Paris", tools: TOOLS, stream: true }),
    );
    const types = events.map((event) => event.type);
    expect(types.slice(0, 3)).toEqual(["response.created", "response.in_progress", "response.output_item.added"]);
    expect(types.slice(-3)).toEqual([
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const args = events.filter((event) => event.type === "response.function_call_arguments.delta");
    expect(args.length).toBeGreaterThan(0);
    const done = events.find((event) => event.type === "response.function_call_arguments.done")!;
    expect(done).toMatchObject({ name: "get_weather", arguments: '{"city":"Paris"}' });
    expect(args.map((event) => event.delta).join("")).toBe(done.arguments);
  });

  it("the SDK's responses.stream helper builds the final response from the events", async () => {
    const client = emulatorSdk();
    const stream = client.responses.stream({ model: "gpt-4o", input: "Hello there" });
    const final = await stream.finalResponse();
    expect(final.status).toBe("completed");
    expect(final.output_text).toMatch(/^You said: "Hello there"\./);
  });
});

describe("background responses: poll, resume, cancel", () => {
  it("create answers queued at once; polling reaches completed", async () => {
    const client = emulatorSdk();
    const created = await client.responses.create({
      model: "gpt-4o",
      input: "Hello",
      background: true,
      metadata: { emulator_delta_ms: "20" },
    });
    expect(created).toMatchObject({ status: "queued", background: true, usage: null, output: [] });
    const done = await waitForResponse(client, created.id);
    expect(done.status).toBe("completed");
    expect(done.usage?.output_tokens).toBe(12);
  });

  it("GET ?stream=true&starting_after=N replays the events after N, then follows live to the end", async () => {
    const created = await responsesRequest("POST", "/responses", {
      model: "gpt-4o",
      input: "Hello",
      background: true,
      stream: true,
      metadata: { emulator_delta_ms: "30" },
    });
    const reader = created.body!.getReader();
    // Read a little of the live stream, then drop it, as a client that lost its connection.
    const first = new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const id = /"id":"(resp_[A-Za-z0-9]+)"/.exec(first)![1]!;

    const resumed = await responsesRequest(
      "GET",
      `/responses/${id}?stream=true&starting_after=3&include_obfuscation=false`,
    );
    expect(resumed.status).toBe(200);
    const { frames } = await readFrames(resumed);
    expect(frames[0]!.data.sequence_number).toBe(4);
    expect(frames.at(-1)!.event).toBe("response.completed");
    const numbers = frames.map((frame) => frame.data.sequence_number);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));

    // Without starting_after the whole log replays, from response.created.
    const whole = await readFrames(
      await responsesRequest("GET", `/responses/${id}?stream=true&include_obfuscation=false`),
    );
    expect(whole.frames[0]!.event).toBe("response.created");
    expect(whole.frames[0]!.data.sequence_number).toBe(0);
    expect(whole.frames.slice(0, 3).map((frame) => frame.event)).toEqual([
      "response.created",
      "response.queued",
      "response.in_progress",
    ]);
    expect(whole.frames.slice(4)).toEqual(frames);
  });

  it("the SDK's retrieve(id, {stream, starting_after}) resumes too", async () => {
    const client = emulatorSdk();
    const created = await client.responses.create({ model: "gpt-4o", input: "Hello", background: true, stream: true });
    const events = await drain(created);
    const id = (events[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const resumed = await drain(await client.responses.retrieve(id, { stream: true, starting_after: 10 }));
    expect(resumed.map((event) => event.sequence_number)).toEqual(
      events.filter((event) => event.sequence_number > 10).map((event) => event.sequence_number),
    );
  });

  it("the SDK's responses.stream({response_id, starting_after}) helper replays from the start and drops what it had", async () => {
    const client = emulatorSdk();
    const created = await client.responses.create({
      model: "gpt-4o",
      input: "Hello there",
      background: true,
      stream: true,
    });
    const id = ((await drain(created))[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const stream = client.responses.stream({ response_id: id, starting_after: 5 });
    const numbers: number[] = [];
    stream.on("event", (event) => numbers.push(event.sequence_number));
    const final = await stream.finalResponse();
    expect(final.output_text).toMatch(/^You said: "Hello there"\./);
    expect(numbers[0]).toBe(6);
  });

  it("refuses to resume a background response created without stream: true", async () => {
    const client = emulatorSdk();
    const created = await client.responses.create({ model: "gpt-4o", input: "Hi", background: true });
    const refused = await responsesRequest("GET", `/responses/${created.id}?stream=true`);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/stream=true/);
  });

  it("refuses to stream a response not created with background=true (400), and one too old", async () => {
    const client = emulatorSdk();
    const foreground = await client.responses.create({ model: "gpt-4o", input: "Hi" });
    const refused = await responsesRequest("GET", `/responses/${foreground.id}?stream=true`);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      "This response cannot be streamed because it was not created with background=true.",
    );

    const old = await client.responses.create({
      model: "gpt-4o",
      input: "Hi",
      background: true,
      stream: true,
      metadata: { emulator_resume_window_ms: "300" },
    });
    const id = ((await drain(old))[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    expect((await responsesRequest("GET", `/responses/${id}?stream=true`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const tooOld = await responsesRequest("GET", `/responses/${id}?stream=true&starting_after=2`);
    expect(tooOld.status).toBe(400);
    expect(((await tooOld.json()) as { error: { message: string; type: string } }).error).toMatchObject({
      message: "This response can no longer be streamed because it is more than 1 second old",
      type: "invalid_request_error",
    });
    // Still retrievable as an object.
    expect((await client.responses.retrieve(id)).status).toBe("completed");
  });

  it("cancel: a background response becomes cancelled at once, with usage null; twice is idempotent", async () => {
    const client = emulatorSdk();
    const created = await client.responses.create({
      model: "gpt-4o",
      input: "Hello",
      background: true,
      metadata: { emulator_delta_ms: "100" },
    });
    const cancelled = await client.responses.cancel(created.id);
    expect(cancelled).toMatchObject({ id: created.id, status: "cancelled", usage: null });
    expect((await client.responses.cancel(created.id)).status).toBe("cancelled");
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await client.responses.retrieve(created.id)).status).toBe("cancelled");
  });

  it("cancel refuses a completed response and a foreground one", async () => {
    const client = emulatorSdk();
    const background = await client.responses.create({ model: "gpt-4o", input: "Hi", background: true });
    await waitForResponse(client, background.id);
    await expect(client.responses.cancel(background.id)).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("Cannot cancel a completed response."),
    });
    const foreground = await client.responses.create({ model: "gpt-4o", input: "Hi" });
    await expect(client.responses.cancel(foreground.id)).rejects.toMatchObject({ status: 400 });
  });

  it("a live stream of a cancelled response ends without a terminal event", async () => {
    const client = emulatorSdk();
    const response = await responsesRequest("POST", "/responses", {
      model: "gpt-4o",
      input: "Hello",
      background: true,
      stream: true,
      metadata: { emulator_delta_ms: "80" },
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value, { stream: true });
    const id = /"id":"(resp_[A-Za-z0-9]+)"/.exec(text)![1]!;
    await client.responses.cancel(id);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const events = [...text.matchAll(/^event: (.+)$/gm)].map((match) => match[1]);
    expect(events).toContain("response.created");
    expect(events.filter((event) => /^response\.(completed|failed|incomplete|cancelled)$/.test(event!))).toEqual([]);
    expect((await client.responses.retrieve(id)).status).toBe("cancelled");
  });
});

describe("retrieve, delete, input items", () => {
  it("delete answers the deletion and the response is gone; input items list what was sent, newest first", async () => {
    const client = emulatorSdk();
    const response = await client.responses.create({
      model: "gpt-4o",
      input: [
        { role: "user", content: "First" },
        { role: "user", content: [{ type: "input_text", text: "Second" }] },
      ],
    });
    const items = await client.responses.inputItems.list(response.id);
    expect(items.data.map((item) => item.type === "message" && item.content[0])).toEqual([
      { type: "input_text", text: "Second" },
      { type: "input_text", text: "First" },
    ]);
    const ascending = await client.responses.inputItems.list(response.id, { order: "asc", limit: 1 });
    expect(ascending.data).toHaveLength(1);
    expect(ascending.has_more).toBe(true);

    const raw = await responsesRequest("DELETE", `/responses/${response.id}`);
    expect(await raw.json()).toEqual({ id: response.id, object: "response", deleted: true });
    await expect(client.responses.retrieve(response.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("a store:false response cannot be retrieved", async () => {
    const client = emulatorSdk();
    const response = await client.responses.create({ model: "gpt-4o", input: "Hi", store: false });
    expect(response.status).toBe("completed");
    await expect(client.responses.retrieve(response.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});
