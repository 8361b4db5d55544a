// Deploys and evictions: a deploy drops every socket of every hub at once, and a hub can restart mid-stream. Every
// subscriber reconnects and resumes with nothing lost, and no run's upstream stream is opened a second time (the
// creation step keeps reading it, the restarted hub polls, or a restarted responses follower re-attaches).
import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { forwardingIn } from "../../src/durable/run-starter";
import { GATEWAY, emulatorFetch } from "../helpers/emulator";
import { Tab, abortHub, abortObject, forwardingStarters, hubStub } from "../helpers/hub-lifecycle";
import { provider, runcastClient } from "../helpers/runcast";
import { eventsLost, report, runMaker, scaled } from "./fault-suite";

const RUNS = scaled(4, 20);
const TABS_PER_RUN = scaled(10, 50);
/** Long enough that every subscriber has joined and is mid-reply before the hubs go (a thousand take a while). */
const WORDS = scaled(60, 400);
// At full scale a minute of reply: a thousand subscribers joining a busy test pool take tens of seconds.
const METADATA = { emulator_delta_ms: scaled("60", "150"), emulator_reply_words: String(WORDS) };

interface WatchedRun {
  thread: { id: string };
  run: { id: string };
  tabs: Tab[];
}

const resetStats = () => emulatorFetch(`${GATEWAY}/emulator/admin/stats`, { method: "DELETE" });
const emulatorStats = async () =>
  (await (await emulatorFetch(`${GATEWAY}/emulator/admin/stats`)).json()) as {
    streams_opened: number;
    polls: number;
    by_route: Record<string, number>;
  };
const streamsOpened = async () => (await emulatorStats()).streams_opened;
/** The reason every object restarted by the deploy is aborted with. */
const DEPLOY = "deploy (fault suite)";

/** Waits until every subscriber has part of the reply (more than a few words). */
const midReply = (runs: WatchedRun[]) =>
  Promise.all(
    runs.flatMap(({ tabs }) =>
      // A thousand subscribers take a while to join on a busy machine.
      tabs.map((tab) =>
        tab.waitFor((event) => event.event === "thread.message.delta" && tab.text.length > 20, scaled(10_000, 90_000)),
      ),
    ),
  );

/** Each run's subscribers against the hub's log (replayed after the end): events lost or doubled, and how many resumed. */
async function compareWithLogs(runs: WatchedRun[]) {
  await Promise.all(runs.flatMap(({ tabs }) => tabs.map((tab) => tab.finished(scaled(30_000, 120_000)))));
  let lost = 0;
  let resumed = 0;
  for (const { thread, run, tabs } of runs) {
    const reference = new Tab(thread.id, run.id);
    await reference.finished();
    expect(reference.names.at(-1)).toBe("thread.run.completed");
    for (const tab of tabs) {
      lost += eventsLost(reference.ids, tab.ids);
      if (tab.sockets.length > 1) resumed++;
      expect(tab.events).toEqual(reference.events);
    }
    reference.close();
  }
  return { lost, resumed };
}

describe("deploys and evictions", () => {
  it(
    `a deploy restarting ${RUNS} hubs mid-stream at once: ${RUNS * TABS_PER_RUN} subscribers resume with nothing lost, no stream opened twice`,
    async (context) => {
      const startRun = await runMaker();
      await resetStats();
      const runs = await Promise.all(
        Array.from({ length: RUNS }, async (_, index) => {
          const { thread, run } = await startRun(`Deploy ${index}`, METADATA);
          return { thread, run, tabs: Array.from({ length: TABS_PER_RUN }, () => new Tab(thread.id, run.id)) };
        }),
      );
      await midReply(runs);
      const starters = await forwardingStarters();
      const cutShort = runs.flatMap(({ tabs }) => tabs).filter((tab) => !tab.completed).length;
      // A deploy restarts every object at once: the creation steps forwarding the runs' streams, the objects that
      // follow the upstream's responses (under `responses`; the creation step reads from them), and the hubs (their
      // sockets closed). Each aborted object's memory goes, and the upstream connection it held with it. A hub's
      // eviction is graceful: it waits for the creation step's calls into it, which end when that step is gone.
      const [forwarding] = await Promise.all([
        Promise.all(
          runs.map(({ run }) => {
            const id = starters.get(run.id);
            // Whether it still forwarded when it went (it may have finished since it was listed).
            return id ? abortObject(env.RUN_STARTER.get(id), DEPLOY, (state) => forwardingIn(state.storage)) : null;
          }),
        ),
        ...(provider === "responses"
          ? runs.map(({ thread }) =>
              abortObject(env.RESPONSES_THREADS.get(env.RESPONSES_THREADS.idFromName(thread.id)), DEPLOY),
            )
          : []),
        ...runs.map(({ run }) => evictDurableObject(hubStub(run.id), { webSockets: "close" })),
      ]);
      const relayed = forwarding.filter((value) => value !== undefined && value !== null).length;

      const { lost, resumed } = await compareWithLogs(runs);
      const stats = await emulatorStats();
      // Each run was created upstream once; under `responses` a restarted follower re-attaches to its response
      // (`starting_after`), which is the same stream resumed, not a second one.
      const created =
        stats.by_route[provider === "responses" ? "POST /v1/responses" : "POST /v1/threads/{thread_id}/runs"] ?? 0;
      const reattached = stats.streams_opened - created;
      report(context, {
        scenario: "deploy: every hub restarted mid-stream, sockets closed",
        injected: `every creation step still forwarding${provider === "responses" ? ", every thread's responses follower" : ""} and every hub (its sockets closed) restarted at once`,
        times: RUNS,
        lost: lost + Math.max(0, created - RUNS),
        figure: `${cutShort} subscribers mid-reply when their hubs went (${relayed} of ${RUNS} streams still forwarded), ${resumed} reconnected and resumed; ${created} runs created upstream for ${RUNS}, ${reattached} streams re-attached, ${stats.polls} polls`,
      });
      // The deploy cut most streams while they were forwarded, and the hubs had to recover them.
      expect(relayed).toBeGreaterThanOrEqual(RUNS / 2);
      if (provider === "assistants") expect(stats.polls).toBeGreaterThan(0);
      // The fault hit most subscribers mid-reply (on a loaded machine a few may have had the whole reply already).
      expect(cutShort).toBeGreaterThanOrEqual((RUNS * TABS_PER_RUN) / 2);
      expect(resumed).toBeGreaterThan(0);
      expect(lost).toBe(0);
      expect(created).toBe(RUNS);
      // At most one re-attachment per lost stream, and none where the upstream cannot re-attach.
      expect(reattached).toBeLessThanOrEqual(provider === "responses" ? RUNS : 0);
      runs.forEach(({ tabs }) => tabs.forEach((tab) => tab.close()));
    },
    scaled(60_000, 240_000),
  );

  it(
    `${RUNS} hubs crashing while they read the continuation after tool outputs: subscribers resume, the stream is not opened again`,
    async (context) => {
      const startRun = await runMaker();
      await resetStats();
      const runs = await Promise.all(
        Array.from({ length: RUNS }, async (_, index) => {
          const { thread, run } = await startRun(`Please get_weather Paris (${index}).`, METADATA);
          // The first subscriber answers the call at once (runs wait 5 s under `responses` here); the rest join after.
          const first = new Tab(thread.id, run.id);
          const paused = await first.waitFor("thread.run.requires_action");
          const calls = paused.data.required_action.submit_tool_outputs.tool_calls as Array<{ id: string }>;
          await runcastClient().runs.submitToolOutputs.mutate({
            thread_id: thread.id,
            run_id: run.id,
            tool_outputs: calls.map((call) => ({ tool_call_id: call.id, output: "sunny" })),
          });
          const tabs = [first, ...Array.from({ length: TABS_PER_RUN - 1 }, () => new Tab(thread.id, run.id))];
          return { thread, run, tabs };
        }),
      );
      await midReply(runs);
      const cutShort = runs.flatMap(({ tabs }) => tabs).filter((tab) => !tab.completed).length;
      // The hub itself reads this stream: an abort (a crash, not a graceful eviction) loses it with the hub's memory.
      await Promise.all(runs.map(({ run }) => abortHub(run.id)));

      const { lost, resumed } = await compareWithLogs(runs);
      const streams = await streamsOpened();
      report(context, {
        scenario: "hub crash while it reads a continuation stream",
        injected: "the hub aborted (ctx.abort) mid-continuation, after tool outputs",
        times: RUNS,
        lost: lost + Math.max(0, streams - 2 * RUNS),
        figure: `${cutShort} subscribers mid-reply, ${resumed} resumed; ${streams} upstream streams for ${RUNS} runs of two segments`,
      });
      // The fault hit most subscribers mid-reply (on a loaded machine a few may have had the whole reply already).
      expect(cutShort).toBeGreaterThanOrEqual((RUNS * TABS_PER_RUN) / 2);
      expect(resumed).toBeGreaterThanOrEqual(cutShort);
      expect(lost).toBe(0);
      expect(streams).toBeLessThanOrEqual(2 * RUNS);
      runs.forEach(({ tabs }) => tabs.forEach((tab) => tab.close()));
    },
    scaled(60_000, 240_000),
  );
});
