// The run's record on its own (inside a Durable Object's storage, with no hub around it): the one writer of the state, the
// log and the tool rounds, telling its listener of each append and of the run's end exactly once.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { LoggedEvent } from "../src/durable/event-log";
import { newHubState, type HubState } from "../src/durable/hub-state";
import { RunRecord } from "../src/durable/run-record";
import type { Run } from "../src/providers/provider";

const run = (status: Run["status"]) =>
  ({ id: "run_record1", thread_id: "thread_record1", status, expires_at: null }) as unknown as Run;

/** A fresh object's storage each time, so each test starts empty. */
const inFreshStorage = <T>(work: (storage: DurableObjectStorage) => T | Promise<T>) =>
  runInDurableObject(env.RUN_HUB.get(env.RUN_HUB.idFromName(`record-${crypto.randomUUID()}`)), (_, state) =>
    work(state.storage),
  );

describe("the run record", () => {
  it("numbers events in order, keeps the run object current, and tells its listener of each append and of the end once", async () => {
    const outcome = await inFreshStorage((storage) => {
      const appended: LoggedEvent[][] = [];
      const ended: HubState[] = [];
      const record = new RunRecord(storage, {
        appended: (events) => appended.push(events),
        ended: (state) => ended.push(state),
      });
      const state = newHubState(run("queued"), "thread_record1", { streamOpen: true, slotTenant: "acme" });
      record.hold(state);
      record.append(
        state,
        [
          { event: "thread.run.created", data: run("queued") },
          { event: "thread.run.in_progress", data: run("in_progress") },
        ],
        1_000,
      );
      record.append(state, [{ event: "thread.run.completed", data: run("completed") }], 2_000);
      record.append(state, [{ event: "runcast.run_updated", data: { run_id: "run_record1", metadata: {} } }], 3_000);
      return {
        seqs: appended.map((events) => events.map((event) => event.seq)),
        ended: ended.length,
        stored: record.state(),
        last: record.log.lastSeq(),
      };
    });
    expect(outcome.seqs).toEqual([[1, 2], [3], [4]]);
    expect(outcome.ended).toBe(1);
    expect(outcome.stored?.run.status).toBe("completed");
    expect(outcome.stored?.terminalAt).toBe(2_000);
    expect(outcome.stored?.version).toBe(3);
    expect(outcome.last).toBe(4);
  });

  it("appends nothing, and says nothing, for no events", async () => {
    const calls = await inFreshStorage((storage) => {
      let calls = 0;
      const record = new RunRecord(storage, { appended: () => calls++, ended: () => calls++ });
      const state = newHubState(run("queued"), "thread_record1", { streamOpen: true, slotTenant: null });
      record.hold(state);
      expect(record.append(state, [], 1_000)).toEqual([]);
      return calls;
    });
    expect(calls).toBe(0);
  });

  it("after its storage is deleted, reset leaves it empty for everyone holding it", async () => {
    const outcome = await inFreshStorage(async (storage) => {
      const record = new RunRecord(storage, { appended: () => undefined, ended: () => undefined });
      const state = newHubState(run("queued"), "thread_record1", { streamOpen: true, slotTenant: null });
      record.hold(state);
      record.append(state, [{ event: "thread.run.created", data: run("queued") }], 1_000);
      const before = record.log;
      await storage.deleteAll();
      record.reset();
      return { has: record.has(), replaced: record.log !== before };
    });
    expect(outcome).toEqual({ has: false, replaced: true });
  });
});
