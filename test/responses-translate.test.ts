// The Responses → Assistants translation, pure, event by event, on sequences recorded from the emulator
// (test/fixtures/responses-streams.json) and on ones written from PROVIDERS-NOTES: refusals, error frames (both
// shapes), keepalives and sequence gaps, replays, and a poll's snapshot that must end where the stream would have.
import type { Response } from "openai/resources/responses/responses";
import { describe, expect, it } from "vitest";
import type { UpstreamEvent } from "../src/providers/provider";
import type { RunState } from "../src/providers/responses/run-objects";
import { snapshotEvents, type ResponsesEvent } from "../src/providers/responses/snapshot";
import { translate } from "../src/providers/responses/translate";
import recorded from "./fixtures/responses-streams.json";
import { queuedRunState, testAssistant } from "./helpers/responses-run";
import { expectValid } from "./helpers/openapi-schemas";

const ASSISTANT = testAssistant([
  { type: "function", function: { name: "get_weather", parameters: { type: "object" } } },
]);

const freshState = (): RunState => queuedRunState(ASSISTANT, 60_000);

function translator(state = freshState()) {
  let step = 0;
  const ctx = { now: 1001, newStepId: () => `step_${++step}`, expiresInSeconds: 600 };
  const feed = (events: ResponsesEvent[]) => events.flatMap((event) => translate(state, event, ctx));
  return { state, feed };
}

/** Every event valid against the Assistants spec, each delta after its object's creation. */
function expectValidStream(events: UpstreamEvent[]) {
  const created = new Set<string>();
  events.forEach(({ event, data }, index) => {
    expectValid("AssistantStreamEvent", { event, data }, `#${index} ${event}`);
    const id = (data as { id: string }).id;
    if (event.endsWith(".created")) created.add(id);
    if (event.endsWith(".delta")) expect(created.has(id), `${event} before its creation`).toBe(true);
  });
}

const names = (events: UpstreamEvent[]) => events.map((event) => event.event);
const fixture = recorded as unknown as Record<string, ResponsesEvent[]>;

describe("a recorded plain reply", () => {
  it("becomes the Assistants run stream, in the upstream's order", () => {
    const { state, feed } = translator();
    const events = feed(fixture.text!);
    expectValidStream(events);
    expect(names(events)).toEqual([
      "thread.run.created",
      "thread.run.queued",
      "thread.run.in_progress",
      "thread.run.step.created",
      "thread.run.step.in_progress",
      "thread.message.created",
      "thread.message.in_progress",
      "thread.message.delta",
      "thread.message.delta",
      "thread.message.delta",
      "thread.message.completed",
      "thread.run.step.completed",
      "thread.run.completed",
    ]);
    const reply = state.messages[0]!;
    const item = (fixture.text!.at(-1)!.response as Response).output[0] as { id: string; content: { text: string }[] };
    expect(reply.id).toBe(item.id);
    expect(reply.content).toEqual([{ type: "text", text: { value: item.content[0]!.text, annotations: [] } }]);
    expect(state.run).toMatchObject({ status: "completed", expires_at: null, required_action: null });
    expect(state.run.usage).toEqual({ prompt_tokens: 2, completion_tokens: 6, total_tokens: 8 });
    expect(state.chain).toHaveLength(1);
  });

  it("only the first text delta of a part carries annotations", () => {
    const { feed } = translator();
    const deltas = feed(fixture.text!).filter((event) => event.event === "thread.message.delta");
    const parts = deltas.map((event) => (event.data as { delta: { content: object[] } }).delta.content[0]);
    expect(parts[0]).toMatchObject({ index: 0, type: "text", text: { annotations: [] } });
    expect(parts[1]).not.toHaveProperty("text.annotations");
  });
});

describe("a recorded tool round", () => {
  it("streams the call, then requires_action with the complete arguments and a deadline", () => {
    const { state, feed } = translator();
    const events = feed(fixture.tool!);
    expectValidStream(events);
    expect(names(events)).toEqual([
      "thread.run.created",
      "thread.run.queued",
      "thread.run.in_progress",
      "thread.run.step.created",
      "thread.run.step.in_progress",
      "thread.run.step.delta",
      "thread.run.step.delta",
      "thread.run.requires_action",
    ]);
    const opening = events[5]!.data as { delta: { step_details: { tool_calls: object[] } } };
    expect(opening.delta.step_details.tool_calls[0]).toMatchObject({
      index: 0,
      type: "function",
      function: { name: "get_weather", arguments: "", output: null },
    });
    const calls = state.run.required_action!.submit_tool_outputs.tool_calls;
    expect(calls).toEqual([
      {
        id: expect.stringMatching(/^call_/),
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Paris"}' },
      },
    ]);
    expect(state.run.expires_at).toBe(1001 + 600);
    expect(freshState().run.expires_at).toBeNull();
    expect(state.steps[0]!.status).toBe("in_progress");
  });

  it("the continuation completes the answered step with its output, and is queued (not created) again", () => {
    const { state, feed } = translator();
    feed(fixture.tool!);
    const callId = state.run.required_action!.submit_tool_outputs.tool_calls[0]!.id;
    state.outputs = { [callId]: "sunny" };
    const events = feed(fixture.cont!);
    expectValidStream(events);
    expect(names(events).slice(0, 4)).toEqual([
      "thread.run.step.completed",
      "thread.run.queued",
      "thread.run.in_progress",
      "thread.run.step.created",
    ]);
    expect(events[0]!.data).toMatchObject({
      type: "tool_calls",
      step_details: { tool_calls: [{ id: callId, function: { output: "sunny" } }] },
    });
    // The deadline was for the outputs: the answered run runs on with none (the hub stops polling past expires_at).
    expect(events[1]!.data).toMatchObject({ status: "queued", expires_at: null });
    expect(names(events).at(-1)).toBe("thread.run.completed");
    expect(state.chain).toHaveLength(2);
    // Usage sums over the chain.
    const usage = (r: ResponsesEvent) => (r.response as Response).usage!;
    const [a, b] = [usage(fixture.tool!.at(-1)!), usage(fixture.cont!.at(-1)!)];
    expect(state.run.usage!.total_tokens).toBe(a.total_tokens + b.total_tokens);
    expect(state.steps.map((step) => step.type)).toEqual(["tool_calls", "message_creation"]);
  });
});

describe("failures and limits", () => {
  it("a nested error frame fails the run, its open message and step", () => {
    const { state, feed } = translator();
    const events = feed(fixture.failed!);
    expectValidStream(events);
    expect(names(events).slice(-3)).toEqual([
      "thread.message.incomplete",
      "thread.run.step.failed",
      "thread.run.failed",
    ]);
    expect(state.run.last_error).toEqual({ code: "server_error", message: "Too Many Requests" });
    expect(state.messages[0]!.incomplete_details).toEqual({ reason: "run_failed" });
  });

  it("a flat error frame (the spec's shape) reads the same", () => {
    const { state, feed } = translator();
    feed(fixture.text!.slice(0, 6));
    feed([{ type: "error", sequence_number: 6, code: "rate_limit_exceeded", message: "slow down", param: null }]);
    expect(state.run).toMatchObject({
      status: "failed",
      last_error: { code: "rate_limit_exceeded", message: "slow down" },
    });
  });

  it("max_output_tokens ends the message incomplete (max_tokens) and the run incomplete (max_completion_tokens)", () => {
    const { state, feed } = translator();
    const events = feed(fixture.incomplete!);
    expectValidStream(events);
    expect(names(events).slice(-3)).toEqual([
      "thread.message.incomplete",
      "thread.run.step.completed",
      "thread.run.incomplete",
    ]);
    expect(state.messages[0]!.incomplete_details).toEqual({ reason: "max_tokens" });
    expect(state.run.incomplete_details).toEqual({ reason: "max_completion_tokens" });
  });

  it("a content filter has no run-level reason: the message says it", () => {
    const { state, feed } = translator();
    const last = fixture.incomplete!.at(-1)!;
    const filtered = {
      ...last,
      response: { ...(last.response as Response), incomplete_details: { reason: "content_filter" } },
    };
    const events = feed([...fixture.incomplete!.slice(0, -1), filtered]);
    expectValidStream(events);
    expect(state.messages[0]!.incomplete_details).toEqual({ reason: "content_filter" });
    expect(state.run.incomplete_details).toEqual({});
  });
});

describe("refusals, keepalives, gaps and replays", () => {
  const prefix = fixture.text!.slice(0, 4); // created, queued, in_progress, message item added
  const itemId = (prefix[3]!.item as { id: string }).id;

  it("a refusal streams as the Assistants refusal content", () => {
    const { state, feed } = translator();
    const events = feed([
      ...prefix,
      {
        type: "response.content_part.added",
        sequence_number: 4,
        item_id: itemId,
        content_index: 0,
        part: { type: "refusal", refusal: "" },
      },
      { type: "response.refusal.delta", sequence_number: 5, item_id: itemId, content_index: 0, delta: "I can't" },
      { type: "response.refusal.delta", sequence_number: 6, item_id: itemId, content_index: 0, delta: " help." },
      {
        type: "response.refusal.done",
        sequence_number: 7,
        item_id: itemId,
        content_index: 0,
        refusal: "I can't help.",
      },
    ]);
    expectValidStream(events);
    expect(state.messages[0]!.content).toEqual([{ type: "refusal", refusal: "I can't help." }]);
  });

  it("keepalives say nothing, gaps in the numbering are no loss, and a replayed event is not told twice", () => {
    const plain = translator();
    const expected = plain.feed(fixture.text!);
    const { feed } = translator();
    const withNoise: ResponsesEvent[] = [];
    for (const event of fixture.text!) {
      // The upstream's counter runs on through keepalives: real events keep their numbers, so the shift makes gaps.
      const shifted = { ...event, sequence_number: event.sequence_number! * 3 };
      withNoise.push({ type: "keepalive", sequence_number: shifted.sequence_number - 1 }, shifted);
    }
    const replayed = [...withNoise.slice(0, 12), ...withNoise.slice(6)];
    expect(names(feed(replayed))).toEqual(names(expected));
  });

  it("text deltas lost at the end are made up from the item's final text; a lost middle corrects the stored reply", () => {
    const { state, feed } = translator();
    const withoutOneDelta = fixture.text!.filter((event) => event.sequence_number !== 7);
    const events = feed(withoutOneDelta);
    expectValidStream(events);
    const final = (fixture.text!.at(-1)!.response as Response).output[0] as { content: { text: string }[] };
    expect(state.messages[0]!.content[0]).toMatchObject({ text: { value: final.content[0]!.text } });
    expect(names(events).filter((name) => name === "thread.message.delta")).toHaveLength(3);
    const middle = translator();
    middle.feed(fixture.text!.filter((event) => event.sequence_number !== 6));
    expect(middle.state.messages[0]!.content[0]).toMatchObject({ text: { value: final.content[0]!.text } });
  });
});

describe("snapshots from polling", () => {
  it("a run cut after response.created ends, from the final response, exactly as the stream would have", () => {
    for (const name of ["text", "tool", "incomplete"]) {
      const sequence = fixture[name]!;
      const streamed = translator();
      streamed.feed(sequence);
      const polled = translator();
      const head = polled.feed(sequence.slice(0, 5));
      const tail = polled.feed(snapshotEvents(polled.state, sequence.at(-1)!.response as Response));
      expectValidStream([...head, ...tail]);
      expect(polled.state.messages, name).toEqual(streamed.state.messages);
      expect(polled.state.steps, name).toEqual(streamed.state.steps);
      expect(polled.state.run, name).toEqual(streamed.state.run);
    }
  });

  it("a cancelled response (no stream event says so) cancels the run, its message incomplete", () => {
    const { state, feed } = translator();
    const head = feed(fixture.text!.slice(0, 6));
    const last = fixture.text!.at(-1)!.response as Response;
    // As the spec's cancel example has it: the item still in progress, no usage.
    const output = last.output.map((item) => ({ ...item, status: "in_progress" })) as Response["output"];
    const final = { ...last, status: "cancelled", usage: null, output } as unknown as Response;
    const events = feed(snapshotEvents(state, final));
    expectValidStream([...head, ...events]);
    expect(names(events).slice(-3)).toEqual([
      "thread.message.incomplete",
      "thread.run.step.cancelled",
      "thread.run.cancelled",
    ]);
    expect(state.messages[0]!.incomplete_details).toEqual({ reason: "run_cancelled" });
  });
});
