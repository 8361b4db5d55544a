// The hub's alarm on its own, on fresh Durable Object ids (no run created through the gateway, no upstream call): what
// a hub does when its alarm fires in each state the schedule decides from (src/durable/schedule.ts).
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newHubState } from "../src/durable/hub-state";
import type { Run } from "../src/providers/provider";
import { hubStore } from "./helpers/hub-lifecycle";

const DAY_MS = 24 * 60 * 60 * 1000;
const freshHub = () => env.RUN_HUB.get(env.RUN_HUB.idFromName(`alarm-${crypto.randomUUID()}`));
const run = (status: Run["status"]) =>
  ({ id: "run_alarm1", thread_id: "thread_alarm1", status, expires_at: null, metadata: {} }) as unknown as Run;

/** Stores a held run's state and log directly, as the record would have left them, and sets the alarm. */
async function holding(hub: ReturnType<typeof freshHub>, terminalAt: number | null) {
  await runInDurableObject(hub, async (instance, state) => {
    const held = {
      ...newHubState(run(terminalAt === null ? "in_progress" : "completed"), "thread_alarm1", {
        streamOpen: false,
        slotTenant: null,
      }),
      terminalAt,
    };
    hubStore(instance).put(held);
    await state.storage.setAlarm(Date.now() + 60_000);
  });
}

describe("the hub's alarm on a fresh id", () => {
  it("a hub that holds no run does nothing when an alarm fires, and stores nothing", async () => {
    const hub = freshHub();
    await runInDurableObject(hub, (_, state) => state.storage.setAlarm(Date.now() + 60_000));
    expect(await runDurableObjectAlarm(hub)).toBe(true);
    const left = await runInDurableObject(hub, async (_, state) => ({
      alarm: await state.storage.getAlarm(),
      keys: [...state.storage.kv.list()].length,
    }));
    expect(left).toEqual({ alarm: null, keys: 0 });
  });

  it("a run that ended more than the retention ago is retired: its storage deleted, no alarm left", async () => {
    const hub = freshHub();
    await holding(hub, Date.now() - DAY_MS - 1_000);
    expect(await runDurableObjectAlarm(hub)).toBe(true);
    const left = await runInDurableObject(hub, async (_, state) => ({
      alarm: await state.storage.getAlarm(),
      held: state.storage.kv.get("hub") !== undefined,
    }));
    expect(left).toEqual({ alarm: null, held: false });
  });

  it("a run that ended within the retention is kept, and its next alarm is its retention deadline", async () => {
    const hub = freshHub();
    const terminalAt = Date.now() - 1_000;
    await holding(hub, terminalAt);
    expect(await runDurableObjectAlarm(hub)).toBe(true);
    const left = await runInDurableObject(hub, async (_, state) => ({
      alarm: await state.storage.getAlarm(),
      held: state.storage.kv.get("hub") !== undefined,
    }));
    expect(left).toEqual({ alarm: terminalAt + DAY_MS, held: true });
  });
});
