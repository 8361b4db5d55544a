// The run's record on its own (inside a Durable Object's storage, with no hub around it): the one writer of the state, the
// log and the tool rounds, telling its listener of each append and of the run's end exactly once.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { LoggedEvent } from "../src/durable/event-log";
import { newHubState, type HubState } from "../src/durable/hub-state";
import { RunRecord, type RecordStorage } from "../src/durable/run-record";
import type { Run } from "../src/providers/provider";

const run = (status: Run["status"]) =>
  ({ id: "run_record1", thread_id: "thread_record1", status, expires_at: null }) as unknown as Run;

const QUIET = { appended: () => undefined, ended: () => undefined, settled: () => undefined };

/** A fresh object's storage each time, so each test starts empty. */
const inFreshStorage = <T>(work: (storage: DurableObjectStorage) => T | Promise<T>) =>
  runInDurableObject(env.RUN_HUB.get(env.RUN_HUB.idFromName(`record-${crypto.randomUUID()}`)), (_, state) =>
    work(state.storage),
  );

/**
 * The storage, with the writes `refuse` picks (by their SQL, or `kv.put <key>`) failing as the storage fails a statement
 * it will not take; everything else goes through.
 */
function refusing(storage: DurableObjectStorage, refuse: (write: string) => boolean): RecordStorage {
  const check = (write: string) => {
    if (refuse(write)) throw new Error(`refused: ${write.slice(0, 40)}`);
  };
  const exec: SqlStorage["exec"] = (query, ...bindings) => (check(query), storage.sql.exec(query, ...bindings));
  const put: SyncKvStorage["put"] = (key, value) => (check(`kv.put ${key}`), storage.kv.put(key, value));
  return {
    sql: overriding(storage.sql, { exec }),
    kv: overriding(storage.kv, { put }),
    transactionSync: (closure) => storage.transactionSync(closure),
  };
}

/** `target` with some methods replaced; its own are called on it (workerd's objects refuse to be called on a proxy). */
function overriding<T extends object>(target: T, methods: Partial<T>): T {
  return new Proxy(target, {
    get(object, key) {
      if (key in methods) return methods[key as keyof T];
      const value: unknown = Reflect.get(object, key);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}

/** A message streamed in `deltas` deltas: a batch of more rows than one statement holds. */
const streamedMessage = (deltas: number) => [
  { event: "thread.message.created", data: { id: "msg_1", status: "in_progress", content: [] } },
  ...Array.from({ length: deltas }, (_, i) => ({
    event: "thread.message.delta",
    data: { id: "msg_1", delta: { content: [{ index: 0, type: "text", text: { value: `w${i} ` } }] } },
  })),
];

describe("the run record", () => {
  it("numbers events in order, keeps the run object current, and tells its listener of each append and of the end once", async () => {
    const outcome = await inFreshStorage((storage) => {
      const appended: LoggedEvent[][] = [];
      const ended: HubState[] = [];
      const record = new RunRecord(storage, {
        appended: (events) => appended.push(events),
        ended: (state) => ended.push(state),
        settled: () => undefined,
      });
      const state = newHubState(run("queued"), "thread_record1", { streamOpen: true, slotTenant: "acme" });
      record.hold(state);
      record.append(
        [
          { event: "thread.run.created", data: run("queued") },
          { event: "thread.run.in_progress", data: run("in_progress") },
        ],
        1_000,
      );
      record.append([{ event: "thread.run.completed", data: run("completed") }], 2_000);
      record.append([{ event: "runcast.run_updated", data: { run_id: "run_record1", metadata: {} } }], 3_000);
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

  it("a batch larger than one statement holds is numbered in order, stored whole, and read back as a fresh record sees it", async () => {
    const outcome = await inFreshStorage((storage) => {
      const record = new RunRecord(storage, QUIET);
      record.hold(newHubState(run("in_progress"), "thread_record1", { streamOpen: true, slotTenant: null }));
      const message = (text: string) => ({
        id: "msg_1",
        object: "thread.message.delta",
        delta: { content: [{ index: 0, type: "text", text: { value: text } }] },
      });
      const deltas = Array.from({ length: 60 }, (_, i) => ({ event: "thread.message.delta", data: message(`w${i} `) }));
      const logged = record.append(
        [{ event: "thread.message.created", data: { id: "msg_1", status: "in_progress", content: [] } }, ...deltas],
        1_000,
      );
      // A new record on the same storage (the hub after an eviction) reads what was written, not what was kept.
      const again = new RunRecord(storage, QUIET);
      return {
        seqs: logged.map((event) => event.seq),
        stored: again.log.after(0, 1000).map((event) => [event.seq, event.event, JSON.parse(event.data)]),
        last: again.log.lastSeq(),
        version: again.state()?.version,
        textLength: again.log.currentView().get("msg_1")?.textLength,
      };
    });
    expect(outcome.seqs).toEqual(Array.from({ length: 61 }, (_, i) => i + 1));
    expect(outcome.stored).toHaveLength(61);
    expect(outcome.stored[5]).toEqual([6, "thread.message.delta", expect.objectContaining({ id: "msg_1" })]);
    expect(outcome.last).toBe(61);
    // One state write for the batch.
    expect(outcome.version).toBe(1);
    expect(outcome.textLength).toBe(Array.from({ length: 60 }, (_, i) => `w${i} `).join("").length);
  });

  it.each([
    { part: "its second statement", refuses: (inserts: number) => inserts === 2 },
    { part: "the state's write after it", refuses: (_: number, write: string) => write === "kv.put hub" },
  ])(
    "a batch whose $part fails is not stored at all: no rows, the state and the numbering as they were",
    async ({ refuses }) => {
      const outcome = await inFreshStorage((storage) => {
        let armed = false;
        let inserts = 0;
        const record = new RunRecord(
          refusing(storage, (write) => {
            if (!armed) return false;
            if (write.startsWith("INSERT INTO events")) inserts++;
            return refuses(inserts, write);
          }),
          QUIET,
        );
        record.hold(newHubState(run("in_progress"), "thread_record1", { streamOpen: true, slotTenant: null }));
        record.append([{ event: "thread.run.in_progress", data: run("in_progress") }], 1_000);
        // 61 events: three statements, and the message's view row, then the state.
        armed = true;
        const failure = String(
          (() => {
            try {
              record.append(streamedMessage(60), 2_000);
            } catch (error) {
              return error;
            }
          })(),
        );
        armed = false;
        // A new record on the same storage (the hub after a restart) reads what was committed.
        const again = new RunRecord(storage, QUIET);
        const stored = {
          seqs: again.log.after(0).map((event) => event.seq),
          version: again.state()?.version,
          lastEventAt: again.state()?.stream.lastEventAt,
          message: again.log.currentView().has("msg_1"),
        };
        // The record that failed reads its log and state again: the next event is numbered right after the last stored.
        const next = record.append([{ event: "thread.run.step.created", data: { id: "step_1" } }], 3_000);
        return { failure, stored, next: next.map((event) => event.seq), version: record.state()?.version };
      });
      expect(outcome.failure).toMatch(/refused/);
      expect(outcome.stored).toEqual({ seqs: [1], version: 1, lastEventAt: 1_000, message: false });
      expect(outcome.next).toEqual([2]);
      expect(outcome.version).toBe(2);
    },
  );

  it("a state read before a change is a copy that still shows what was true then (staleness checks compare the two)", async () => {
    const outcome = await inFreshStorage((storage) => {
      const record = new RunRecord(storage, QUIET);
      record.hold(newHubState(run("in_progress"), "thread_record1", { streamOpen: true, slotTenant: null }));
      const before = record.state()!;
      record.append([{ event: "thread.run.cancelling", data: run("cancelling") }], 1_000);
      before.run = run("failed");
      return { before: before.version, after: record.state()!.version, status: record.state()!.run.status };
    });
    expect(outcome).toEqual({ before: 0, after: 1, status: "cancelling" });
  });

  it("appends nothing, and says nothing, for no events", async () => {
    const calls = await inFreshStorage((storage) => {
      let calls = 0;
      const record = new RunRecord(storage, { appended: () => calls++, ended: () => calls++, settled: () => calls++ });
      const state = newHubState(run("queued"), "thread_record1", { streamOpen: true, slotTenant: null });
      record.hold(state);
      expect(record.append([], 1_000)).toEqual([]);
      return calls;
    });
    expect(calls).toBe(0);
  });

  it("after its storage is deleted, reset leaves it empty for everyone holding it", async () => {
    const outcome = await inFreshStorage(async (storage) => {
      const record = new RunRecord(storage, QUIET);
      const state = newHubState(run("queued"), "thread_record1", { streamOpen: true, slotTenant: null });
      record.hold(state);
      record.append([{ event: "thread.run.created", data: run("queued") }], 1_000);
      const before = record.log;
      await storage.deleteAll();
      record.reset();
      return { has: record.has(), replaced: record.log !== before };
    });
    expect(outcome).toEqual({ has: false, replaced: true });
  });

  it("refuses events of a stream once a newer one is opened or the open one is lost", async () => {
    const outcome = await inFreshStorage((storage) => {
      const record = new RunRecord(storage, QUIET);
      record.hold(newHubState(run("queued"), "thread_record1", { streamOpen: true, slotTenant: null }));
      const first = record.state()!.stream.generation;
      const second = record.openStream("hub", 1_000);
      const firstStillOpen = record.isOpen(first);
      const endedFirst = record.endStream(first);
      record.loseStream();
      return {
        first,
        second,
        firstStillOpen,
        endedFirst,
        secondOpen: record.isOpen(second),
        stream: record.state()!.stream,
      };
    });
    expect(outcome.second).toBe(outcome.first + 1);
    expect(outcome.firstStillOpen).toBe(false);
    // An older stream's end changes nothing.
    expect(outcome.endedFirst).toBe(false);
    expect(outcome.secondOpen).toBe(false);
    expect(outcome.stream).toMatchObject({ generation: outcome.second + 1, open: false });
  });

  it("settling tells its listener the run ended and will not move, and a finished run's metadata is stored without an event", async () => {
    const outcome = await inFreshStorage((storage) => {
      const heard: string[] = [];
      const record = new RunRecord(storage, {
        appended: (events) => heard.push(...events.map((event) => event.event)),
        ended: () => heard.push("ended"),
        settled: () => heard.push("settled"),
      });
      record.hold(newHubState(run("requires_action"), "thread_record1", { streamOpen: false, slotTenant: "acme" }));
      record.updateMetadata({ tab: "1" });
      record.settle();
      record.updateMetadata({ tab: "2" });
      return { heard, state: record.state()!, last: record.log.lastSeq() };
    });
    expect(outcome.heard).toEqual(["runcast.run_updated", "ended", "settled"]);
    expect(outcome.state.settled).toBe(true);
    expect(outcome.state.run.metadata).toEqual({ tab: "2" });
    expect(outcome.last).toBe(1);
  });

  it("a slot claimed for a run that already ended is freed at once; a held slot is not taken over", async () => {
    const outcome = await inFreshStorage((storage) => {
      const ended: Array<string | null> = [];
      const record = new RunRecord(storage, { ...QUIET, ended: (state) => ended.push(state.slotTenant) });
      record.hold(newHubState(run("queued"), "thread_record1", { streamOpen: false, slotTenant: null }));
      record.append([{ event: "thread.run.completed", data: run("completed") }], 1_000);
      record.claimSlot("acme");
      record.claimSlot("globex");
      return { ended, slot: record.state()!.slotTenant };
    });
    // Once when the run completed (no slot yet), once when the creator's slot arrived.
    expect(outcome.ended).toEqual([null, "acme"]);
    expect(outcome.slot).toBe("acme");
  });

  it("a hub holding a run from before approvals gains the approval column, and its rounds work", async () => {
    const outcome = await inFreshStorage((storage) => {
      // The table as it was, and a run held in requires_action.
      storage.sql.exec(
        "CREATE TABLE tool_outputs (round TEXT NOT NULL, tool_call_id TEXT NOT NULL, output TEXT NOT NULL, PRIMARY KEY (round, tool_call_id))",
      );
      const waiting = {
        ...run("requires_action"),
        required_action: { type: "submit_tool_outputs", submit_tool_outputs: { tool_calls: [{ id: "call_a" }] } },
      } as unknown as Run;
      storage.kv.put("hub", newHubState(waiting, "thread_record1", { streamOpen: false, slotTenant: null }));
      const record = new RunRecord(storage, QUIET);
      return record.outputs.add(waiting, [{ tool_call_id: "call_a", output: "rain" }]);
    });
    expect(outcome).toEqual({
      complete: [{ tool_call_id: "call_a", output: "rain" }],
      received: ["call_a"],
      pending: [],
    });
  });

  it("an approval's headers are kept only until the upstream has taken the round", async () => {
    const outcome = await inFreshStorage((storage) => {
      const waiting = {
        ...run("requires_action"),
        required_action: { type: "submit_tool_approval", submit_tool_approval: { tool_calls: [{ id: "call_m" }] } },
      } as unknown as Run;
      const record = new RunRecord(storage, QUIET);
      record.hold(newHubState(waiting, "thread_record1", { streamOpen: false, slotTenant: null }));
      const collected = record.outputs.add(waiting, [
        { tool_call_id: "call_m", approve: true, headers: { authorization: "Bearer mcp-secret" } },
      ]);
      record.submitted("call_m");
      const stored = storage.sql.exec<{ approval: string }>("SELECT approval FROM tool_outputs").toArray();
      return { collected, stored };
    });
    expect(outcome.collected.complete).toEqual([
      { tool_call_id: "call_m", approve: true, headers: { authorization: "Bearer mcp-secret" } },
    ]);
    expect(outcome.stored).toEqual([{ approval: JSON.stringify({ approve: true }) }]);
  });
});
