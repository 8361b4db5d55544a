// Every tRPC procedure through the typed client, over the gateway Worker's fetch handler; what it answers is what the
// records' keeper holds (the emulator, or under `responses` Runcast's own records: `heldGet`).
import { describe, expect, it } from "vitest";
import { WEATHER_TOOL, createToolAssistant, gatewayFetch } from "./helpers/emulator";
import { SLOW_RUN, heldGet, heldSdk, restSdk, runcastClient, waitForRun } from "./helpers/runcast";

const INCLUDE_CONTENT = "step_details.tool_calls[*].file_search.results[*].content" as const;

/** A tool assistant and a thread of its own holding one user message, made through Runcast's /v1. */
async function setup(text = "Hello there") {
  const sdk = restSdk();
  const assistant = await createToolAssistant(sdk);
  const thread = await sdk.beta.threads.create({ messages: [{ role: "user", content: text }] });
  return { sdk, assistant, thread };
}

const textOf = (message: { content: Array<{ type: string; text?: { value: string } }> }) =>
  message.content.map((part) => part.text?.value ?? "").join("");

describe("runs.create", () => {
  it("passes every optional field to the upstream, and they show on the run it answers", async () => {
    const { assistant, thread } = await setup("Hello there");
    const runcast = runcastClient();
    const run = await runcast.runs.create.mutate({
      thread_id: thread.id,
      assistant_id: assistant.id,
      model: "gpt-4o-mini",
      instructions: "Be terse.",
      additional_instructions: "Sign with R.",
      additional_messages: [{ role: "user", content: "Tell me about lighthouses", metadata: { origin: "additional" } }],
      metadata: { purpose: "rpc-create", ticket: "T-1" },
      tools: [WEATHER_TOOL],
      temperature: 0.3,
      top_p: 0.9,
      tool_choice: "none",
      truncation_strategy: { type: "last_messages", last_messages: 4 },
      response_format: { type: "json_object" },
      max_prompt_tokens: 5000,
      max_completion_tokens: 4000,
      parallel_tool_calls: false,
    });

    expect(run).toMatchObject({
      object: "thread.run",
      thread_id: thread.id,
      assistant_id: assistant.id,
      model: "gpt-4o-mini",
      instructions: "Be terse.\n\nSign with R.",
      metadata: { purpose: "rpc-create", ticket: "T-1" },
      tools: [WEATHER_TOOL],
      temperature: 0.3,
      top_p: 0.9,
      tool_choice: "none",
      truncation_strategy: { type: "last_messages", last_messages: 4 },
      response_format: { type: "json_object" },
      max_prompt_tokens: 5000,
      max_completion_tokens: 4000,
      parallel_tool_calls: false,
    });
    expect(run.id).toMatch(/^run_/);
    expect(["queued", "in_progress"]).toContain(run.status);

    // The run the emulator holds is the one created, with the same settings.
    const held = await waitForRun(thread.id, run.id);
    expect(held.status).toBe("completed");
    const { status: _s, started_at: _a, completed_at: _c, usage: _u, expires_at: _e, ...fixed } = run;
    expect(held).toMatchObject(fixed);

    // The additional message went onto the thread before the run, and the run answered it.
    const history = await runcast.threads.messages.list.query({ thread_id: thread.id, order: "asc" });
    expect(history.data.map((message) => message.role)).toEqual(["user", "user", "assistant"]);
    expect(history.data[1]).toMatchObject({ metadata: { origin: "additional" } });
    expect(textOf(history.data[1]!)).toBe("Tell me about lighthouses");
    expect(textOf(history.data[2]!)).toMatch(/^You said: "Tell me about lighthouses"\./);
  });

  it("answers the run as the emulator holds it, defaults resolved from the assistant", async () => {
    const { assistant, thread } = await setup();
    const run = await runcastClient().runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
    expect(run).toMatchObject({
      instructions: "Answer briefly.",
      tools: assistant.tools,
      model: "gpt-4o",
      metadata: {},
      tool_choice: "auto",
      parallel_tool_calls: true,
    });
    const held = await heldGet<{ id: string; created_at: number; instructions: string }>(
      `/threads/${thread.id}/runs/${run.id}`,
    );
    expect(held).toMatchObject({ id: run.id, created_at: run.created_at, instructions: run.instructions });
    await waitForRun(thread.id, run.id);
  });
});

describe("runs.createThreadAndRun", () => {
  it("creates the thread with its messages and runs it", async () => {
    const assistant = await createToolAssistant(restSdk());
    const runcast = runcastClient();
    const run = await runcast.runs.createThreadAndRun.mutate({
      assistant_id: assistant.id,
      thread: {
        messages: [
          { role: "user", content: "First words" },
          { role: "user", content: "Tell me about harbours" },
        ],
        metadata: { channel: "web" },
      },
      metadata: { kind: "thread-and-run" },
      temperature: 0.5,
    });
    expect(run).toMatchObject({
      object: "thread.run",
      assistant_id: assistant.id,
      metadata: { kind: "thread-and-run" },
      temperature: 0.5,
    });
    expect(run.thread_id).toMatch(/^thread_/);

    const thread = await heldSdk().beta.threads.retrieve(run.thread_id);
    expect(thread.metadata).toEqual({ channel: "web" });
    expect(await waitForRun(run.thread_id, run.id)).toMatchObject({ status: "completed" });
    const history = await runcast.threads.messages.list.query({ thread_id: run.thread_id, order: "asc" });
    expect(history.data.map(textOf).slice(0, 2)).toEqual(["First words", "Tell me about harbours"]);
    expect(history.data[2]).toMatchObject({ role: "assistant", run_id: run.id });
    expect(textOf(history.data[2]!)).toMatch(/^You said: "Tell me about harbours"\./);
  });
});

describe("runs.list", () => {
  it("pages with limit, order, after and before, exactly as the emulator does", async () => {
    const { assistant, thread } = await setup();
    const runcast = runcastClient();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await runcast.runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
      await waitForRun(thread.id, run.id);
      ids.push(run.id);
    }
    const [first, second, third] = ids as [string, string, string];

    const all = await runcast.runs.list.query({ thread_id: thread.id });
    expect(all).toEqual(await heldGet(`/threads/${thread.id}/runs`));
    expect(all.data.map((run) => run.id)).toEqual([third, second, first]);
    expect(all).toMatchObject({ object: "list", first_id: third, last_id: first, has_more: false });

    const page1 = await runcast.runs.list.query({ thread_id: thread.id, limit: 2 });
    expect(page1).toMatchObject({ first_id: third, last_id: second, has_more: true });
    expect(page1.data.map((run) => run.id)).toEqual([third, second]);
    expect(page1).toEqual(await heldGet(`/threads/${thread.id}/runs?limit=2`));

    const page2 = await runcast.runs.list.query({ thread_id: thread.id, limit: 2, after: page1.last_id! });
    expect(page2.data.map((run) => run.id)).toEqual([first]);
    expect(page2).toMatchObject({ first_id: first, last_id: first, has_more: false });

    const ascending = await runcast.runs.list.query({ thread_id: thread.id, order: "asc", limit: 2 });
    expect(ascending.data.map((run) => run.id)).toEqual([first, second]);
    expect(ascending.has_more).toBe(true);
    expect(ascending).toEqual(await heldGet(`/threads/${thread.id}/runs?order=asc&limit=2`));

    const before = await runcast.runs.list.query({ thread_id: thread.id, order: "asc", before: third });
    expect(before.data.map((run) => run.id)).toEqual([first, second]);
    expect(before).toEqual(await heldGet(`/threads/${thread.id}/runs?order=asc&before=${third}`));

    const empty = await runcast.runs.list.query({ thread_id: thread.id, after: first });
    expect(empty).toEqual({ object: "list", data: [], first_id: null, last_id: null, has_more: false });
  });
});

describe("runs.retrieve", () => {
  it("answers the run the emulator holds, and passes the upstream's poll hint on", async () => {
    const { assistant, thread } = await setup();
    const hints: Array<string | null> = [];
    const watching: typeof fetch = async (input, init) => {
      const response = await gatewayFetch(input, init);
      hints.push(response.headers.get("openai-poll-after-ms"));
      return response;
    };
    const runcast = runcastClient(watching);
    const created = await runcast.runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
    await waitForRun(thread.id, created.id);
    hints.length = 0;
    const run = await runcast.runs.retrieve.query({ thread_id: thread.id, run_id: created.id });
    expect(run).toEqual(await heldGet(`/threads/${thread.id}/runs/${created.id}`));
    expect(run).toMatchObject({ id: created.id, status: "completed" });
    expect(run.usage?.total_tokens).toBeGreaterThan(0);
    // The gateway's HTTP answer carries a poll hint (the emulator's is 20 ms in tests, vitest.config.ts).
    expect(hints).toHaveLength(1);
    expect(hints[0]).toMatch(/^\d+$/);
  });
});

describe("runs.update", () => {
  it("replaces the run's metadata on the emulator", async () => {
    const { assistant, thread } = await setup();
    const runcast = runcastClient();
    const created = await runcast.runs.create.mutate({
      thread_id: thread.id,
      assistant_id: assistant.id,
      metadata: { stage: "one" },
    });
    await waitForRun(thread.id, created.id);
    const updated = await runcast.runs.update.mutate({
      thread_id: thread.id,
      run_id: created.id,
      metadata: { stage: "two", reviewer: "ann" },
    });
    expect(updated).toMatchObject({ id: created.id, metadata: { stage: "two", reviewer: "ann" } });
    expect(updated).toEqual(await heldGet(`/threads/${thread.id}/runs/${created.id}`));
  });
});

describe("runs.submitToolOutputs", () => {
  it("takes a tool round trip to completed", async () => {
    const { assistant, thread } = await setup("Please get_weather Paris and get_time Tokyo.");
    const runcast = runcastClient();
    const created = await runcast.runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
    await waitForRun(thread.id, created.id, ["requires_action"]);
    const waiting = await runcast.runs.retrieve.query({ thread_id: thread.id, run_id: created.id });
    expect(waiting.status).toBe("requires_action");
    const calls = waiting.required_action!.submit_tool_outputs.tool_calls;
    expect(calls.map((call) => [call.function.name, JSON.parse(call.function.arguments)])).toEqual([
      ["get_weather", { city: "Paris" }],
      ["get_time", { city: "Tokyo" }],
    ]);

    const submitted = await runcast.runs.submitToolOutputs.mutate({
      thread_id: thread.id,
      run_id: created.id,
      tool_outputs: [
        { tool_call_id: calls[0]!.id, output: "Sunny" },
        { tool_call_id: calls[1]!.id, output: "09:00" },
      ],
    });
    expect(submitted).toMatchObject({ id: created.id, required_action: null });
    expect(["queued", "in_progress", "completed"]).toContain(submitted.status);

    const done = await waitForRun(thread.id, created.id);
    expect(done.status).toBe("completed");
    const reply = await runcast.threads.messages.list.query({ thread_id: thread.id, run_id: created.id });
    expect(reply.data).toHaveLength(1);
    expect(textOf(reply.data[0]!)).toMatch(/^get_weather returned: Sunny\. get_time returned: 09:00\./);

    // The tool step holds the outputs the gateway passed on.
    const steps = await runcast.runs.steps.list.query({ thread_id: thread.id, run_id: created.id, order: "asc" });
    expect(steps.data.map((step) => step.type)).toEqual(["tool_calls", "message_creation"]);
    const toolStep = steps.data[0]!.step_details;
    expect(
      toolStep.type === "tool_calls" &&
        toolStep.tool_calls.map((call) => call.type === "function" && call.function.output),
    ).toEqual(["Sunny", "09:00"]);
  });
});

describe("runs.cancel", () => {
  it("cancels an active run: cancelling at once, cancelled on the emulator", async () => {
    const { assistant, thread } = await setup();
    const runcast = runcastClient();
    const created = await runcast.runs.create.mutate({
      thread_id: thread.id,
      assistant_id: assistant.id,
      metadata: SLOW_RUN,
    });
    const cancelling = await runcast.runs.cancel.mutate({ thread_id: thread.id, run_id: created.id });
    expect(cancelling).toMatchObject({ id: created.id, status: "cancelling" });
    const cancelled = await waitForRun(thread.id, created.id, ["cancelled", "completed"]);
    expect(cancelled.status).toBe("cancelled");
    expect(await runcast.runs.retrieve.query({ thread_id: thread.id, run_id: created.id })).toEqual(cancelled);
  });
});

describe("runs.steps", () => {
  it("lists (include accepted) and retrieves steps as the emulator holds them", async () => {
    const { assistant, thread } = await setup("Could you get_weather Oslo?");
    const runcast = runcastClient();
    const created = await runcast.runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
    const waiting = await waitForRun(thread.id, created.id, ["requires_action"]);
    const call = waiting.required_action!.submit_tool_outputs.tool_calls[0]!;
    await runcast.runs.submitToolOutputs.mutate({
      thread_id: thread.id,
      run_id: created.id,
      tool_outputs: [{ tool_call_id: call.id, output: "Rain" }],
    });
    await waitForRun(thread.id, created.id);

    const steps = await runcast.runs.steps.list.query({
      thread_id: thread.id,
      run_id: created.id,
      include: [INCLUDE_CONTENT],
    });
    expect(steps).toEqual(
      await heldGet(`/threads/${thread.id}/runs/${created.id}/steps?include[]=${encodeURIComponent(INCLUDE_CONTENT)}`),
    );
    expect(steps.data.map((step) => step.type)).toEqual(["message_creation", "tool_calls"]);
    expect(steps.data.every((step) => step.run_id === created.id && step.status === "completed")).toBe(true);

    const limited = await runcast.runs.steps.list.query({
      thread_id: thread.id,
      run_id: created.id,
      limit: 1,
      order: "asc",
    });
    expect(limited).toMatchObject({ has_more: true, first_id: steps.data[1]!.id, last_id: steps.data[1]!.id });

    for (const step of steps.data) {
      const one = await runcast.runs.steps.retrieve.query({
        thread_id: thread.id,
        run_id: created.id,
        step_id: step.id,
      });
      expect(one).toEqual(step);
      expect(one).toEqual(await heldGet(`/threads/${thread.id}/runs/${created.id}/steps/${step.id}`));
    }
    const withInclude = await runcast.runs.steps.retrieve.query({
      thread_id: thread.id,
      run_id: created.id,
      step_id: steps.data[0]!.id,
      include: [INCLUDE_CONTENT],
    });
    expect(withInclude).toEqual(steps.data[0]);
  });
});

describe("threads.messages.list", () => {
  it("gives the conversation's history after a run, and filters by run_id", async () => {
    const { assistant, thread, sdk } = await setup("Tell me about rivers");
    const runcast = runcastClient();
    const firstRun = await runcast.runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
    await waitForRun(thread.id, firstRun.id);
    await sdk.beta.threads.messages.create(thread.id, { role: "user", content: "And about lakes" });
    const secondRun = await runcast.runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
    await waitForRun(thread.id, secondRun.id);

    const history = await runcast.threads.messages.list.query({ thread_id: thread.id });
    expect(history).toEqual(await heldGet(`/threads/${thread.id}/messages`));
    expect(history.data.map((message) => [message.role, message.run_id])).toEqual([
      ["assistant", secondRun.id],
      ["user", null],
      ["assistant", firstRun.id],
      ["user", null],
    ]);
    expect(textOf(history.data[0]!)).toMatch(/^You said: "And about lakes"\./);

    const ofFirst = await runcast.threads.messages.list.query({ thread_id: thread.id, run_id: firstRun.id });
    expect(ofFirst).toEqual(await heldGet(`/threads/${thread.id}/messages?run_id=${firstRun.id}`));
    expect(ofFirst.data).toHaveLength(1);
    expect(ofFirst.data[0]).toMatchObject({ role: "assistant", run_id: firstRun.id });
    expect(textOf(ofFirst.data[0]!)).toMatch(/^You said: "Tell me about rivers"\./);

    const paged = await runcast.threads.messages.list.query({
      thread_id: thread.id,
      order: "asc",
      limit: 2,
      after: history.data[3]!.id,
    });
    expect(paged.data.map((message) => message.id)).toEqual([history.data[2]!.id, history.data[1]!.id]);
    expect(paged.has_more).toBe(true);
  });
});
