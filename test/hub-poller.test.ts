// The hub's poller on its own, over a run record in a fresh object's storage and a scripted upstream that counts what
// it is asked: what one poll costs the upstream, and what it tells subscribers.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEFAULT_HUB_CONFIG } from "../src/durable/hub-config";
import { HubPoller } from "../src/durable/hub-poller";
import { newHubState } from "../src/durable/hub-state";
import { RunRecord } from "../src/durable/run-record";
import type { ListPage, Message, Run, RunStep, RunsProvider } from "../src/providers/provider";

const QUIET = { appended: () => undefined, ended: () => undefined, settled: () => undefined };

const page = <T>(data: T[]) =>
  ({ object: "list", data, first_id: null, last_id: null, has_more: false }) as ListPage<T>;

const runOf = (status: Run["status"], extra: Partial<Run> = {}) =>
  ({
    id: "run_poll1",
    object: "thread.run",
    thread_id: "thread_poll1",
    status,
    started_at: status === "queued" ? null : 1,
    expires_at: null,
    required_action: null,
    metadata: {},
    ...extra,
  }) as unknown as Run;

const waitingFor = (...callIds: string[]) =>
  runOf("requires_action", {
    required_action: {
      type: "submit_tool_outputs",
      submit_tool_outputs: {
        tool_calls: callIds.map((id) => ({ id, type: "function", function: { name: "get_weather", arguments: "{}" } })),
      },
    },
  } as Partial<Run>);

const toolStep = (id: string) =>
  ({
    id,
    object: "thread.run.step",
    type: "tool_calls",
    status: "in_progress",
    step_details: { type: "tool_calls", tool_calls: [] },
  }) as unknown as RunStep;

/** An upstream that answers what `script` holds now, and counts each kind of read. */
function scriptedUpstream(script: { run: Run; steps: RunStep[]; messages: Message[] }) {
  const reads = { runs: 0, steps: 0, messages: 0 };
  const provider = {
    retrieveRun: async () => (reads.runs++, { run: script.run, pollAfterMs: null }),
    listSteps: async () => (reads.steps++, page(script.steps)),
    listMessages: async () => (reads.messages++, page(script.messages)),
  } as unknown as RunsProvider;
  return { reads, provider };
}

/** A poller over a run record holding `run`, in a fresh object's storage. */
function withPoller<T>(
  run: Run,
  upstream: ReturnType<typeof scriptedUpstream>,
  work: (poller: HubPoller, record: RunRecord) => Promise<T>,
): Promise<T> {
  const hub = env.RUN_HUB.get(env.RUN_HUB.idFromName(`poller-${crypto.randomUUID()}`));
  return runInDurableObject(hub, async (_, state) => {
    const record = new RunRecord(state.storage, QUIET);
    record.hold(newHubState(run, run.thread_id, { streamOpen: false, slotTenant: null }), [
      { event: "thread.run.created", data: run },
    ]);
    const poller = new HubPoller({
      record,
      config: DEFAULT_HUB_CONFIG,
      provider: () => upstream.provider,
      subscriberCount: () => 1,
    });
    return work(poller, record);
  });
}

describe("the hub's poller", () => {
  it("a quiet poll of a running run reads the run alone; a change of status reads its steps and messages too", async () => {
    const script = { run: runOf("in_progress"), steps: [] as RunStep[], messages: [] as Message[] };
    const upstream = scriptedUpstream(script);
    const reads = await withPoller(runOf("queued"), upstream, async (poller) => {
      await poller.pollOnce(); // queued → in_progress: everything is read
      const afterChange = { ...upstream.reads };
      await poller.pollOnce(); // nothing new: the run alone
      await poller.pollOnce();
      return { afterChange, afterQuiet: { ...upstream.reads } };
    });
    expect(reads.afterChange).toEqual({ runs: 1, steps: 1, messages: 1 });
    expect(reads.afterQuiet).toEqual({ runs: 3, steps: 1, messages: 1 });
  });

  it("a run that has never started is polled without reading steps or messages, which it cannot have yet", async () => {
    const upstream = scriptedUpstream({ run: runOf("queued"), steps: [], messages: [] });
    const reads = await withPoller(runOf("queued"), upstream, async (poller) => {
      await poller.pollOnce();
      return upstream.reads;
    });
    expect(reads).toEqual({ runs: 1, steps: 0, messages: 0 });
  });

  it("a new round of tool calls with the status unchanged is told: its step, then requires_action again", async () => {
    const script = { run: waitingFor("call_1"), steps: [toolStep("step_1")], messages: [] as Message[] };
    const upstream = scriptedUpstream(script);
    const told = await withPoller(runOf("in_progress"), upstream, async (poller, record) => {
      await poller.pollOnce();
      // Outputs went to the upstream directly; between two polls the run went on and asked again.
      script.run = waitingFor("call_2");
      script.steps = [{ ...toolStep("step_1"), status: "completed" } as RunStep, toolStep("step_2")];
      const before = record.log.lastSeq();
      await poller.pollOnce();
      return record.log.after(before).map((event) => [event.event, (JSON.parse(event.data) as { id: string }).id]);
    });
    expect(told).toEqual([
      ["thread.run.step.completed", "step_1"],
      ["thread.run.step.created", "step_2"],
      ["thread.run.requires_action", "run_poll1"],
    ]);
  });

  it("from expires_at on, a poll of a run still running reads what it wrote: it may be the last", async () => {
    const expiresAt = Math.floor(Date.now() / 1000) - 1;
    const script = { run: runOf("in_progress", { expires_at: expiresAt }), steps: [], messages: [] };
    const upstream = scriptedUpstream(script);
    const reads = await withPoller(runOf("in_progress", { expires_at: expiresAt }), upstream, async (poller) => {
      await poller.pollOnce();
      await poller.pollOnce();
      return upstream.reads;
    });
    expect(reads).toEqual({ runs: 2, steps: 2, messages: 2 });
  });
});
