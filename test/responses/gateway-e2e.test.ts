// End to end through the gateway with RUNCAST_PROVIDER=responses: the typed tRPC client (runs.create, runs.events over
// WebSocket and SSE, runs.submitToolOutputs) and the official openai SDK on /v1, with assistants and threads seeded in
// Runcast's own store (until the assistants and threads procedures land).
import { afterEach, describe, expect, it } from "vitest";
import { resetEmulatorSettings } from "../helpers/emulator";
import { deltaText, Tab, within, type SeenEvent } from "../helpers/hub-lifecycle";
import { expectValid } from "../helpers/openapi-schemas";
import { frontendClient, restSdk, rpcError } from "../helpers/runcast";
import { provider, seed } from "../helpers/responses-provider";

afterEach(async () => {
  await resetEmulatorSettings();
});

const runcast = frontendClient;

/** The Assistants events of a subscription (Runcast's own `runcast.*` notices aside), each valid. */
function assistantsEvents(events: SeenEvent[]): SeenEvent[] {
  const upstream = events.filter((event) => !event.event.startsWith("runcast."));
  upstream.forEach(({ event, data }, i) => expectValid("AssistantStreamEvent", { event, data }, `#${i} ${event}`));
  return upstream;
}

/** Follows a run over SSE (httpSubscriptionLink) until the subscription completes. */
function followSse(ref: { thread_id: string; run_id: string }): Promise<SeenEvent[]> {
  const seen: SeenEvent[] = [];
  return within(
    new Promise<SeenEvent[]>((resolve, reject) => {
      runcast().runs.events.subscribe(ref, {
        onData: ({ id, data }) => seen.push({ id: Number(id), event: data.event, data: data.data }),
        onComplete: () => resolve(seen),
        onError: reject,
      });
    }),
    15_000,
    "SSE subscription",
  );
}

describe("the typed tRPC client", () => {
  it("runs.create, runs.events over WebSocket and SSE, runs.submitToolOutputs: the tool loop to completion", async () => {
    const { assistant, thread } = await seed("get_weather Paris");
    const client = runcast();
    const run = await client.runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
    expect(run).toMatchObject({ thread_id: thread.id, assistant_id: assistant.id, status: "queued" });
    expect(run.id).toMatch(/^run_/);

    const tab = new Tab(thread.id, run.id);
    const waiting = await tab.waitFor("thread.run.requires_action");
    const calls = waiting.data.required_action.submit_tool_outputs.tool_calls as { id: string }[];
    expect(calls).toHaveLength(1);
    const submitted = await client.runs.submitToolOutputs.mutate({
      thread_id: thread.id,
      run_id: run.id,
      tool_outputs: [{ tool_call_id: calls[0]!.id, output: "sunny" }],
    });
    expect(submitted.id).toBe(run.id);
    await within(tab.done, 15_000, "WebSocket subscription");
    const overWs = assistantsEvents(tab.events);
    expect(overWs[0]!.event).toBe("thread.run.created");
    expect(overWs.at(-1)!.event).toBe("thread.run.completed");
    expect(deltaText(overWs)).toMatch(/^get_weather returned: sunny\./);
    tab.close();

    // A late SSE subscriber replays the same log from the hub.
    const overSse = assistantsEvents(await followSse({ thread_id: thread.id, run_id: run.id }));
    expect(overSse.map((e) => e.event)).toEqual(overWs.map((e) => e.event));
    expect(deltaText(overSse)).toBe(deltaText(overWs));

    // Reads go to Runcast's store through the same procedures.
    const retrieved = await client.runs.retrieve.query({ thread_id: thread.id, run_id: run.id });
    expect(retrieved.status).toBe("completed");
    const steps = await client.runs.steps.list.query({ thread_id: thread.id, run_id: run.id, order: "asc" });
    expect(steps.data.map((step) => step.type)).toEqual(["tool_calls", "message_creation"]);
    const messages = await client.threads.messages.list.query({ thread_id: thread.id, run_id: run.id });
    expect(messages.data).toHaveLength(1);
    const listed = await client.runs.list.query({ thread_id: thread.id });
    expect(listed.data.map((r) => r.id)).toEqual([run.id]);
  });

  it("a second run on the thread while one is active is a CONFLICT naming the active run", async () => {
    const { assistant, thread } = await seed("get_weather Paris");
    const client = runcast();
    const run = await client.runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
    const error = await client.runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id }).catch((e) => e);
    expect(error.data).toMatchObject({ code: "CONFLICT" });
    expect(error.message).toBe(`Thread ${thread.id} already has an active run ${run.id}.`);
    await client.runs.cancel.mutate({ thread_id: thread.id, run_id: run.id });
  });
});

describe("creating a thread with its run, and cancelling", () => {
  it("runs.createThreadAndRun makes the thread in Runcast's store (thread.created first) and answers it", async () => {
    const { assistant } = await seed("unused");
    const client = runcast();
    const run = await client.runs.createThreadAndRun.mutate({
      assistant_id: assistant.id,
      thread: { messages: [{ role: "user", content: "Hello there" }], metadata: { origin: "e2e" } },
    });
    const events = assistantsEvents(await followSse({ thread_id: run.thread_id, run_id: run.id }));
    expect(events.map((e) => e.event)[0]).toBe("thread.created");
    expect(events[0]!.data).toMatchObject({ id: run.thread_id, metadata: { origin: "e2e" } });
    expect(events.at(-1)!.event).toBe("thread.run.completed");
    expect(deltaText(events)).toMatch(/^You said: "Hello there"\./);
    expect(await provider().retrieveThread(run.thread_id)).toMatchObject({ id: run.thread_id, object: "thread" });
  });

  it("runs.cancel on a streaming run: subscribers see cancelling, then cancelled", async () => {
    const { assistant, thread } = await seed("Hello there");
    const client = runcast();
    const run = await client.runs.create.mutate({
      thread_id: thread.id,
      assistant_id: assistant.id,
      metadata: { emulator_delta_ms: "40", emulator_reply_words: "80" },
    });
    const tab = new Tab(thread.id, run.id);
    await tab.waitFor("thread.message.delta");
    await client.runs.cancel.mutate({ thread_id: thread.id, run_id: run.id });
    await within(tab.done, 15_000, "WebSocket subscription");
    const names = assistantsEvents(tab.events).map((e) => e.event);
    expect(names).toContain("thread.run.cancelling");
    expect(names.at(-1)).toBe("thread.run.cancelled");
    tab.close();
    expect((await client.runs.retrieve.query({ thread_id: thread.id, run_id: run.id })).status).toBe("cancelled");
  });
});

describe("the official openai SDK on the gateway's /v1", () => {
  it("beta.threads.runs.stream, then submitToolOutputsStream, to completion", async () => {
    const { assistant, thread } = await seed("get_weather Paris");
    const sdk = restSdk();
    const first = sdk.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const waiting = await first.finalRun();
    expect(waiting.status).toBe("requires_action");
    const call = waiting.required_action!.submit_tool_outputs.tool_calls[0]!;
    expect(call.function).toEqual({ name: "get_weather", arguments: '{"city":"Paris"}' });
    const [step] = await first.finalRunSteps();
    expect(step).toMatchObject({ type: "tool_calls", status: "in_progress" });

    const second = sdk.beta.threads.runs.submitToolOutputsStream(waiting.id, {
      thread_id: thread.id,
      tool_outputs: [{ tool_call_id: call.id, output: "sunny" }],
    });
    let text = "";
    second.on("textDelta", (delta) => (text += delta.value ?? ""));
    const done = await second.finalRun();
    expect(done).toMatchObject({ id: waiting.id, status: "completed" });
    const [message] = await second.finalMessages();
    expect(text).toMatch(/^get_weather returned: sunny\./);
    expect(message!.content[0]).toMatchObject({ type: "text", text: { value: text } });
    const listed = await sdk.beta.threads.messages.list(thread.id, { order: "asc" });
    expect(listed.data.map((m) => m.role)).toEqual(["user", "assistant"]);
  });

  it("createAndPoll polls the gateway until the run ends", async () => {
    const p = provider();
    const { assistant, thread } = await seed("Hello there", p);
    const run = await restSdk().beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id },
      { pollIntervalMs: 50 },
    );
    expect(run.status).toBe("completed");
    expect(run.usage).toMatchObject({ completion_tokens: 12 });
    const reply = (await p.listMessages(thread.id, { run_id: run.id })).data[0]!;
    expect(reply.content[0]).toMatchObject({ text: { value: expect.stringMatching(/^You said: "Hello there"\./) } });
  });
});

describe("Azure's tool types", () => {
  it("are refused with a 400 naming the tool, before anything is kept: on assistants and on a run's tools", async () => {
    const client = runcast();
    const before = await client.assistants.list.query({ limit: 100 });
    const mcp = { type: "mcp", server_label: "docs", server_url: "https://mcp.example.test/docs" };
    const refused = await rpcError(
      client.assistants.create.mutate({
        model: "gpt-4o",
        tools: [{ type: "function", function: { name: "f" } }, mcp as never],
      }),
    );
    expect(refused.data?.code).toBe("BAD_REQUEST");
    expect(refused.message).toMatch(/^Tool type 'mcp' is Azure AI Foundry's/);
    expect(refused.data?.upstream).toMatchObject({ status: 400, param: "tools[1].type" });
    expect((await client.assistants.list.query({ limit: 100 })).data).toEqual(before.data);

    const { assistant, thread } = await seed("Hello there", provider());
    const onRun = await rpcError(
      client.runs.create.mutate({
        thread_id: thread.id,
        assistant_id: assistant.id,
        tools: [{ type: "bing_grounding" } as never],
      }),
    );
    expect(onRun.message).toMatch(/^Tool type 'bing_grounding' is Azure AI Foundry's/);
    expect((await client.runs.list.query({ thread_id: thread.id })).data).toEqual([]);
  });
});
