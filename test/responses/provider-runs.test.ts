// The Responses provider against the emulator's Responses and Conversations APIs: a plain run, the tool loop, and
// what Runcast keeps (messages, steps, runs) matching what the events said; the one-active-run rule and its CONFLICT.
import { afterEach, describe, expect, it } from "vitest";
import type { Message, RunStep, UpstreamEvent } from "../../src/providers/provider";
import { activeRunOf, toTRPCError } from "../../src/errors/upstream-errors";
import { UpstreamError } from "../../src/errors/upstream-error";
import { resetEmulatorSettings } from "../helpers/emulator";
import { expectValid } from "../helpers/openapi-schemas";
import { rejection } from "../helpers/runcast";
import { drain, names, provider, seed } from "../helpers/responses-provider";

afterEach(async () => {
  await resetEmulatorSettings();
});

/** Every event a valid Assistants stream event. */
const expectValidEvents = (events: UpstreamEvent[]) =>
  events.forEach(({ event, data }, index) =>
    expectValid("AssistantStreamEvent", { event, data }, `#${index} ${event}`),
  );

/** The text the message deltas of `events` add up to, by message id. */
function deltaText(events: UpstreamEvent[]): Map<string, string> {
  const texts = new Map<string, string>();
  for (const { event, data } of events) {
    if (event !== "thread.message.delta") continue;
    const delta = data as { id: string; delta: { content: { text?: { value?: string } }[] } };
    texts.set(
      delta.id,
      (texts.get(delta.id) ?? "") + delta.delta.content.map((part) => part.text?.value ?? "").join(""),
    );
  }
  return texts;
}

const lastOf = <T>(events: UpstreamEvent[], name: string) => events.filter((e) => e.event === name).at(-1)?.data as T;

describe("a plain run", () => {
  it("streams to completion, and the messages, steps and runs listed afterwards match what the events said", async () => {
    const p = provider();
    const { assistant, thread } = await seed("Hello there", p);
    const events = await drain(await p.streamRun(thread.id, { assistant_id: assistant.id }));
    expectValidEvents(events);
    expect(names(events).slice(0, 3)).toEqual(["thread.run.created", "thread.run.queued", "thread.run.in_progress"]);
    const run = lastOf<{ id: string; status: string; usage: object }>(events, "thread.run.completed");
    expect(run).toMatchObject({ status: "completed", thread_id: thread.id, assistant_id: assistant.id });
    expect(run.id).toMatch(/^run_/);
    expect(run.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: 12 });

    const messages = await p.listMessages(thread.id, { order: "asc" });
    expectValid("ListMessagesResponse", messages);
    expect(messages.data.map((m) => m.role)).toEqual(["user", "assistant"]);
    const reply = messages.data[1]!;
    expect(reply).toMatchObject({ run_id: run.id, status: "completed", assistant_id: assistant.id });
    const text = deltaText(events).get(reply.id)!;
    expect(text).toMatch(/^You said: "Hello there"\./);
    expect(reply.content).toEqual([{ type: "text", text: { value: text, annotations: [] } }]);
    expect(lastOf<Message>(events, "thread.message.completed")).toEqual(reply);
    expect((await p.listMessages(thread.id, { run_id: run.id })).data.map((m) => m.id)).toEqual([reply.id]);
    expect(await p.retrieveMessage(thread.id, reply.id)).toEqual(reply);

    const steps = await p.listSteps(thread.id, run.id, { order: "asc" });
    expectValid("ListRunStepsResponse", steps);
    expect(steps.data).toHaveLength(1);
    expect(steps.data[0]).toEqual(lastOf<RunStep>(events, "thread.run.step.completed"));
    expect(await p.retrieveStep(thread.id, run.id, steps.data[0]!.id)).toEqual(steps.data[0]);

    const { run: retrieved, pollAfterMs } = await p.retrieveRun(thread.id, run.id);
    expect(retrieved).toEqual(run);
    expect(pollAfterMs).toBeNull();
    expect((await p.listRuns(thread.id, {})).data.map((r) => r.id)).toEqual([run.id]);
    const updated = await p.updateRun(thread.id, run.id, { label: "kept" });
    expect(updated.metadata).toEqual({ label: "kept" });
    expect((await p.retrieveRun(thread.id, run.id)).run.metadata).toEqual({ label: "kept" });
  });

  it("a second run while one is active is the upstream's 400, which the gateway maps to CONFLICT naming the run", async () => {
    const p = provider();
    const { assistant, thread } = await seed("Hello there", p);
    const first = await p.streamRun(thread.id, { assistant_id: assistant.id, metadata: { emulator_delta_ms: "40" } });
    const iterator = first[Symbol.asyncIterator]();
    const created = (await iterator.next()).value as UpstreamEvent;
    const runId = (created.data as { id: string }).id;
    const refusal = (await rejection(p.streamRun(thread.id, { assistant_id: assistant.id }))) as UpstreamError;
    expect(refusal).toBeInstanceOf(UpstreamError);
    expect(refusal.message).toBe(`Thread ${thread.id} already has an active run ${runId}.`);
    expect(refusal.details).toMatchObject({ status: 400, type: "invalid_request_error" });
    expect(activeRunOf(refusal)).toBe(runId);
    expect(toTRPCError(refusal).code).toBe("CONFLICT");
    const adding = (await rejection(p.createMessage(thread.id, { role: "user", content: "more" }))) as UpstreamError;
    expect(adding.message).toBe(`Can't add messages to ${thread.id} while a run ${runId} is active.`);
    first.abort();
  });

  it("refusals read as the upstream's: unknown thread, assistant, run and step", async () => {
    const p = provider();
    const { assistant, thread } = await seed("Hi", p);
    const unknownThread = (await rejection(
      p.streamRun("thread_nope", { assistant_id: assistant.id }),
    )) as UpstreamError;
    expect(unknownThread.message).toBe("No thread found with id 'thread_nope'.");
    expect(unknownThread.details.status).toBe(404);
    const unknownAssistant = (await rejection(p.streamRun(thread.id, { assistant_id: "asst_nope" }))) as UpstreamError;
    expect(unknownAssistant.message).toBe("No assistant found with id 'asst_nope'.");
    expect(((await rejection(p.retrieveRun(thread.id, "run_nope"))) as UpstreamError).details.status).toBe(404);
    // Nothing was left behind by the refused creations.
    expect((await p.listRuns(thread.id, {})).data).toEqual([]);
  });
});

describe("the tool loop", () => {
  it("tool call → requires_action → streamSubmitToolOutputs → completed; steps and messages match the events", async () => {
    const p = provider();
    const { assistant, thread } = await seed("get_weather Paris", p);
    const first = await drain(await p.streamRun(thread.id, { assistant_id: assistant.id }));
    expectValidEvents(first);
    expect(names(first).at(-1)).toBe("thread.run.requires_action");
    const waiting = lastOf<{ id: string; required_action: { submit_tool_outputs: { tool_calls: { id: string }[] } } }>(
      first,
      "thread.run.requires_action",
    );
    const calls = waiting.required_action.submit_tool_outputs.tool_calls;
    expect(calls).toEqual([
      {
        id: expect.stringMatching(/^call_/),
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Paris"}' },
      },
    ]);

    // Checked before any upstream call: the run still waits, and the right outputs are then taken.
    const wrong = (await rejection(
      p.streamSubmitToolOutputs(thread.id, waiting.id, [{ tool_call_id: "call_other", output: "x" }]),
    )) as UpstreamError;
    expect(wrong.details).toMatchObject({ status: 400, param: "tool_outputs" });
    expect(wrong.message).toBe(`Expected tool outputs for call_ids ["${calls[0]!.id}"], got ["call_other"]`);
    expect((await p.retrieveRun(thread.id, waiting.id)).run.status).toBe("requires_action");

    const second = await drain(
      await p.streamSubmitToolOutputs(thread.id, waiting.id, [{ tool_call_id: calls[0]!.id, output: "sunny" }]),
    );
    expectValidEvents(second);
    expect(names(second).slice(0, 3)).toEqual([
      "thread.run.step.completed",
      "thread.run.queued",
      "thread.run.in_progress",
    ]);
    expect(names(second).at(-1)).toBe("thread.run.completed");
    const run = lastOf<{ usage: { total_tokens: number } }>(second, "thread.run.completed");

    const steps = (await p.listSteps(thread.id, waiting.id, { order: "asc" })).data;
    expect(steps.map((step) => [step.type, step.status])).toEqual([
      ["tool_calls", "completed"],
      ["message_creation", "completed"],
    ]);
    expect(steps[0]!.step_details).toMatchObject({
      tool_calls: [{ id: calls[0]!.id, function: { name: "get_weather", output: "sunny" } }],
    });
    const reply = (await p.listMessages(thread.id, { run_id: waiting.id })).data[0]!;
    expect(reply.content[0]).toMatchObject({ text: { value: deltaText(second).get(reply.id) } });
    expect(deltaText(second).get(reply.id)).toMatch(/^get_weather returned: sunny\./);
    // Usage sums the chain's two responses.
    const firstUsage = (waiting as unknown as { usage: { total_tokens: number } }).usage.total_tokens;
    expect(run.usage.total_tokens).toBeGreaterThan(firstUsage);

    // The conversation kept the whole round: the thread's next run starts from it without a dangling call.
    await p.createMessage(thread.id, { role: "user", content: "Thanks" });
    const next = await drain(await p.streamRun(thread.id, { assistant_id: assistant.id }));
    expect(names(next).at(-1)).toBe("thread.run.completed");
    expect((await p.listRuns(thread.id, { order: "asc" })).data).toHaveLength(2);
  });

  it("tool outputs are refused once the run has ended, and duplicates are refused", async () => {
    const p = provider();
    const { assistant, thread } = await seed("get_weather Paris", p);
    const first = await drain(await p.streamRun(thread.id, { assistant_id: assistant.id }));
    const runId = (first[0]!.data as { id: string }).id;
    const callId = lastOf<{ required_action: { submit_tool_outputs: { tool_calls: { id: string }[] } } }>(
      first,
      "thread.run.requires_action",
    ).required_action.submit_tool_outputs.tool_calls[0]!.id;
    const twice = (await rejection(
      p.streamSubmitToolOutputs(thread.id, runId, [
        { tool_call_id: callId, output: "a" },
        { tool_call_id: callId, output: "b" },
      ]),
    )) as UpstreamError;
    expect(twice.message).toBe(`Duplicate tool output for tool call '${callId}'.`);
    // `cancelling` as answered (the Assistants API's answer); a run waiting for outputs is cancelled at once after it.
    expect((await p.cancelRun(thread.id, runId)).status).toBe("cancelling");
    expect((await p.retrieveRun(thread.id, runId)).run.status).toBe("cancelled");
    const late = (await rejection(
      p.streamSubmitToolOutputs(thread.id, runId, [{ tool_call_id: callId, output: "a" }]),
    )) as UpstreamError;
    expect(late.message).toBe('Runs in status "cancelled" do not accept tool outputs.');
  });
});
