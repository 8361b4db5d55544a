// Streaming on the /v1 REST surface: the official `openai` SDK, unchanged, pointed at Runcast, with its AssistantStream
// helpers; the raw SSE the gateway writes; and Runcast's resumable `GET …/runs/{run_id}/events`.
import OpenAI from "openai";
import type { AssistantStreamEvent } from "openai/resources/beta/assistants";
import { describe, expect, it } from "vitest";
import { createToolAssistant, emulatorSdk, GATEWAY, gatewayFetch, plainRunEvents } from "./helpers/emulator";
import { abortHub, storedRunReply, hubState, within } from "./helpers/hub-lifecycle";
import { provider, restSdk, sleep } from "./helpers/runcast";

const WEATHER_AND_TIME = "Please get_weather Paris and get_time Tokyo.";

/** A tool assistant and a thread of its own holding one user message, made through Runcast's /v1. */
async function setup(text: string) {
  const sdk = restSdk();
  const assistant = await createToolAssistant(sdk);
  const thread = await sdk.beta.threads.create({ messages: [{ role: "user", content: text }] });
  return { assistant, thread };
}

interface Frame {
  /** The frame's lines as sent. */
  lines: string[];
  id: number | null;
  event: string;
  data: string;
}

/** Splits an SSE body into frames, keeping every line so the format itself can be checked. */
function sseFrames(body: string): Frame[] {
  return (
    body
      .split("\n\n")
      // Comment blocks (`: ping`, the heartbeat of an idle stream) are skipped, as every SSE reader does.
      .filter((block) => block.trim() && !block.split("\n").every((line) => line.startsWith(":")))
      .map((block) => {
        const lines = block.split("\n");
        const field = (name: string) => lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
        const id = field("id");
        return {
          lines,
          id: id === undefined ? null : Number(id),
          event: field("event") ?? "",
          data: field("data") ?? "",
        };
      })
  );
}

/** Reads a whole SSE response (it ends after [DONE]). */
async function readFrames(response: Response): Promise<Frame[]> {
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  return sseFrames(await within(response.text(), 10_000, "the SSE stream ending"));
}

/** Every frame is `id:`, `event:`, `data:` (JSON) in that order, the last is `event: done` / `data: [DONE]`, and no Runcast event leaks. */
function expectUpstreamSse(frames: Frame[]): void {
  const last = frames.at(-1)!;
  expect(last.lines).toEqual(["event: done", "data: [DONE]"]);
  for (const frame of frames.slice(0, -1)) {
    expect(frame.lines).toHaveLength(3);
    expect(frame.lines[0]).toMatch(/^id: \d+$/);
    expect(frame.lines[1]).toMatch(/^event: thread\.[a-z_.]+$/);
    expect(frame.lines[2]).toMatch(/^data: \{/);
    expect(() => JSON.parse(frame.data)).not.toThrow();
  }
  expect(frames.filter((frame) => frame.event.startsWith("runcast."))).toEqual([]);
  // Event ids only grow.
  const ids = frames.slice(0, -1).map((frame) => frame.id!);
  expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  expect(new Set(ids).size).toBe(ids.length);
}

/** The reply text carried by a stream's message deltas. */
const deltaText = (frames: Frame[]) =>
  frames
    .filter((frame) => frame.event === "thread.message.delta")
    .map((frame) =>
      (JSON.parse(frame.data) as { delta: { content: Array<{ text?: { value?: string } }> } }).delta.content
        .map((part) => part.text?.value ?? "")
        .join(""),
    )
    .join("");

const post = (path: string, body: unknown) =>
  gatewayFetch(`${GATEWAY}/v1${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer x", "openai-beta": "assistants=v2" },
    body: JSON.stringify(body),
  });
const get = (path: string, headers: Record<string, string> = {}) =>
  gatewayFetch(`${GATEWAY}/v1${path}`, {
    headers: { authorization: "Bearer x", "openai-beta": "assistants=v2", ...headers },
  });

/** A tool run over raw REST: the first segment (to requires_action), then the continuation after both outputs. */
async function rawToolRun() {
  const { assistant, thread } = await setup(WEATHER_AND_TIME);
  const first = await readFrames(
    await post(`/threads/${thread.id}/runs`, { assistant_id: assistant.id, stream: true }),
  );
  const paused = JSON.parse(first.at(-2)!.data) as OpenAI.Beta.Threads.Run;
  const calls = paused.required_action!.submit_tool_outputs.tool_calls;
  const second = await readFrames(
    await post(`/threads/${thread.id}/runs/${paused.id}/submit_tool_outputs`, {
      stream: true,
      tool_outputs: calls.map((call) => ({ tool_call_id: call.id, output: `${call.function.name} answered` })),
    }),
  );
  return { thread, run: paused, first, second };
}

describe("the openai SDK's streaming helpers against Runcast", () => {
  it("runs.stream: AssistantStream events in the documented order, textDelta text, finalRun", async () => {
    const { assistant, thread } = await setup("Stream this please");
    const events: string[] = [];
    let text = "";
    const stream = restSdk()
      .beta.threads.runs.stream(thread.id, { assistant_id: assistant.id })
      .on("event", (event: AssistantStreamEvent) => events.push(event.event))
      .on("textDelta", (delta) => (text += delta.value ?? ""));
    const run = await stream.finalRun();

    expect(run).toMatchObject({ thread_id: thread.id, assistant_id: assistant.id, status: "completed" });
    expect(events).toEqual(plainRunEvents(12));
    expect(text).toBe('You said: "Stream this please". the quick brown fox jumps over the');
    expect(text).toBe(await storedRunReply(thread.id, run.id));
    const [message] = await stream.finalMessages();
    expect(message).toMatchObject({ role: "assistant", run_id: run.id, status: "completed" });
    expect(message!.content[0]).toMatchObject({ type: "text", text: { value: text } });
  });

  it("runs.createAndStream (the older name) streams the same run", async () => {
    const { assistant, thread } = await setup("Older helper");
    let text = "";
    const stream = restSdk()
      .beta.threads.runs.createAndStream(thread.id, { assistant_id: assistant.id })
      .on("textDelta", (delta) => (text += delta.value ?? ""));
    const run = await stream.finalRun();
    expect(run.status).toBe("completed");
    expect(text).toBe(await storedRunReply(thread.id, run.id));
    expect(text).toMatch(/^You said: "Older helper"\./);
  });

  it("threads.createAndRunStream announces the new thread first and completes", async () => {
    const { assistant } = await setup("unused");
    const events: Array<{ event: string; id: string | undefined }> = [];
    let text = "";
    const stream = restSdk()
      .beta.threads.createAndRunStream({
        assistant_id: assistant.id,
        thread: { messages: [{ role: "user", content: "Brand new thread" }] },
      })
      .on("event", (event: AssistantStreamEvent) =>
        events.push({ event: event.event, id: (event.data as { id?: string }).id }),
      )
      .on("textDelta", (delta) => (text += delta.value ?? ""));
    const run = await stream.finalRun();

    expect(run.status).toBe("completed");
    expect(events[0]).toEqual({ event: "thread.created", id: run.thread_id });
    expect(events.slice(1).map((event) => event.event)).toEqual(plainRunEvents(12));
    expect(text).toBe('You said: "Brand new thread". the quick brown fox jumps over the');
    expect(text).toBe(await storedRunReply(run.thread_id, run.id));
  });

  it("a tool run: runs.stream ends at requires_action, submitToolOutputsStream continues to completed", async () => {
    const { assistant, thread } = await setup(WEATHER_AND_TIME);
    const client = restSdk();
    const firstEvents: string[] = [];
    const paused = await client.beta.threads.runs
      .stream(thread.id, { assistant_id: assistant.id })
      .on("event", (event: AssistantStreamEvent) => firstEvents.push(event.event))
      .finalRun();
    expect(paused.status).toBe("requires_action");
    expect(firstEvents.at(-1)).toBe("thread.run.requires_action");
    expect(firstEvents).not.toContain("thread.message.created");
    const calls = paused.required_action!.submit_tool_outputs.tool_calls;
    expect(calls.map((call) => call.function.name)).toEqual(["get_weather", "get_time"]);

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
      .on("event", (event: AssistantStreamEvent) => resumedEvents.push(event.event))
      .on("textDelta", (delta) => (text += delta.value ?? ""));
    const run = await resumed.finalRun();

    expect(run).toMatchObject({ id: paused.id, status: "completed" });
    expect(resumedEvents.slice(0, 3)).toEqual([
      "thread.run.step.completed",
      "thread.run.queued",
      "thread.run.in_progress",
    ]);
    expect(resumedEvents).not.toContain("thread.run.created");
    expect(resumedEvents).not.toContain("thread.run.requires_action");
    expect(resumedEvents.at(-1)).toBe("thread.run.completed");
    expect(text).toBe("get_weather returned: 18C and sunny. get_time returned: 14:05. the quick brown fox");
    expect(text).toBe(await storedRunReply(thread.id, run.id));
    const steps = await resumed.finalRunSteps();
    expect(steps.map((step) => step.type)).toContain("message_creation");
  });

  it("a streaming create the upstream refuses is its error, not a stream", async () => {
    const { assistant, thread } = await setup(WEATHER_AND_TIME);
    const client = restSdk();
    const paused = await client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id }).finalRun();
    expect(paused.status).toBe("requires_action");
    const refused = await client.beta.threads.runs
      .stream(thread.id, { assistant_id: assistant.id })
      .finalRun()
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).message).toContain(paused.id);
  });
});

describe("the SSE Runcast writes", () => {
  it("a streamed create: id/event/data frames numbered from 1, then event: done / data: [DONE]", async () => {
    const { assistant, thread } = await setup("Raw frames");
    const frames = await readFrames(
      await post(`/threads/${thread.id}/runs`, { assistant_id: assistant.id, stream: true }),
    );
    expectUpstreamSse(frames);
    expect(frames.slice(0, -1).map((frame) => frame.event)).toEqual(plainRunEvents(12));
    expect(frames.slice(0, -1).map((frame) => frame.id)).toEqual(frames.slice(0, -1).map((_, index) => index + 1));
    const created = JSON.parse(frames[0]!.data) as OpenAI.Beta.Threads.Run;
    expect(created).toMatchObject({ object: "thread.run", thread_id: thread.id, assistant_id: assistant.id });
  });

  it("a tool run's two segments: no Runcast event in either, the continuation's ids follow the log", async () => {
    const { first, second } = await rawToolRun();
    expectUpstreamSse(first);
    expectUpstreamSse(second);
    expect(first.at(-2)!.event).toBe("thread.run.requires_action");
    expect(second.slice(0, 3).map((frame) => frame.event)).toEqual([
      "thread.run.step.completed",
      "thread.run.queued",
      "thread.run.in_progress",
    ]);
    expect(second.at(-2)!.event).toBe("thread.run.completed");
    // Between the segments the log holds Runcast's own tool_outputs event, which REST leaves out: one id is skipped.
    expect(second[0]!.id).toBe(first.at(-2)!.id! + 2);
  });

  it("GET …/events streams the whole run; with Last-Event-ID: K, exactly the events after K through the end", async () => {
    const { thread, run, first, second } = await rawToolRun();
    const path = `/threads/${thread.id}/runs/${run.id}/events`;
    const all = await readFrames(await get(path));
    expectUpstreamSse(all);
    // The whole run: both segments as they were streamed, Runcast's event left out.
    expect(all.slice(0, -1)).toEqual([...first.slice(0, -1), ...second.slice(0, -1)]);
    expect(all.at(-2)!.event).toBe("thread.run.completed");

    const ids = all.slice(0, -1).map((frame) => frame.id!);
    for (const k of [ids[0]!, first.at(-2)!.id!, first.at(-2)!.id! + 1, ids.at(-3)!]) {
      const rest = await readFrames(await get(path, { "last-event-id": String(k) }));
      expect(rest.slice(0, -1)).toEqual(all.slice(0, -1).filter((frame) => frame.id! > k));
      expect(rest.at(-1)!.data).toBe("[DONE]");
      // ?after= is the same, for clients that cannot set headers.
      const viaQuery = await readFrames(await get(`${path}?after=${k}`));
      expect(viaQuery).toEqual(rest);
    }
    // After the terminal event: nothing but [DONE].
    const nothing = await readFrames(await get(path, { "last-event-id": String(ids.at(-1)) }));
    expect(nothing.map((frame) => frame.lines)).toEqual([["event: done", "data: [DONE]"]]);
  });

  it("GET …/events on a live run follows it to its end", async () => {
    const { assistant, thread } = await setup("Follow me live");
    const client = restSdk();
    const run = await client.beta.threads.runs.create(thread.id, {
      assistant_id: assistant.id,
      metadata: { emulator_delta_ms: "30", emulator_reply_words: "30" },
    });
    expect(["queued", "in_progress"]).toContain(run.status);
    const path = `/threads/${thread.id}/runs/${run.id}/events`;
    // Creation answers once the hub holds `thread.run.created` (event 1); what follows may not be in yet.
    const live = await readFrames(await get(path, { "last-event-id": "1" }));
    expectUpstreamSse(live);
    expect(live[0]!.id).toBe(2);
    expect(live.at(-2)!.event).toBe("thread.run.completed");
    expect(deltaText(live)).toBe(await storedRunReply(thread.id, run.id));
    // Read again once done: the same events.
    expect(await readFrames(await get(path, { "last-event-id": "1" }))).toEqual(live);
  });

  // Under `responses` the emulator's Assistants API holds no thread of Runcast's to create the adopted run on.
  it.skipIf(provider === "responses")(
    "a stream broken by a hub restart ends without [DONE]; resuming with Last-Event-ID gets exactly the rest",
    async () => {
      const { assistant, thread } = await setup("Resume after a break");
      // Created on the emulator directly: the hub adopts it on the first request and follows it by polling.
      const run = await emulatorSdk().beta.threads.runs.create(thread.id, {
        assistant_id: assistant.id,
        metadata: { emulator_delta_ms: "30", emulator_reply_words: "60" },
      });
      const path = `/threads/${thread.id}/runs/${run.id}/events`;
      const response = await get(path);
      expect(response.status).toBe(200);

      // Read in the background, keeping what arrived before the break.
      const received = { text: "", ended: "" };
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      const reading = (async () => {
        try {
          for (let next = await reader.read(); !next.done; next = await reader.read()) received.text += next.value;
          received.ended = "done";
        } catch {
          received.ended = "broken";
        }
      })();
      const deadline = Date.now() + 5_000;
      while (!sseFrames(received.text).some((frame) => frame.event === "thread.message.delta") && Date.now() < deadline)
        await sleep(10);
      await abortHub(run.id);
      await within(reading, 5_000, "the broken stream ending");

      // The stream broke: no terminal event and no [DONE] were made up.
      expect(received.ended).toBe("broken");
      const before = sseFrames(received.text.slice(0, received.text.lastIndexOf("\n\n") + 2));
      expect(before.map((frame) => frame.event)).toContain("thread.message.delta");
      expect(before.map((frame) => frame.data)).not.toContain("[DONE]");
      expect(before.map((frame) => frame.event)).not.toContain("thread.run.completed");

      // As EventSource would: reconnect with the last id received.
      const rest = await readFrames(await get(path, { "last-event-id": String(before.at(-1)!.id) }));
      const all = [...before, ...rest];
      expectUpstreamSse(all);
      expect(all.slice(0, -1).map((frame) => frame.id)).toEqual(all.slice(0, -1).map((_, index) => index + 1));
      expect(all[0]!.event).toBe("thread.run.created");
      expect(all.at(-2)!.event).toBe("thread.run.completed");
      expect(deltaText(all)).toBe(await storedRunReply(thread.id, run.id));
    },
  );

  it.each(["abc", "-1", "1.5", "1234567890123456"])("a bad Last-Event-ID (%s) is a 400 naming it", async (bad) => {
    const { assistant, thread } = await setup("Bad ids");
    const run = await restSdk().beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
    const response = await get(`/threads/${thread.id}/runs/${run.id}/events`, { "last-event-id": bad });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        message: expect.stringContaining("Last-Event-ID"),
        type: "invalid_request_error",
        param: "Last-Event-ID",
        code: "invalid_value",
        request_id: response.headers.get("x-request-id"),
      },
    });
  });

  it("GET …/events for an unknown run is a 404 in the upstream's error shape, and leaves no hub behind", async () => {
    const { thread } = await setup("No such run");
    const runId = "run_doesnotexist000000000000";
    const response = await get(`/threads/${thread.id}/runs/${runId}/events`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await response.json()) as { error: Record<string, unknown> };
    expect(Object.keys(body)).toEqual(["error"]);
    expect(body.error).toEqual({
      message: expect.any(String),
      type: "invalid_request_error",
      param: null,
      code: expect.toBeOneOf([expect.any(String), null]),
      request_id: response.headers.get("x-request-id"),
    });
    // The SDK raises the same error class it would for the upstream's 404.
    const sdkError = await restSdk()
      .get(`/threads/${thread.id}/runs/${runId}/events`)
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(sdkError).toBeInstanceOf(OpenAI.NotFoundError);
    expect(await hubState(runId)).toBeUndefined();
  });
});
