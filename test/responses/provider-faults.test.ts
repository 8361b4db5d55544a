// The Responses provider when things go wrong or take long: cancel (running and waiting), expiry in requires_action,
// a cut stream re-attached within the window and polled past it, a locked conversation, a response stuck queued,
// and max_completion_tokens across rounds.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { GatewayEnv } from "../../src/env";
import type { UpstreamEvent } from "../../src/providers/provider";
import type { ThreadStore } from "../../src/providers/responses/thread-store";
import { resetEmulatorSettings, setEmulatorSettings } from "../helpers/emulator";
import { expectValid } from "../helpers/openapi-schemas";
import { rejection, sleep } from "../helpers/runcast";
import { responsesRequest } from "../helpers/responses";
import { drain, names, provider, seed } from "../helpers/responses-provider";
import type { UpstreamError } from "../../src/errors/upstream-error";

afterEach(async () => {
  await resetEmulatorSettings();
});

const runOf = (events: UpstreamEvent[]) => (events[0]!.data as { id: string }).id;
const textOf = (events: UpstreamEvent[]) =>
  events
    .filter((e) => e.event === "thread.message.delta")
    .map((e) => (e.data as { delta: { content: { text?: { value?: string } }[] } }).delta.content[0]!.text?.value ?? "")
    .join("");
const expectValidEvents = (events: UpstreamEvent[]) =>
  events.forEach(({ event, data }, index) =>
    expectValid("AssistantStreamEvent", { event, data }, `#${index} ${event}`),
  );

/** The conversation behind a thread, read from its Durable Object's store. */
async function conversationOf(threadId: string): Promise<string> {
  const ns = (env as GatewayEnv).RESPONSES_THREADS;
  return runInDurableObject(ns.get(ns.idFromName(threadId)), (instance) => {
    const store = (instance as unknown as { store: ThreadStore }).store;
    return store.thread()!.conversationId;
  });
}

/** A run streamed with a reply of `words` words, cancelled at its first message delta (after `before`, if given). */
async function cancelAtFirstDelta(p: ReturnType<typeof provider>, words: string, before?: () => Promise<unknown>) {
  const { assistant, thread } = await seed("Hello there", p);
  const stream = await p.streamRun(thread.id, {
    assistant_id: assistant.id,
    metadata: { emulator_delta_ms: "30", emulator_reply_words: words },
  });
  const events: UpstreamEvent[] = [];
  let cancelled: Promise<{ status: string }> | null = null;
  for await (const event of stream) {
    events.push(event);
    if (event.event === "thread.message.delta" && !cancelled) {
      await before?.();
      cancelled = p.cancelRun(thread.id, runOf(events)) as Promise<{ status: string }>;
    }
  }
  return { thread, events, cancelled: await cancelled! };
}

describe("cancel", () => {
  it("a running response is cancelled upstream: cancelling, then its open message and step end, then cancelled", async () => {
    const p = provider();
    const { thread, events, cancelled } = await cancelAtFirstDelta(p, "60");
    // Answered as the Assistants API answers a cancel: `cancelling` at once; the run ends cancelled after.
    expect(cancelled.status).toBe("cancelling");
    expectValidEvents(events);
    // Deltas already on their way may still arrive between `cancelling` and the end.
    const tail = names(events).slice(names(events).indexOf("thread.run.cancelling"));
    expect(tail[0]).toBe("thread.run.cancelling");
    expect(tail.slice(-3)).toEqual(["thread.message.incomplete", "thread.run.step.cancelled", "thread.run.cancelled"]);
    expect(new Set(tail.slice(1, -3))).toEqual(new Set(tail.length > 4 ? ["thread.message.delta"] : []));
    const { run } = await p.retrieveRun(thread.id, runOf(events));
    expect(run).toMatchObject({ status: "cancelled", cancelled_at: expect.any(Number) });
    const reply = (await p.listMessages(thread.id, { run_id: run.id })).data[0]!;
    expect(reply).toMatchObject({ status: "incomplete", incomplete_details: { reason: "run_cancelled" } });
    const again = (await rejection(p.cancelRun(thread.id, run.id))) as UpstreamError;
    expect(again.message).toBe("Cannot cancel run with status 'cancelled'.");
  });
  it("an upstream that cannot be reached to cancel: the run still ends cancelled, and its late events are ignored", async () => {
    const p = provider();
    // Every request from the first delta on fails (the cancel and the retrieve after it); the open stream goes on.
    const { thread, events, cancelled } = await cancelAtFirstDelta(p, "300", () =>
      setEmulatorSettings({ http_errors: { status: 500, count: 20, retry_after: 0 } }),
    );
    expect(cancelled.status).toBe("cancelling");
    expectValidEvents(events);
    expect(names(events).at(-1)).toBe("thread.run.cancelled");
    expect(names(events)).not.toContain("thread.run.completed");
    await resetEmulatorSettings();
    const { run } = await p.retrieveRun(thread.id, runOf(events));
    expect(run).toMatchObject({ status: "cancelled", cancelled_at: expect.any(Number) });
  });
});

describe("an unknown assistant", () => {
  it("is a 404 naming assistant_id, as the Assistants API's, and leaves no run", async () => {
    const p = provider();
    const { thread } = await seed("Hello there", p);
    const error = (await rejection(p.streamRun(thread.id, { assistant_id: "asst_missing" }))) as UpstreamError;
    expect(error.message).toBe("No assistant found with id 'asst_missing'.");
    expect(error.details).toMatchObject({ status: 404, type: "invalid_request_error", param: "assistant_id" });
    expect((await p.listRuns(thread.id, {})).data).toEqual([]);
  });
});

describe("expiry", () => {
  it("a run left in requires_action past expires_at is expired when read, and takes no outputs", async () => {
    const p = provider({ expiresInSeconds: 1 });
    const { assistant, thread } = await seed("get_weather Paris", p);
    const events = await drain(await p.streamRun(thread.id, { assistant_id: assistant.id }));
    const waiting = events.at(-1)!.data as {
      id: string;
      expires_at: number;
      required_action: { submit_tool_outputs: { tool_calls: { id: string }[] } };
    };
    expect(waiting.expires_at - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(1);
    await sleep(2100);
    const { run } = await p.retrieveRun(thread.id, waiting.id);
    expect(run).toMatchObject({ status: "expired", required_action: null });
    expectValid("RunObject", run);
    const steps = (await p.listSteps(thread.id, run.id, {})).data;
    expect(steps[0]).toMatchObject({ type: "tool_calls", status: "expired", expired_at: expect.any(Number) });
    const callId = waiting.required_action.submit_tool_outputs.tool_calls[0]!.id;
    const late = (await rejection(
      p.streamSubmitToolOutputs(thread.id, run.id, [{ tool_call_id: callId, output: "x" }]),
    )) as UpstreamError;
    expect(late.message).toBe('Runs in status "expired" do not accept tool outputs.');
    // The thread is free again.
    expect(names(await drain(await p.streamRun(thread.id, { assistant_id: assistant.id }))).at(-1)).toBe(
      "thread.run.requires_action",
    );
  });
});

describe("a cut upstream stream", () => {
  async function cutRun(metadata: Record<string, string>) {
    const p = provider();
    const { assistant, thread } = await seed("Hello there", p);
    const reference = await seed("Hello there", p);
    const plain = await drain(await p.streamRun(reference.thread.id, { assistant_id: reference.assistant.id }));
    const events = await drain(
      await p.streamRun(thread.id, { assistant_id: assistant.id, metadata: { emulator_cut_after: "5", ...metadata } }),
    );
    return { p, thread, plain, events };
  }

  it("within the window, re-attaches with starting_after: the subscriber sees one whole stream, nothing twice", async () => {
    const { p, thread, plain, events } = await cutRun({});
    expectValidEvents(events);
    expect(names(events)).toEqual(names(plain));
    expect(textOf(events)).toBe(textOf(plain));
    const reply = (await p.listMessages(thread.id, { run_id: runOf(events) })).data[0]!;
    expect(reply.content[0]).toMatchObject({ text: { value: textOf(plain) } });
  });

  it("past the window (refused), polls the response and synthesises the rest from its output: same messages and steps", async () => {
    const { p, thread, plain, events } = await cutRun({ emulator_resume_window_ms: "1" });
    expectValidEvents(events);
    expect(names(events).at(-1)).toBe("thread.run.completed");
    // The text arrives in fewer deltas, but adds up to the same reply.
    expect(textOf(events)).toBe(textOf(plain));
    const steps = (await p.listSteps(thread.id, runOf(events), {})).data;
    expect(steps.map((step) => [step.type, step.status])).toEqual([["message_creation", "completed"]]);
    const reply = (await p.listMessages(thread.id, { run_id: runOf(events) })).data[0]!;
    expect(reply).toMatchObject({ status: "completed", content: [{ text: { value: textOf(plain) } }] });
  });
});

describe("a lost follower", () => {
  it("(as after a restart of the thread's object) is replaced on the next read, which re-attaches: same reply", async () => {
    const p = provider();
    const { assistant, thread } = await seed("Hello there", p);
    const stream = await p.streamRun(thread.id, {
      assistant_id: assistant.id,
      metadata: { emulator_delta_ms: "20", emulator_reply_words: "30" },
    });
    const seen: UpstreamEvent[] = [];
    for await (const event of stream) {
      seen.push(event);
      if (event.event !== "thread.message.delta") continue;
      // What a restart loses: the in-memory follower. The stream it fed ends without a terminal event.
      const ns = (env as GatewayEnv).RESPONSES_THREADS;
      await runInDurableObject(ns.get(ns.idFromName(thread.id)), (instance) => {
        (instance as unknown as { driver: { followers: Map<string, object> } }).driver.followers.clear();
      });
    }
    expect(names(seen)).not.toContain("thread.run.completed");
    const runId = runOf(seen);
    let status = "";
    for (let tries = 0; tries < 100 && status !== "completed"; tries++) {
      status = (await p.retrieveRun(thread.id, runId)).run.status;
      await sleep(50);
    }
    expect(status).toBe("completed");
    const reply = (await p.listMessages(thread.id, { run_id: runId })).data[0]!;
    expect(reply).toMatchObject({
      status: "completed",
      content: [{ text: { value: expect.stringMatching(/^You said: "Hello there"\./) } }],
    });
    expect((reply.content[0] as { text: { value: string } }).text.value.split(" ")).toHaveLength(30);
  });
});

describe("a locked conversation", () => {
  it("is waited out with backoff: the run starts once the other response on the conversation ends", async () => {
    const p = provider();
    const { assistant, thread } = await seed("Hello there", p);
    const conversation = await conversationOf(thread.id);
    const other = await responsesRequest("POST", "/responses", {
      model: "gpt-4o",
      conversation,
      input: "Someone else",
      background: true,
      metadata: { emulator_delta_ms: "60" },
    });
    expect(((await other.json()) as { status: string }).status).toBe("queued");
    const started = Date.now();
    const events = await drain(await p.streamRun(thread.id, { assistant_id: assistant.id }));
    expect(names(events).at(-1)).toBe("thread.run.completed");
    // The other response held the conversation for a while (about 14 ticks of 60 ms).
    expect(Date.now() - started).toBeGreaterThan(300);
  });
});

describe("limits", () => {
  it("a response stuck queued past the bound fails the run with a clear last_error", async () => {
    const p = provider({ queuedTimeoutMs: 300 });
    const { assistant, thread } = await seed("Hello there", p);
    const events = await drain(
      await p.streamRun(thread.id, { assistant_id: assistant.id, metadata: { emulator_delta_ms: "3000" } }),
    );
    expectValidEvents(events);
    const run = events.at(-1)!.data as { status: string; last_error: { code: string; message: string } };
    expect(run.status).toBe("failed");
    expect(run.last_error.code).toBe("server_error");
    expect(run.last_error.message).toMatch(/stayed queued for more than 0 s; Runcast cancelled it\.$/);
  });

  it("token budgets span the rounds: a spent max_prompt_tokens ends the run incomplete instead of another response", async () => {
    const p = provider();
    const { assistant, thread } = await seed(`get_weather Paris. ${"word ".repeat(300)}`, p);
    const first = await drain(await p.streamRun(thread.id, { assistant_id: assistant.id, max_prompt_tokens: 256 }));
    const waiting = first.at(-1)!.data as {
      id: string;
      usage: { prompt_tokens: number };
      required_action: { submit_tool_outputs: { tool_calls: { id: string }[] } };
    };
    expect(waiting.usage.prompt_tokens).toBeGreaterThan(256);
    const callId = waiting.required_action.submit_tool_outputs.tool_calls[0]!.id;
    const second = await drain(
      await p.streamSubmitToolOutputs(thread.id, waiting.id, [{ tool_call_id: callId, output: "sunny" }]),
    );
    expectValidEvents(second);
    expect(names(second)).toEqual(["thread.run.step.completed", "thread.run.incomplete"]);
    expect(second.at(-1)!.data).toMatchObject({ incomplete_details: { reason: "max_prompt_tokens" } });
    // The output still reaches the conversation, so the thread's next run is not refused for a dangling call.
    expect(names(await drain(await p.streamRun(thread.id, { assistant_id: assistant.id }))).at(-1)).toBe(
      "thread.run.requires_action",
    );
  });
});
