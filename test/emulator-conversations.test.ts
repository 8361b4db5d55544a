// The emulator's Conversations API, and responses on a conversation: items appended when a response ends, the tool loop
// through the conversation, and the upstream's conversation_locked refusal of a second response in flight.
import OpenAI, { NotFoundError } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { emulatorSdk, resetEmulatorSettings } from "./helpers/emulator";
import { readFrames, responsesRequest, TIME_FUNCTION, waitForResponse, WEATHER_FUNCTION } from "./helpers/responses";

afterEach(async () => {
  await resetEmulatorSettings();
});

const textOf = (item: OpenAI.Conversations.ConversationItem) =>
  item.type === "message" ? item.content.map((part) => ("text" in part ? part.text : "")).join("") : "";

describe("conversations and their items", () => {
  it("create with items and metadata, retrieve, update metadata, delete (then 404)", async () => {
    const client = emulatorSdk();
    const conversation = await client.conversations.create({
      metadata: { topic: "weather" },
      items: [{ type: "message", role: "user", content: "Hello" }],
    });
    expect(conversation).toMatchObject({ object: "conversation", metadata: { topic: "weather" } });
    expect(conversation.id).toMatch(/^conv_[A-Za-z0-9]{24}$/);
    expect(await client.conversations.retrieve(conversation.id)).toEqual(conversation);
    const updated = await client.conversations.update(conversation.id, { metadata: { topic: "time" } });
    expect(updated.metadata).toEqual({ topic: "time" });
    expect((await client.conversations.retrieve(conversation.id)).metadata).toEqual({ topic: "time" });

    const deleted = await client.conversations.delete(conversation.id);
    expect(deleted).toEqual({ id: conversation.id, object: "conversation.deleted", deleted: true });
    await expect(client.conversations.retrieve(conversation.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.conversations.retrieve("conv_unknown")).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining("Conversation with id 'conv_unknown' not found."),
    });
  });

  it("items: add (answered as a list), list newest first with cursors, retrieve one, delete one (answers the conversation)", async () => {
    const client = emulatorSdk();
    const conversation = await client.conversations.create({
      items: [{ type: "message", role: "user", content: "One" }],
    });
    const added = await client.conversations.items.create(conversation.id, {
      items: [
        { type: "message", role: "assistant", content: "Two" },
        { type: "message", role: "user", content: [{ type: "input_text", text: "Three" }] },
      ],
    });
    expect(added.data.map(textOf)).toEqual(["Two", "Three"]);
    expect(added).toMatchObject({ object: "list", has_more: false, first_id: added.data[0]!.id });

    const page = await client.conversations.items.list(conversation.id, { limit: 2 });
    expect(page.data.map(textOf)).toEqual(["Three", "Two"]);
    expect(page.has_more).toBe(true);
    const next = await page.getNextPage();
    expect(next.data.map(textOf)).toEqual(["One"]);
    const ascending = await client.conversations.items.list(conversation.id, { order: "asc" });
    expect(ascending.data.map(textOf)).toEqual(["One", "Two", "Three"]);
    // An assistant message is stored with output_text parts, a user message with input_text.
    expect(ascending.data[1]).toMatchObject({
      type: "message",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: "Two", annotations: [] }],
    });

    const two = ascending.data[1]!;
    expect(await client.conversations.items.retrieve(two.id!, { conversation_id: conversation.id })).toEqual(two);
    const after = await client.conversations.items.delete(two.id!, { conversation_id: conversation.id });
    expect(after).toEqual(await client.conversations.retrieve(conversation.id));
    expect((await client.conversations.items.list(conversation.id, { order: "asc" })).data.map(textOf)).toEqual([
      "One",
      "Three",
    ]);
    await expect(
      client.conversations.items.retrieve(two.id!, { conversation_id: conversation.id }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("responses on a conversation", () => {
  it("a response sees the conversation's items and appends its input and output when it ends", async () => {
    const client = emulatorSdk();
    const conversation = await client.conversations.create({
      items: [{ type: "message", role: "user", content: "Earlier words" }],
    });
    const response = await client.responses.create({
      model: "gpt-4o",
      conversation: conversation.id,
      input: "Hi again",
    });
    expect(response.conversation).toEqual({ id: conversation.id });
    expect(response.output_text).toMatch(/^You said: "Hi again"\./);
    const items = await client.conversations.items.list(conversation.id, { order: "asc" });
    expect(items.data.map((item) => item.type === "message" && item.role)).toEqual(["user", "user", "assistant"]);
    expect(items.data.map(textOf).slice(0, 2)).toEqual(["Earlier words", "Hi again"]);
    expect(items.data[2]!.id).toBe(response.output[0]!.id);
  });

  it("the tool loop through a conversation: calls are items, outputs answer them, the reply uses them", async () => {
    const client = emulatorSdk();
    const conversation = await client.conversations.create({});
    const first = await client.responses.create({
      model: "gpt-4o",
      conversation: { id: conversation.id },
      input: "get_weather Lisbon",
      tools: [WEATHER_FUNCTION],
    });
    const [call] = first.output as OpenAI.Responses.ResponseFunctionToolCall[];
    expect(call).toMatchObject({ type: "function_call", name: "get_weather", arguments: '{"city":"Lisbon"}' });
    const second = await client.responses.create({
      model: "gpt-4o",
      conversation: conversation.id,
      input: [{ type: "function_call_output", call_id: call!.call_id, output: "warm" }],
      tools: [WEATHER_FUNCTION],
    });
    expect(second.output_text).toMatch(/^get_weather returned: warm\./);
    const types = (await client.conversations.items.list(conversation.id, { order: "asc" })).data.map((i) => i.type);
    expect(types).toEqual(["message", "function_call", "function_call_output", "message"]);
  });

  it("a response chained by previous_response_id onto one on a conversation sees that conversation's items too", async () => {
    const client = emulatorSdk();
    const conversation = await client.conversations.create({
      items: [{ type: "message", role: "user", content: "get_time Rome" }],
    });
    const first = await client.responses.create({
      model: "gpt-4o",
      conversation: conversation.id,
      input: [{ role: "assistant", content: "Noted." }],
      tools: [WEATHER_FUNCTION, TIME_FUNCTION],
      tool_choice: "none",
    });
    expect(first.output_text).toMatch(/^You said: "get_time Rome"\./);
    const chained = await client.responses.create({
      model: "gpt-4o",
      previous_response_id: first.id,
      input: [{ role: "assistant", content: "Checking." }],
      tools: [WEATHER_FUNCTION, TIME_FUNCTION],
    });
    const done = await waitForResponse(client, chained.id);
    expect(done.conversation).toBeNull();
    expect(done.output).toMatchObject([{ type: "function_call", name: "get_time", arguments: '{"city":"Rome"}' }]);
  });

  it("a second response while one is in flight is refused with conversation_locked; after it ends the next is taken", async () => {
    const client = emulatorSdk();
    const conversation = await client.conversations.create({});
    const running = await client.responses.create({
      model: "gpt-4o",
      conversation: conversation.id,
      input: "Slowly please",
      background: true,
      metadata: { emulator_delta_ms: "40" },
    });
    const locked = await responsesRequest("POST", "/responses", {
      model: "gpt-4o",
      conversation: conversation.id,
      input: "Me too",
    });
    expect(locked.status).toBe(400);
    expect(await locked.json()).toEqual({
      error: {
        message: "Another process is currently operating on this conversation. Please retry in a few seconds.",
        type: "invalid_request_error",
        param: "conversation",
        code: "conversation_locked",
      },
    });
    await waitForResponse(client, running.id);
    const next = await client.responses.create({ model: "gpt-4o", conversation: conversation.id, input: "Now" });
    expect(next.status).toBe("completed");
  });

  it("a cancelled response unlocks the conversation and appends nothing", async () => {
    const client = emulatorSdk();
    const conversation = await client.conversations.create({});
    const running = await client.responses.create({
      model: "gpt-4o",
      conversation: conversation.id,
      input: "Slowly please",
      background: true,
      metadata: { emulator_delta_ms: "100" },
    });
    await client.responses.cancel(running.id);
    expect((await client.conversations.items.list(conversation.id)).data).toEqual([]);
    const next = await client.responses.create({ model: "gpt-4o", conversation: conversation.id, input: "Now" });
    expect(next.status).toBe("completed");
  });

  it("refuses an unknown conversation (404) and conversation with previous_response_id together (400)", async () => {
    const client = emulatorSdk();
    await expect(
      client.responses.create({ model: "gpt-4o", conversation: "conv_nope", input: "Hi" }),
    ).rejects.toBeInstanceOf(NotFoundError);
    const conversation = await client.conversations.create({});
    const first = await client.responses.create({ model: "gpt-4o", input: "Hi" });
    await expect(
      client.responses.create({
        model: "gpt-4o",
        conversation: conversation.id,
        previous_response_id: first.id,
        input: "Hi",
      }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringContaining("Mutually exclusive parameters") });
  });

  it("a streamed response on a conversation appends its items once the stream has ended", async () => {
    const client = emulatorSdk();
    const conversation = await client.conversations.create({});
    const { frames } = await readFrames(
      await responsesRequest("POST", "/responses", {
        model: "gpt-4o",
        conversation: conversation.id,
        input: "Stream it",
        stream: true,
      }),
    );
    expect(frames.at(-1)!.event).toBe("response.completed");
    expect((await client.conversations.items.list(conversation.id)).data).toHaveLength(2);
  });
});
