// Reconnect storm: many subscribers on one live run, each dropping its socket at seeded moments and coming back with
// its last event id (wsLink does that by itself). Every one must end with exactly the hub's log: all of it, in order,
// nothing twice.
import { describe, expect, it } from "vitest";
import { Tab } from "../helpers/hub-lifecycle";
import { eventsLost, report, runMaker, scaled, seeded } from "./fault-suite";

const SUBSCRIBERS = scaled(60, 500);
const WORDS = scaled(80, 250);
const DELTA_MS = 20;

describe("reconnect storm", () => {
  it(
    `${SUBSCRIBERS} subscribers dropping and resuming at seeded moments all end with the hub's log`,
    async (context) => {
      const startRun = await runMaker();
      const { thread, run } = await startRun("Tell me about storms", {
        emulator_delta_ms: String(DELTA_MS),
        emulator_reply_words: String(WORDS),
      });

      const random = seeded(13);
      const tabs = Array.from({ length: SUBSCRIBERS }, () => new Tab(thread.id, run.id));
      const replyMs = WORDS * DELTA_MS;
      let injected = 0;
      const timers = tabs.flatMap((tab) =>
        Array.from({ length: random.int(1, 3) }, () =>
          setTimeout(
            () => {
              // A socket already lost and not yet replaced cannot be lost again.
              if (!tab.completed && tab.sockets.at(-1)?.drop()) injected++;
            },
            random.int(50, replyMs),
          ),
        ),
      );
      try {
        await Promise.all(tabs.map((tab) => tab.finished(scaled(30_000, 120_000))));
      } finally {
        timers.forEach(clearTimeout);
      }

      // The hub's log, as a subscriber joining after the end replays it.
      const reference = new Tab(thread.id, run.id);
      await reference.finished();
      expect(reference.names.at(-1)).toBe("thread.run.completed");
      const logIds = reference.ids;

      let lost = 0;
      let reconnects = 0;
      for (const tab of tabs) {
        lost += eventsLost(logIds, tab.ids);
        reconnects += tab.sockets.length - 1;
      }
      report(context, {
        scenario: "reconnect storm",
        injected: "a subscriber's socket dropped mid-run, resumed with its last event id",
        times: injected,
        lost,
        figure: `${SUBSCRIBERS} subscribers, ${reconnects} reconnects, ${logIds.length} events each`,
      });
      expect(injected).toBeGreaterThan(SUBSCRIBERS / 2);
      // Every drop cost its subscriber a new socket.
      expect(reconnects).toBeGreaterThanOrEqual(injected);
      for (const tab of tabs) expect(tab.events).toEqual(reference.events);
      expect(lost).toBe(0);
      for (const tab of [...tabs, reference]) tab.close();
    },
    scaled(60_000, 240_000),
  );
});
