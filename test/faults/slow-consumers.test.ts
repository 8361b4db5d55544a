// Slow, stuck and hostile consumers: on one busy run, a subscriber that stops reading (never answers the hub's PINGs)
// and one that floods the socket with garbage. Each offender is dropped with its close code; everyone else gets the
// whole log, in order. (How much they slow the others is not measured yet: timings stay out of tests.)
import { describe, expect, it } from "vitest";
import { RecordingWebSocket, subscriptionFrame, wsUrl } from "../helpers/hub";
import { Tab, hubSocketCount, within } from "../helpers/hub-lifecycle";
import { eventsLost, report, runMaker, scaled } from "./fault-suite";

const TABS = scaled(10, 50);
/** Well over the hub's lag limit (RUNCAST_MAX_LAG_EVENTS, 200 in tests). */
const WORDS = 400;
const GARBAGE = ["{", "null", "[]", '{"id":1,"method":"nope"}', "\u0000\u0001", "PING PONG", "x".repeat(1000)];

describe("slow, stuck and hostile consumers", () => {
  it(
    `a reader that stops and one that floods garbage are dropped with their codes; ${TABS} others get everything`,
    async (context) => {
      const startRun = await runMaker();
      const { thread, run } = await startRun("A long story, please", {
        emulator_delta_ms: "10",
        emulator_reply_words: String(WORDS),
      });

      // Subscribes, then never reads again: the hub's PINGs go unanswered (a real one's TCP window fills the same way).
      const stuck = new RecordingWebSocket(wsUrl(thread.id, run.id));
      await stuck.opened();
      stuck.send(subscriptionFrame(1, thread.id, run.id));
      // Floods the socket with frames that are not the protocol: 500 a second, five times the allowance.
      const flooder = new RecordingWebSocket(wsUrl(thread.id, run.id));
      await flooder.opened();
      let garbageSent = 0;
      const flood = setInterval(() => {
        for (let i = 0; i < 10 && flooder.readyState === flooder.OPEN; i++)
          flooder.send(GARBAGE[garbageSent++ % GARBAGE.length]!);
      }, 20);
      const tabs = Array.from({ length: TABS }, () => new Tab(thread.id, run.id));
      try {
        const [stuckClose, flooderClose] = await within(
          Promise.all([stuck.closed(), flooder.closed()]),
          scaled(45_000, 90_000),
          "both offenders closed",
        );
        await Promise.all(tabs.map((tab) => tab.finished(scaled(30_000, 60_000))));
        // The offenders hold no socket of the hub's: only the others' remain.
        let sockets = await hubSocketCount(run.id);
        for (let i = 0; i < 40 && sockets !== TABS; i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          sockets = await hubSocketCount(run.id);
        }

        const reference = new Tab(thread.id, run.id);
        await reference.finished();
        let lost = 0;
        for (const tab of tabs) {
          lost += eventsLost(reference.ids, tab.ids);
          expect(tab.events).toEqual(reference.events);
        }
        reference.close();
        report(context, {
          scenario: "slow, stuck and hostile consumers",
          injected: "one subscriber that stops reading, one that floods the socket with garbage",
          times: 2,
          lost,
          figure: `stuck reader closed ${stuckClose.code} after ${stuck.messages().length} messages, flooder closed ${flooderClose.code} after ${garbageSent} frames; ${TABS} others got all ${reference.ids.length} events`,
        });
        expect(stuckClose.code).toBe(4008);
        expect(flooderClose.code).toBe(1008);
        expect(lost).toBe(0);
        expect(sockets).toBe(TABS);
      } finally {
        clearInterval(flood);
        tabs.forEach((tab) => tab.close());
      }
    },
    scaled(90_000, 150_000),
  );
});
