// Expiry: runs left in requires_action until expires_at. Every subscriber gets the expired run (and its expired tool
// step), polling stops, and the only thing left scheduled is the retention clean-up a day later.
import { describe, expect, it } from "vitest";
import { Tab, expectContiguous, hubAlarm, hubState } from "../helpers/hub-lifecycle";
import { runcastKeepsRecords, sleep } from "../helpers/runcast";
import { report, runMaker, scaled } from "./fault-suite";

const RUNS = scaled(3, 20);
const TABS_PER_RUN = scaled(3, 10);
const DAY_MS = 24 * 60 * 60 * 1000;

describe("expiry", () => {
  it(
    `${RUNS} runs left waiting for tool outputs expire for all ${TABS_PER_RUN} subscribers each, and nothing polls after`,
    async (context) => {
      const startRun = await runMaker();
      const runs = await Promise.all(
        Array.from({ length: RUNS }, async (_, index) => {
          // Under `responses` the expiry is Runcast's own (RUNCAST_RESPONSES_EXPIRES_SECONDS, 5 s in this project, 20 s at full scale).
          const metadata: Record<string, string> = runcastKeepsRecords ? {} : { emulator_expire_after: "2" };
          const { thread, run } = await startRun(`Please get_weather Paris (${index}).`, metadata);
          const tabs = Array.from({ length: TABS_PER_RUN }, () => new Tab(thread.id, run.id));
          return { thread, run, tabs };
        }),
      );
      await Promise.all(runs.flatMap(({ tabs }) => tabs.map((tab) => tab.finished(scaled(30_000, 60_000)))));

      let wrong = 0;
      for (const { run, tabs } of runs) {
        for (const tab of tabs) {
          const waited = tab.names.includes("thread.run.requires_action");
          const stepExpired = tab.events.some(
            (event) => event.event === "thread.run.step.expired" && event.data.type === "tool_calls",
          );
          if (!waited || !stepExpired || tab.names.at(-1) !== "thread.run.expired") wrong++;
          expectContiguous(tab.ids);
          expect(tab.events.at(-1)!.data).toMatchObject({ id: run.id, status: "expired" });
        }
      }
      // Polling stopped: the hub's next alarm is its retention clean-up, and it stays so.
      await sleep(500);
      let scheduledAfter = 0;
      for (const { run } of runs) {
        const state = await hubState(run.id);
        const alarm = await hubAlarm(run.id);
        if (state?.terminalAt == null || alarm !== state.terminalAt + DAY_MS) scheduledAfter++;
      }
      report(context, {
        scenario: "expiry in requires_action",
        injected: "no tool outputs until expires_at",
        times: RUNS,
        lost: wrong + scheduledAfter,
        figure: `${RUNS * TABS_PER_RUN} subscribers saw the run and its tool step expire; ${RUNS - scheduledAfter} of ${RUNS} hubs left only the retention alarm`,
      });
      expect(wrong).toBe(0);
      expect(scheduledAfter).toBe(0);
      runs.forEach(({ tabs }) => tabs.forEach((tab) => tab.close()));
    },
    scaled(60_000, 120_000),
  );
});
