// The run hub's lifecycle, end to end inside workerd with the emulator upstream: tool outputs from several tabs, cancel,
// runs the hub adopts, streams that are cut, go silent or are lost in a restart, expiry, polling cadence and retention.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { forwardingIn } from "../src/durable/run-starter";
import {
  createToolAssistant,
  emulatorSdk,
  gatewayFetch,
  resetEmulatorSettings,
  setEmulatorSettings,
  plainRunEvents,
} from "./helpers/emulator";
import {
  Tab,
  abortHub,
  abortObject,
  storedRunReply,
  storedSteps,
  expectContiguous,
  expectEachObjectOnce,
  fireHubAlarm,
  forwardingStarter,
  hubAlarm,
  hubSocketCount,
  hubState,
  hubStub,
  nextPollDelay,
  openTabs,
  setHubState,
  type SeenEvent,
} from "./helpers/hub-lifecycle";
import {
  emulatorSettings,
  heldGet,
  provider,
  restSdk,
  rpcError,
  runcastClient,
  sleep,
  upstreamRunRequest,
  waitForRun,
} from "./helpers/runcast";

const WEATHER_AND_TIME = "Please get_weather Paris and get_time Tokyo.";

/** A tool assistant and a thread of its own holding one user message, made through Runcast's /v1. */
async function setup(text: string) {
  const sdk = restSdk();
  const assistant = await createToolAssistant(sdk);
  const thread = await sdk.beta.threads.create({ messages: [{ role: "user", content: text }] });
  return { sdk, assistant, thread };
}

/** Starts a run through Runcast (its hub holds it from the start). */
async function startRun(text: string, metadata: Record<string, string> = {}) {
  const { sdk, assistant, thread } = await setup(text);
  const run = await runcastClient().runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id, metadata });
  return { sdk, assistant, thread, run };
}

interface ToolCall {
  id: string;
  function: { name: string; arguments: string };
}

const callsOf = (event: SeenEvent): ToolCall[] => event.data.required_action.submit_tool_outputs.tool_calls;
const byName = (calls: ToolCall[], name: string) => calls.find((call) => call.function.name === name)!;
const deltaCount = (events: SeenEvent[]) => events.filter((event) => event.event === "thread.message.delta").length;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Reads `read` until `done` accepts its value (or fails after `ms`). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`still not there after ${ms} ms: ${JSON.stringify(value)}`);
    await sleep(20);
  }
}

const runEvents = (events: SeenEvent[]) =>
  events.filter((e) => e.event.startsWith("thread.run.") && !e.event.startsWith("thread.run.step."));

afterEach(async () => {
  await resetEmulatorSettings();
});

describe("tool outputs through the hub", () => {
  it("a tool round trip: requires_action, Runcast's tool_outputs event, then the continuation in the same log", async () => {
    const { thread, run } = await startRun(WEATHER_AND_TIME);
    const tabs = openTabs(2, thread.id, run.id);
    const paused = await tabs[0]!.waitFor("thread.run.requires_action");
    const calls = callsOf(paused);
    expect(calls.map((call) => call.function.name)).toEqual(["get_weather", "get_time"]);

    const answered = await runcastClient().runs.submitToolOutputs.mutate({
      thread_id: thread.id,
      run_id: run.id,
      tool_outputs: [
        { tool_call_id: byName(calls, "get_weather").id, output: "18C and sunny" },
        { tool_call_id: byName(calls, "get_time").id, output: "14:05" },
      ],
    });
    expect(answered).toMatchObject({ id: run.id, status: "queued" });
    await Promise.all(tabs.map((tab) => tab.finished()));

    for (const tab of tabs) {
      expectContiguous(tab.ids);
      const names = tab.names;
      const pausedAt = names.indexOf("thread.run.requires_action");
      expect(names.slice(0, 3)).toEqual(["thread.run.created", "thread.run.queued", "thread.run.in_progress"]);
      expect(names.slice(pausedAt + 1, pausedAt + 5)).toEqual([
        "runcast.tool_outputs",
        "thread.run.step.completed",
        "thread.run.queued",
        "thread.run.in_progress",
      ]);
      expect(names.at(-1)).toBe("thread.run.completed");
      expect(names.filter((name) => name === "thread.run.requires_action")).toHaveLength(1);

      const outputsEvent = tab.events[pausedAt + 1]!;
      expect(outputsEvent.data).toEqual({ run_id: run.id, received: calls.map((call) => call.id), pending: [] });
      // The continuation's first event closes the tool step with both outputs.
      const toolStep = tab.events[pausedAt + 2]!.data;
      expect(
        toolStep.step_details.tool_calls.map((call: { id: string; function: { output: string } }) => [
          call.id,
          call.function.output,
        ]),
      ).toEqual([
        [byName(calls, "get_weather").id, "18C and sunny"],
        [byName(calls, "get_time").id, "14:05"],
      ]);
      expectEachObjectOnce(tab.events);
      expect(tab.text).toMatch(/^get_weather returned: 18C and sunny\. get_time returned: 14:05\./);
      expect(tab.text).toBe(await storedRunReply(thread.id, run.id));
    }
    // Both tabs saw the same log.
    expect(tabs[1]!.events).toEqual(tabs[0]!.events);
    tabs.forEach((tab) => tab.close());
  });

  it("two tabs submit one output each at the same moment: the hub makes exactly one upstream submission", async () => {
    const { thread, run } = await startRun(WEATHER_AND_TIME);
    const [tabA, tabB] = openTabs(2, thread.id, run.id) as [Tab, Tab];
    const calls = callsOf(await tabA.waitFor("thread.run.requires_action"));
    await tabB.waitFor("thread.run.requires_action");
    const weather = byName(calls, "get_weather");
    const time = byName(calls, "get_time");

    // Tab A over its own socket, tab B over HTTP, in parallel.
    const [viaSocket, viaHttp] = await Promise.all([
      tabA.client.runs.submitToolOutputs.mutate({
        thread_id: thread.id,
        run_id: run.id,
        tool_outputs: [{ tool_call_id: weather.id, output: "18C and sunny" }],
      }),
      runcastClient().runs.submitToolOutputs.mutate({
        thread_id: thread.id,
        run_id: run.id,
        tool_outputs: [{ tool_call_id: time.id, output: "14:05" }],
      }),
    ]);
    // Neither failed (an upstream 400 for a partial or repeated submission would have surfaced here); one of them
    // completed the round and was answered with the continuing run, the other with the run still waiting.
    expect([viaSocket.status, viaHttp.status].sort()).toEqual(["queued", "requires_action"]);
    await Promise.all([tabA.finished(), tabB.finished()]);

    for (const tab of [tabA, tabB]) {
      expectContiguous(tab.ids);
      const outputs = tab.events.filter((event) => event.event === "runcast.tool_outputs").map((event) => event.data);
      expect(outputs).toHaveLength(2);
      expect(outputs.map((output) => output.pending.length)).toEqual([1, 0]);
      expect(outputs[0].received).toHaveLength(1);
      expect(outputs[0].pending).toEqual(
        calls.map((call) => call.id).filter((id) => !outputs[0].received.includes(id)),
      );
      expect(outputs[1]).toEqual({ run_id: run.id, received: [weather.id, time.id], pending: [] });
      // The tool step was completed once, by the one submission.
      const toolStepId = tab.events.find((event) => event.event === "thread.run.step.created")!.data.id;
      expect(
        tab.events.filter((event) => event.event === "thread.run.step.completed" && event.data.id === toolStepId),
      ).toHaveLength(1);
      expect(tab.names.at(-1)).toBe("thread.run.completed");
      expect(tab.text).toMatch(/^get_weather returned: 18C and sunny\. get_time returned: 14:05\./);
    }
    expect(tabB.events).toEqual(tabA.events);

    // Upstream, the tool step holds both outputs: they arrived in one submission.
    const [toolStep] = await storedSteps(thread.id, run.id);
    expect(toolStep!.step_details.tool_calls!.map((call) => [call.id, call.function.output])).toEqual([
      [weather.id, "18C and sunny"],
      [time.id, "14:05"],
    ]);
    tabA.close();
    tabB.close();
  });

  it("both outputs from two sockets in parallel also make one submission", async () => {
    const { thread, run } = await startRun(WEATHER_AND_TIME);
    const [tabA, tabB] = openTabs(2, thread.id, run.id) as [Tab, Tab];
    const calls = callsOf(await tabA.waitFor("thread.run.requires_action"));
    await tabB.waitFor("thread.run.requires_action");
    const answers = await Promise.all([
      tabA.client.runs.submitToolOutputs.mutate({
        thread_id: thread.id,
        run_id: run.id,
        tool_outputs: [{ tool_call_id: byName(calls, "get_weather").id, output: "rain" }],
      }),
      tabB.client.runs.submitToolOutputs.mutate({
        thread_id: thread.id,
        run_id: run.id,
        tool_outputs: [{ tool_call_id: byName(calls, "get_time").id, output: "noon" }],
      }),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual(["queued", "requires_action"]);
    await Promise.all([tabA.finished(), tabB.finished()]);
    expect(tabA.text).toMatch(/^get_weather returned: rain\. get_time returned: noon\./);
    expect(tabA.events.filter((event) => event.event === "thread.run.step.completed")).toHaveLength(2);
    expect(tabB.events).toEqual(tabA.events);
    tabA.close();
    tabB.close();
  });

  it("a second output for a call is CONFLICT, an unknown call is BAD_REQUEST, and neither reaches the upstream", async () => {
    const { thread, run } = await startRun(WEATHER_AND_TIME);
    const [tabA, tabB] = openTabs(2, thread.id, run.id) as [Tab, Tab];
    const calls = callsOf(await tabA.waitFor("thread.run.requires_action"));
    await tabB.waitFor("thread.run.requires_action");
    const weather = byName(calls, "get_weather");
    const time = byName(calls, "get_time");
    const http = runcastClient();
    const ref = { thread_id: thread.id, run_id: run.id };

    const first = await tabA.client.runs.submitToolOutputs.mutate({
      ...ref,
      tool_outputs: [{ tool_call_id: weather.id, output: "18C and sunny" }],
    });
    expect(first.status).toBe("requires_action");
    await tabB.waitFor("runcast.tool_outputs");
    const logged = tabB.events.length;

    // The same call again, from the other tab (socket) and over HTTP: CONFLICT.
    const again = await rpcError(
      tabB.client.runs.submitToolOutputs.mutate({
        ...ref,
        tool_outputs: [{ tool_call_id: weather.id, output: "snow" }],
      }),
    );
    expect(again.data?.code).toBe("CONFLICT");
    expect(again.message).toContain(weather.id);
    const againHttp = await rpcError(
      http.runs.submitToolOutputs.mutate({ ...ref, tool_outputs: [{ tool_call_id: weather.id, output: "snow" }] }),
    );
    expect(againHttp.data?.code).toBe("CONFLICT");

    // A call the run is not waiting for: BAD_REQUEST, and the valid output beside it is not kept either.
    const unknown = await rpcError(
      http.runs.submitToolOutputs.mutate({ ...ref, tool_outputs: [{ tool_call_id: "call_unknown123", output: "x" }] }),
    );
    expect(unknown.data?.code).toBe("BAD_REQUEST");
    expect(unknown.message).toContain("call_unknown123");
    const mixed = await rpcError(
      tabB.client.runs.submitToolOutputs.mutate({
        ...ref,
        tool_outputs: [
          { tool_call_id: time.id, output: "14:05" },
          { tool_call_id: "call_unknown123", output: "x" },
        ],
      }),
    );
    expect(mixed.data?.code).toBe("BAD_REQUEST");
    const twice = await rpcError(
      http.runs.submitToolOutputs.mutate({
        ...ref,
        tool_outputs: [
          { tool_call_id: time.id, output: "a" },
          { tool_call_id: time.id, output: "b" },
        ],
      }),
    );
    expect(twice.data?.code).toBe("BAD_REQUEST");

    // None of that was logged, and upstream the run still waits for both calls.
    expect(tabB.events).toHaveLength(logged);
    const held = await heldGet<{
      status: string;
      required_action: { submit_tool_outputs: { tool_calls: ToolCall[] } };
    }>(`/threads/${thread.id}/runs/${run.id}`);
    expect(held.status).toBe("requires_action");
    expect(held.required_action.submit_tool_outputs.tool_calls.map((call) => call.id)).toEqual(
      calls.map((call) => call.id),
    );

    // The missing output completes the round (it was not kept from the refused request, or this would be CONFLICT).
    const last = await http.runs.submitToolOutputs.mutate({
      ...ref,
      tool_outputs: [{ tool_call_id: time.id, output: "14:05" }],
    });
    expect(last.status).toBe("queued");
    await Promise.all([tabA.finished(), tabB.finished()]);
    for (const tab of [tabA, tabB]) {
      const outputs = tab.events.filter((event) => event.event === "runcast.tool_outputs").map((event) => event.data);
      expect(outputs).toEqual([
        { run_id: run.id, received: [weather.id], pending: [time.id] },
        { run_id: run.id, received: [weather.id, time.id], pending: [] },
      ]);
      // The first output given is the one used.
      expect(tab.text).toMatch(/^get_weather returned: 18C and sunny\. get_time returned: 14:05\./);
    }
    tabA.close();
    tabB.close();
  });

  it.each([
    ["completed", { emulator_http_errors: "429x1" }],
    ["in_progress", { emulator_http_errors: "429x1", emulator_delta_ms: "50", emulator_reply_words: "20" }],
  ])("outputs for a run that is %s are BAD_REQUEST with no upstream call", async (status, metadata) => {
    const { thread, run } = await startRun("Hello there", metadata);
    const tab = new Tab(thread.id, run.id);
    if (status === "completed") await tab.finished();
    else await tab.waitFor("thread.message.delta");

    const viaHttp = await rpcError(
      runcastClient().runs.submitToolOutputs.mutate({
        thread_id: thread.id,
        run_id: run.id,
        tool_outputs: [{ tool_call_id: "call_abc", output: "x" }],
      }),
    );
    expect(viaHttp.data?.code).toBe("BAD_REQUEST");
    expect(viaHttp.message).toContain(`status ${status}`);
    const viaSocket = await rpcError(
      tab.client.runs.submitToolOutputs.mutate({
        thread_id: thread.id,
        run_id: run.id,
        tool_outputs: [{ tool_call_id: "call_abc", output: "x" }],
      }),
    );
    expect(viaSocket.data?.code).toBe("BAD_REQUEST");

    // The fault armed on the run answers the next request naming it: still armed, so the gateway sent none.
    const direct = await upstreamRunRequest(thread.id, run.id);
    expect(direct.status).toBe(429);
    await tab.finished();
    expect(tab.names.at(-1)).toBe("thread.run.completed");
    expect(tab.names).not.toContain("runcast.tool_outputs");
    tab.close();
  });
});

describe("tool outputs: adoption and upstream failures", () => {
  // Under `responses` the emulator's Assistants API holds no thread of Runcast's to create a run on.
  it.skipIf(provider === "responses")(
    "outputs for a run created straight on the emulator: the hub adopts it, submits once, and reads the continuation",
    async () => {
      const { assistant, thread } = await setup(WEATHER_AND_TIME);
      const created = await emulatorSdk().beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
      const paused = await waitForRun(thread.id, created.id, ["requires_action"]);
      const calls = paused.required_action!.submit_tool_outputs.tool_calls;
      expect(await hubState(created.id)).toBeUndefined();

      const answered = await runcastClient().runs.submitToolOutputs.mutate({
        thread_id: thread.id,
        run_id: created.id,
        tool_outputs: calls.map((call) => ({ tool_call_id: call.id, output: `${call.function.name} done` })),
      });
      expect(answered).toMatchObject({ id: created.id, status: "queued" });

      // A subscriber arriving afterwards gets the whole run from the log: adopted history, Runcast's event, the continuation.
      const tab = new Tab(thread.id, created.id);
      await tab.finished();
      expectContiguous(tab.ids);
      expect(tab.names[0]).toBe("thread.run.created");
      const waiting = tab.names.indexOf("thread.run.requires_action");
      expect(tab.names.slice(waiting + 1, waiting + 4)).toEqual([
        "runcast.tool_outputs",
        "thread.run.step.completed",
        "thread.run.queued",
      ]);
      expect(tab.names.at(-1)).toBe("thread.run.completed");
      expectEachObjectOnce(tab.events);
      expect(tab.text).toBe(await storedRunReply(thread.id, created.id));
      expect(tab.text).toMatch(/^get_weather returned: get_weather done\. get_time returned: get_time done\./);
      tab.close();
    },
  );

  it("after the upstream fails the submission, the same outputs can be submitted again", async () => {
    // A long poll hint keeps the hub from polling (and from meeting the fault below) while the run waits.
    await setEmulatorSettings({ poll_after_ms: 60_000 });
    const { thread, run } = await startRun(WEATHER_AND_TIME);
    const tab = new Tab(thread.id, run.id);
    const calls = callsOf(await tab.waitFor("thread.run.requires_action"));
    // (Under `responses` the hub's polls read Runcast's own records, never the upstream, and carry no hint.)
    if (provider !== "responses")
      await eventually(
        () => hubState(run.id),
        (state) => state?.poll.hintMs === 60_000,
      );
    const outputs = {
      thread_id: thread.id,
      run_id: run.id,
      tool_outputs: calls.map((call) => ({ tool_call_id: call.id, output: "fine" })),
    };

    // The next upstream request answers 500: the submission fails, and the caller is told.
    await setEmulatorSettings({ http_errors: { status: 500, count: 1, retry_after: 0 } });
    const failed = await rpcError(runcastClient().runs.submitToolOutputs.mutate(outputs));
    expect(failed.data?.code).toBe("BAD_GATEWAY");
    expect((await emulatorSettings()).http_errors).toBeNull();
    expect((await heldGet<{ status: string }>(`/threads/${thread.id}/runs/${run.id}`)).status).toBe("requires_action");

    // The upstream took nothing, so retrying the same outputs must reach it.
    const retried = await runcastClient().runs.submitToolOutputs.mutate(outputs);
    expect(retried.status).toBe("queued");
    await tab.finished();
    expect(tab.names.at(-1)).toBe("thread.run.completed");
    tab.close();
  });
});

describe("cancel and conflicts", () => {
  it("cancel through the hub: subscribers see cancelling then cancelled and the subscription completes", async () => {
    const { thread, run } = await startRun("Hello there", { emulator_delta_ms: "100", emulator_reply_words: "60" });
    const tabs = openTabs(2, thread.id, run.id);
    await tabs[0]!.waitFor("thread.message.delta");

    const cancelling = await tabs[0]!.client.runs.cancel.mutate({ thread_id: thread.id, run_id: run.id });
    expect(cancelling).toMatchObject({ id: run.id, status: "cancelling" });
    await Promise.all(tabs.map((tab) => tab.finished()));
    for (const tab of tabs) {
      expectContiguous(tab.ids);
      const statuses = runEvents(tab.events).map((event) => event.event);
      expect(statuses.slice(-2)).toEqual(["thread.run.cancelling", "thread.run.cancelled"]);
      expect(tab.events.at(-1)!.data).toMatchObject({ id: run.id, status: "cancelled" });
      // The open message and step ended too, once each.
      expectEachObjectOnce(tab.events);
      expect(tab.completed).toBe(true);
    }
    expect(tabs[1]!.events).toEqual(tabs[0]!.events);

    // Cancelling again is the upstream's 400, passed on as BAD_REQUEST.
    const again = await rpcError(runcastClient().runs.cancel.mutate({ thread_id: thread.id, run_id: run.id }));
    expect(again.data?.code).toBe("BAD_REQUEST");
    expect(again.data?.upstream).toMatchObject({ status: 400, type: "invalid_request_error" });
    expect(again.message).toContain("cancelled");
    // Upstream the run stays cancelled.
    expect((await heldGet<{ status: string }>(`/threads/${thread.id}/runs/${run.id}`)).status).toBe("cancelled");
    tabs.forEach((tab) => tab.close());
  });

  it("cancel while the run waits for tool outputs (the hub polls): cancelling, the tool step cancelled, then cancelled", async () => {
    const { thread, run } = await startRun(WEATHER_AND_TIME);
    const tab = new Tab(thread.id, run.id);
    await tab.waitFor("thread.run.requires_action");
    const cancelling = await runcastClient().runs.cancel.mutate({ thread_id: thread.id, run_id: run.id });
    expect(cancelling.status).toBe("cancelling");
    await tab.finished();

    expectContiguous(tab.ids);
    expect(
      runEvents(tab.events)
        .map((event) => event.event)
        .slice(-3),
    ).toEqual(["thread.run.requires_action", "thread.run.cancelling", "thread.run.cancelled"]);
    const toolStepId = tab.events.find((event) => event.event === "thread.run.step.created")!.data.id;
    expect(tab.events.find((event) => event.event === "thread.run.step.cancelled")?.data).toMatchObject({
      id: toolStepId,
      status: "cancelled",
    });
    expectEachObjectOnce(tab.events);
    // Outputs for the cancelled run are refused by the hub itself.
    const late = await rpcError(
      runcastClient().runs.submitToolOutputs.mutate({
        thread_id: thread.id,
        run_id: run.id,
        tool_outputs: [
          {
            tool_call_id: callsOf(tab.events.find((e) => e.event === "thread.run.requires_action")!)[0]!.id,
            output: "late",
          },
        ],
      }),
    );
    expect(late.data?.code).toBe("BAD_REQUEST");
    tab.close();
  });

  it("a cancel the upstream refuses is BAD_REQUEST over the run's socket too, as over HTTP", async () => {
    const { thread, run } = await startRun("Hello there");
    const tab = new Tab(thread.id, run.id);
    await tab.finished();
    const viaHttp = await rpcError(runcastClient().runs.cancel.mutate({ thread_id: thread.id, run_id: run.id }));
    expect(viaHttp.data?.code).toBe("BAD_REQUEST");
    // The same refusal asked over the socket: the upstream's 400 is the caller's mistake, not a gateway failure.
    const viaSocket = await rpcError(tab.client.runs.cancel.mutate({ thread_id: thread.id, run_id: run.id }));
    expect(viaSocket.message).toBe(viaHttp.message);
    expect(viaSocket.data?.code).toBe("BAD_REQUEST");
    expect(viaSocket.data?.upstream).toMatchObject({ status: 400, type: "invalid_request_error" });
    tab.close();
  });

  it("a run created while another is active on the thread is CONFLICT naming the active run", async () => {
    const { assistant, thread, run } = await startRun(WEATHER_AND_TIME);
    const tab = new Tab(thread.id, run.id);
    await tab.waitFor("thread.run.requires_action");
    const conflict = await rpcError(
      runcastClient().runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id }),
    );
    expect(conflict.data?.code).toBe("CONFLICT");
    expect(conflict.data?.upstream).toMatchObject({ status: 400, active_run_id: run.id });
    expect(conflict.message).toContain(run.id);
    // Still the one run upstream.
    const runs = await heldGet<{ data: Array<{ id: string }> }>(`/threads/${thread.id}/runs`);
    expect(runs.data.map((r) => r.id)).toEqual([run.id]);
    tab.close();
  });
});

describe("runs the hub learns by polling", () => {
  // Under `responses` the emulator's Assistants API holds no thread of Runcast's to create a run on.
  it.skipIf(provider === "responses")(
    "a run created without streaming is adopted on subscription, polled, and ends with the emulator's text",
    async () => {
      const { assistant, thread } = await setup("Adopt this run please");
      // Straight on the emulator: no hub of the gateway holds this run.
      const run = await emulatorSdk().beta.threads.runs.create(thread.id, {
        assistant_id: assistant.id,
        metadata: { emulator_delta_ms: "20", emulator_reply_words: "20" },
      });
      expect(await hubState(run.id)).toBeUndefined();

      const tab = new Tab(thread.id, run.id);
      await tab.finished();
      expect(tab.names[0]).toBe("thread.run.created");
      expect(tab.events[0]!.data).toMatchObject({ id: run.id, thread_id: thread.id });
      expect(tab.names.at(-1)).toBe("thread.run.completed");
      expect(tab.names.filter((name) => name === "thread.run.created")).toHaveLength(1);
      expectContiguous(tab.ids);
      expectEachObjectOnce(tab.events);
      expect(tab.text).toMatch(/^You said: "Adopt this run please"\./);
      expect(tab.text).toBe(await storedRunReply(thread.id, run.id));

      // The hub adopted it, and learnt it by polling: it never had a stream.
      const state = await hubState(run.id);
      expect(state).toMatchObject({
        run_id: run.id,
        thread_id: thread.id,
        stream: { open: false, generation: 1 },
        run: { status: "completed" },
      });
      tab.close();
    },
  );

  it("a stream cut mid-run is recovered by polling: same text, each step and message once, no gap or repeat", async () => {
    const { thread, run } = await startRun("Cut this stream short", {
      emulator_cut_after: "8",
      emulator_delta_ms: "10",
      emulator_reply_words: "40",
    });
    const tab = new Tab(thread.id, run.id);
    await tab.finished();

    expectContiguous(tab.ids);
    expectEachObjectOnce(tab.events);
    expect(tab.names.filter((name) => name === "thread.run.created")).toHaveLength(1);
    expect(tab.names.filter((name) => name === "thread.run.completed")).toHaveLength(1);
    expect(tab.names.at(-1)).toBe("thread.run.completed");
    const reply = await storedRunReply(thread.id, run.id);
    expect(reply.split(" ")).toHaveLength(40);
    expect(tab.text).toBe(reply);
    const deltas = tab.events.filter((event) => event.event === "thread.message.delta");
    if (provider === "responses")
      // The cut is between the upstream and the thread's object, which re-attaches after it: the hub's stream is whole.
      expect(deltas).toHaveLength(40);
    // The stream stopped after its first delta: the rest of the text came from polls, in fewer deltas than the 40 streamed ones.
    else expect(deltas.length).toBeLessThan(40);
    expect(tab.names.slice(0, 8)).toEqual(plainRunEvents(1).slice(0, 8));
    tab.close();
  });

  it("a stream silent for longer than the silence limit is given up; polling completes the run without repeating text", async () => {
    // Each step of this run is 1.9 s apart, more than RUNCAST_STREAM_SILENCE_MS (1500 in tests).
    const { thread, run } = await startRun("Hi", {
      emulator_delta_ms: "1900",
      emulator_reply_words: "3",
      emulator_words_per_delta: "10",
    });
    const tab = new Tab(thread.id, run.id);
    await tab.finished(15_000);

    expect(tab.names.at(-1)).toBe("thread.run.completed");
    expectContiguous(tab.ids);
    expectEachObjectOnce(tab.events);
    const reply = await storedRunReply(thread.id, run.id);
    expect(reply).toBe('You said: "Hi".');
    expect(tab.text).toBe(reply);
    // The hub gave the creation step's stream up (its generation moved on) and never opened another.
    const state = await hubState(run.id);
    expect(state?.stream).toMatchObject({ open: false, source: "relay" });
    expect(state?.stream.generation).toBe(2);
  }, 20_000);

  // Not under `responses`: its runs' expiry is Runcast's own setting (RUNCAST_RESPONSES_EXPIRES_SECONDS, covered by
  // test/responses/provider-faults.test.ts), which the emulator's `emulator_expire_after` run knob cannot shorten.
  it.skipIf(provider === "responses")(
    "a run that expires in requires_action: subscribers see it expire, and polling stops",
    async () => {
      const { thread, run } = await startRun(WEATHER_AND_TIME, { emulator_expire_after: "2" });
      const tab = new Tab(thread.id, run.id);
      const paused = await tab.waitFor("thread.run.requires_action");
      await tab.finished();

      expect(tab.names.at(-1)).toBe("thread.run.expired");
      expect(tab.events.at(-1)!.data).toMatchObject({ id: run.id, status: "expired" });
      const toolStepId = tab.events.find((event) => event.event === "thread.run.step.created")!.data.id;
      const stepExpired = tab.events.find((event) => event.event === "thread.run.step.expired");
      expect(stepExpired?.data).toMatchObject({ id: toolStepId, status: "expired" });
      expect(tab.ids.indexOf(stepExpired!.id)).toBeGreaterThan(tab.ids.indexOf(paused.id));
      expectContiguous(tab.ids);
      expect(tab.completed).toBe(true);

      // The next alarm is the retention time, a day after the run ended: no more polls.
      const state = await eventually(
        () => hubState(run.id),
        (s) => s?.terminalAt != null,
      );
      const alarm = await eventually(
        () => hubAlarm(run.id),
        (at) => at !== null && at > Date.now() + 60 * 60 * 1000,
      );
      expect(alarm).toBe(state!.terminalAt! + DAY_MS);
      tab.close();
    },
  );
});

describe("polling cadence", () => {
  /**
   * A run created straight on the emulator, adopted by the hub through a subscriber that waits for `seen` and then
   * leaves (its socket gone before the test counts polls).
   */
  async function adoptedRun(text: string, seen: string, metadata: Record<string, string> = {}) {
    const { assistant, thread } = await setup(text);
    const run = await emulatorSdk().beta.threads.runs.create(thread.id, { assistant_id: assistant.id, metadata });
    const tab = new Tab(thread.id, run.id);
    await tab.waitFor(seen);
    tab.close();
    await eventually(
      () => hubSocketCount(run.id),
      (count) => count === 0,
    );
    return { thread, run };
  }

  /** A tool run, waiting for its outputs. */
  const adoptedToolRun = () => adoptedRun(WEATHER_AND_TIME, "thread.run.requires_action");
  /** A run that stays queued for a minute (it moves by itself). */
  const adoptedSlowRun = () =>
    adoptedRun("Tell me about lighthouses.", "thread.run.created", { emulator_delta_ms: "60000" });

  const contains = (delay: { min: number; max: number }, value: number) => delay.min <= value && value <= delay.max;
  const allContain = (delays: Array<{ min: number; max: number }>, values: number[]) =>
    expect(
      delays.map((delay, i) => [i, contains(delay, values[i]!)]),
      JSON.stringify(delays),
    ).toEqual(delays.map((_, i) => [i, true]));

  // Each adopts a run created straight on the emulator's Assistants API, which has no thread of Runcast's under `responses`.
  it.skipIf(provider === "responses")(
    "with nobody subscribed, quiet polls back off to the idle cap; a subscriber brings the watched cap",
    async () => {
      const { thread, run } = await adoptedSlowRun();
      // Count quiet polls from zero, whatever the alarms did while the subscriber left.
      await setHubState(run.id, (state) => ({ ...state, poll: { ...state.poll, attempt: 0 } }));
      const idle = [];
      for (let i = 0; i < 5; i++) idle.push(await nextPollDelay(run.id));
      // Doubling from RUNCAST_POLL_MIN_MS (50) to RUNCAST_POLL_MAX_IDLE_MS (400), then staying there.
      allContain(idle, [100, 200, 400, 400, 400]);

      const tab = new Tab(thread.id, run.id);
      await tab.waitFor("thread.run.created");
      const watched = [];
      for (let i = 0; i < 3; i++) watched.push(await nextPollDelay(run.id));
      // RUNCAST_POLL_MAX_WATCHED_MS (200) while someone watches.
      allContain(watched, [200, 200, 200]);
      // Still queued, still the same run: the polls changed nothing.
      expect((await hubState(run.id))?.run.status).toBe("queued");
      tab.close();
    },
  );

  // Each adopts a run created straight on the emulator's Assistants API, which has no thread of Runcast's under `responses`.
  it.skipIf(provider === "responses")(
    "a watched run waiting for tool outputs backs off to the waiting cap, above the watched one: outputs through Runcast are known at once",
    async () => {
      const { thread, run } = await adoptedToolRun();
      const tab = new Tab(thread.id, run.id);
      await tab.waitFor("thread.run.requires_action");
      // Count quiet polls from zero, whatever the alarms did before.
      await setHubState(run.id, (state) => ({ ...state, poll: { ...state.poll, attempt: 0 } }));
      const delays = [];
      for (let i = 0; i < 4; i++) delays.push(await nextPollDelay(run.id));
      // Doubling from RUNCAST_POLL_MIN_MS (50) to RUNCAST_POLL_MAX_WAITING_MS (300), not the watched cap (200).
      allContain(delays, [100, 200, 300, 300]);
      tab.close();
    },
  );

  // Each adopts a run created straight on the emulator's Assistants API, which has no thread of Runcast's under `responses`.
  it.skipIf(provider === "responses")("the upstream's poll hint is a floor under the hub's delay", async () => {
    await setEmulatorSettings({ poll_after_ms: 350 });
    const { run } = await adoptedToolRun();
    expect((await hubState(run.id))?.poll.hintMs).toBe(350);
    await setHubState(run.id, (state) => ({ ...state, poll: { ...state.poll, attempt: 0 } }));
    const delays = [];
    for (let i = 0; i < 4; i++) delays.push(await nextPollDelay(run.id));
    // The backoff alone would be 100, 200, 400, 400: the hint lifts the first two to 350.
    expect(
      delays.map((delay) => delay.max >= 350),
      JSON.stringify(delays),
    ).toEqual([true, true, true, true]);
    allContain(delays, [350, 350, 400, 400]);
  });

  // Each adopts a run created straight on the emulator's Assistants API, which has no thread of Runcast's under `responses`.
  it.skipIf(provider === "responses")(
    "with a subscriber and a hint above the watched cap, polls wait for the hint",
    async () => {
      await setEmulatorSettings({ poll_after_ms: 350 });
      const { thread, run } = await adoptedSlowRun();
      const tab = new Tab(thread.id, run.id);
      await tab.waitFor("thread.run.created");
      const delays = [];
      for (let i = 0; i < 3; i++) delays.push(await nextPollDelay(run.id));
      expect(
        delays.every((delay) => delay.max >= 350 && contains(delay, 350)),
        JSON.stringify(delays),
      ).toBe(true);
      tab.close();
    },
  );
});

describe("retention", () => {
  it("after retention the hub deletes its storage, closes its sockets with 4010, and retrieve still answers from the upstream", async () => {
    const { thread, run } = await startRun("Keep this for a day");
    // Lazy: once its subscription has completed, the tab keeps its socket open but does not reconnect when it is closed.
    const tab = new Tab(thread.id, run.id, { lazy: true });
    await tab.finished();
    expect(await hubSocketCount(run.id)).toBe(1);
    const held = await hubState(run.id);
    expect(held?.terminalAt).not.toBeNull();
    expect(await hubAlarm(run.id)).toBe(held!.terminalAt! + DAY_MS);

    await setHubState(run.id, (state) => ({ ...state, terminalAt: Date.now() - DAY_MS - 60_000 }));
    expect(await fireHubAlarm(run.id)).toBe(true);

    expect(await hubState(run.id)).toBeUndefined();
    expect(await hubAlarm(run.id)).toBeNull();
    await eventually(
      async () => tab.sockets[0]!.closes,
      (closes) => closes.length > 0,
    );
    expect(tab.sockets[0]!.closes[0]!.code).toBe(4010);

    const retrieved = await runcastClient().runs.retrieve.query({ thread_id: thread.id, run_id: run.id });
    expect(retrieved).toMatchObject({ id: run.id, status: "completed" });
    // Answered by the upstream: the retired hub did not take the run up again.
    expect(await hubState(run.id)).toBeUndefined();
    tab.close();
  });
});

describe("restarts", () => {
  it("a hub restarted mid-stream (sockets closed): tabs reconnect, resume after their last event id, and miss nothing", async () => {
    const { thread, run } = await startRun("Keep streaming through a restart", {
      emulator_delta_ms: "30",
      emulator_reply_words: "60",
    });
    const tabs = openTabs(2, thread.id, run.id);
    await tabs[0]!.waitFor((event) => event.event === "thread.message.delta" && deltaCount(tabs[0]!.events) >= 10);
    await evictDurableObject(hubStub(run.id), { webSockets: "close" });
    // Restarted mid-run: the run had more to say.
    expect(tabs.map((tab) => tab.completed)).toEqual([false, false]);
    await Promise.all(tabs.map((tab) => tab.finished()));

    const reply = await storedRunReply(thread.id, run.id);
    expect(reply.split(" ")).toHaveLength(60);
    for (const tab of tabs) {
      expect(tab.sockets.length).toBeGreaterThanOrEqual(2);
      expectContiguous(tab.ids);
      expectEachObjectOnce(tab.events);
      expect(tab.names.at(-1)).toBe("thread.run.completed");
      expect(tab.text).toBe(reply);
    }
    tabs.forEach((tab) => tab.close());
  });

  it("a hub reset while the creation step forwards the first segment: the hub is not left waiting for the silence limit", async () => {
    const { thread, run } = await startRun("Reset while relaying", {
      emulator_delta_ms: "30",
      emulator_reply_words: "60",
    });
    const tab = new Tab(thread.id, run.id);
    await tab.waitFor((event) => event.event === "thread.message.delta" && deltaCount(tab.events) >= 5);
    await abortHub(run.id);
    expect(tab.completed).toBe(false);
    await tab.finished();

    expectContiguous(tab.ids);
    expectEachObjectOnce(tab.events);
    expect(tab.names.at(-1)).toBe("thread.run.completed");
    expect(tab.text).toBe(await storedRunReply(thread.id, run.id));
    // The creation step still holds the upstream's stream: it must keep forwarding into the restarted hub, or at
    // least tell it the stream is gone so it polls at once. Either way the stream is never given up for silence
    // (which bumps the generation), which would stall subscribers for RUNCAST_STREAM_SILENCE_MS (45 s by default).
    expect((await hubState(run.id))?.stream.generation).toBe(1);
    tab.close();
  });

  it("the creation step restarted while it forwards (a crash): its next alarm tells the hub, which polls at once", async () => {
    const { thread, run } = await startRun("Crash the relay", { emulator_delta_ms: "30", emulator_reply_words: "60" });
    const tab = new Tab(thread.id, run.id);
    await tab.waitFor((event) => event.event === "thread.message.delta" && deltaCount(tab.events) >= 5);
    // The creation step forwarding this run (a RunStarter of its own, under a unique id).
    const starterId = await forwardingStarter(run.id);
    expect(starterId).not.toBeNull();
    // A stub is broken by the abort: each step gets a fresh one.
    const starter = () => env.RUN_STARTER.get(starterId!);
    await abortObject(starter(), "test crash");
    expect((await hubState(run.id))?.stream.open).toBe(true);

    // The restarted object's heartbeat alarm finds the stream it lost and says so: no waiting out the silence limit.
    await runDurableObjectAlarm(starter());
    expect((await hubState(run.id))?.stream).toMatchObject({ open: false });
    await tab.finished();
    expectContiguous(tab.ids);
    expect(tab.names.at(-1)).toBe("thread.run.completed");
    expect(tab.text).toBe(await storedRunReply(thread.id, run.id));
    expect(await runInDurableObject(starter(), (_, state) => forwardingIn(state.storage))).toBeNull();
    tab.close();
  });

  it("a hub restarted with its sockets hibernated: tabs keep their sockets and the stream goes on", async () => {
    const { thread, run } = await startRun("Sleep through a restart", {
      emulator_delta_ms: "30",
      emulator_reply_words: "40",
    });
    const tab = new Tab(thread.id, run.id);
    await tab.waitFor((event) => event.event === "thread.message.delta" && deltaCount(tab.events) >= 5);
    await evictDurableObject(hubStub(run.id));
    expect(tab.completed).toBe(false);
    await tab.finished();
    expect(tab.sockets).toHaveLength(1);
    expectContiguous(tab.ids);
    expect(tab.text).toBe(await storedRunReply(thread.id, run.id));
    tab.close();
  });

  it("a hub restarted while it reads a continuation stream falls back to polling and still completes", async () => {
    const { thread, run } = await startRun(WEATHER_AND_TIME, { emulator_delta_ms: "30", emulator_reply_words: "60" });
    const tab = new Tab(thread.id, run.id);
    const calls = callsOf(await tab.waitFor("thread.run.requires_action"));
    await runcastClient().runs.submitToolOutputs.mutate({
      thread_id: thread.id,
      run_id: run.id,
      tool_outputs: calls.map((call) => ({ tool_call_id: call.id, output: `${call.function.name} ok` })),
    });
    await tab.waitFor((event) => event.event === "thread.message.delta" && deltaCount(tab.events) >= 5);
    const before = await hubState(run.id);
    expect(before?.stream).toMatchObject({ open: true, source: "hub" });
    // Eviction would wait for the hub's own reading of the stream to end; an abort restarts it now, breaking its sockets.
    await abortHub(run.id);
    expect(tab.completed).toBe(false);
    await tab.finished();

    expect(tab.sockets.length).toBeGreaterThanOrEqual(2);
    expectContiguous(tab.ids);
    expectEachObjectOnce(tab.events);
    expect(tab.names.at(-1)).toBe("thread.run.completed");
    const reply = await storedRunReply(thread.id, run.id);
    expect(reply).toMatch(/^get_weather returned: get_weather ok\. get_time returned: get_time ok\./);
    expect(tab.text).toBe(reply);
    // The lost stream was given up for polling (a newer generation, closed), not resumed.
    const after = await hubState(run.id);
    expect(after?.stream.open).toBe(false);
    expect(after!.stream.generation).toBeGreaterThan(before!.stream.generation);
    tab.close();
  });
});

describe("runs.retrieve while the hub holds the run", () => {
  it("answers from the hub, with the run subscribers last saw, and a poll hint", async () => {
    // A fault armed on the run: the next upstream request naming it answers 429.
    const { thread, run } = await startRun("Hello there", {
      emulator_delta_ms: "50",
      emulator_reply_words: "20",
      emulator_http_errors: "429x1",
    });
    const tab = new Tab(thread.id, run.id);
    await tab.waitFor("thread.message.delta");

    const headers: Headers[] = [];
    const watching = ((input: RequestInfo | URL, init?: RequestInit) =>
      gatewayFetch(input, init).then((response) => {
        headers.push(response.headers);
        return response;
      })) as typeof fetch;
    const retrieved = await runcastClient(watching).runs.retrieve.query({ thread_id: thread.id, run_id: run.id });
    const lastRunEvent = runEvents(tab.events).at(-1)!;
    expect(retrieved.status).toBe("in_progress");
    expect(retrieved).toEqual(lastRunEvent.data);
    // The hub's own quickest poll (RUNCAST_POLL_MIN_MS), since it has had no hint from the upstream yet.
    expect(headers[0]!.get("openai-poll-after-ms")).toBe(
      (env as unknown as Record<string, string>).RUNCAST_POLL_MIN_MS,
    );

    // Over the socket too.
    const overSocket = await tab.client.runs.retrieve.query({ thread_id: thread.id, run_id: run.id });
    expect(overSocket).toEqual(retrieved);

    // Neither reached the upstream: the fault is still armed.
    expect((await upstreamRunRequest(thread.id, run.id)).status).toBe(429);

    await tab.finished();
    const done = await runcastClient().runs.retrieve.query({ thread_id: thread.id, run_id: run.id });
    expect(done).toEqual(tab.events.at(-1)!.data);
    expect(done.status).toBe("completed");
    tab.close();
  });
});
