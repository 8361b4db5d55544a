// Upstream stream cut: the emulator drops each run's stream after a seeded number of events (no terminal event, no
// [DONE]). Every run must still reach its true terminal state, and every subscriber's view must end equal to what the
// upstream holds: the same reply, each step and message once.
import { describe, expect, it } from "vitest";
import { Tab, expectContiguous, expectEachObjectOnce, storedRunReply, storedSteps } from "../helpers/hub-lifecycle";
import { emulatorGet, runcastClient, runcastKeepsRecords } from "../helpers/runcast";
import { report, runMaker, scaled, seeded } from "./fault-suite";

const RUNS = scaled(8, 50);
const WORDS = 20;
const TABS_PER_RUN = 2;

describe("upstream stream cut", () => {
  it(
    `${RUNS} runs whose streams are cut at a seeded event all finish, and their subscribers see the upstream's result`,
    async (context) => {
      const startRun = await runMaker();
      const random = seeded(21);
      const runs = await Promise.all(
        Array.from({ length: RUNS }, async (_, index) => {
          const cutAfter = random.int(1, WORDS + 4);
          const { thread, run } = await startRun(`Cut me ${index}`, {
            emulator_delta_ms: "15",
            emulator_reply_words: String(WORDS),
            emulator_cut_after: String(cutAfter),
          });
          const tabs = Array.from({ length: TABS_PER_RUN }, () => new Tab(thread.id, run.id));
          return { thread, run, tabs, cutAfter };
        }),
      );
      await Promise.all(runs.flatMap(({ tabs }) => tabs.map((tab) => tab.finished(scaled(20_000, 60_000)))));

      let wrong = 0;
      for (const { thread, run, tabs } of runs) {
        const final = await runcastClient().runs.retrieve.query({ thread_id: thread.id, run_id: run.id });
        // The upstream's own record, where the upstream keeps one; under `responses` Runcast keeps it.
        const upstream = runcastKeepsRecords
          ? final
          : await emulatorGet<{ status: string }>(`/threads/${thread.id}/runs/${run.id}`);
        const reply = await storedRunReply(thread.id, run.id);
        const steps = await storedSteps(thread.id, run.id);
        for (const tab of tabs) {
          const ok =
            final.status === "completed" &&
            upstream.status === "completed" &&
            tab.names.at(-1) === "thread.run.completed" &&
            tab.text === reply &&
            reply.split(" ").length === WORDS;
          if (!ok) wrong++;
          expectContiguous(tab.ids);
          expectEachObjectOnce(tab.events);
          // Each step's last status as the subscriber saw it is the step's status as stored.
          const seenSteps = new Map<string, string>();
          for (const { event, data } of tab.events)
            if (event.startsWith("thread.run.step.") && event !== "thread.run.step.delta")
              seenSteps.set(data.id, data.status);
          expect(Object.fromEntries(seenSteps)).toEqual(
            Object.fromEntries(steps.map((step) => [step.id, step.status])),
          );
        }
      }
      report(context, {
        scenario: "upstream stream cut",
        injected: "the upstream's stream dropped after a seeded number of events (no terminal event, no [DONE])",
        times: RUNS,
        lost: wrong,
        figure: `${RUNS} runs completed, ${RUNS * TABS_PER_RUN} subscribers equal to the upstream's reply and steps`,
      });
      expect(wrong).toBe(0);
      runs.forEach(({ tabs }) => tabs.forEach((tab) => tab.close()));
    },
    scaled(60_000, 240_000),
  );
});
