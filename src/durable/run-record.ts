// What a run's hub keeps, with one owner: the state (run object, stream, polling), the event log and the tool rounds.
// It is the only writer of all three: every change is one of its named transitions, and it tells its listener of each
// append, of the run's end and of polling given up. The hub's other parts read it and subscribe to it.
import type { Run } from "../providers/provider";
import { EventLog, type LoggedEvent } from "./event-log";
import { HubStateStore, isRunEvent, TERMINAL_STATUSES, type HubState } from "./hub-state";
import { ToolOutputs } from "./tool-outputs";

export interface RecordListener {
  /** Events were logged (delivered to subscribers from here). */
  appended(events: LoggedEvent[], now: number): void;
  /** The run reached a terminal status, or polling gave up on it (its active-run slot is freed from here). */
  ended(state: HubState): void;
  /** Polling stopped for good without a terminal event: the run will not move again (subscribers are stopped). */
  settled(state: HubState): void;
}

type NewEvent = { event: string; data: unknown };

/** The storage a record writes: SQL for the log and tool rounds, KV for the state, and a transaction around both. */
export type RecordStorage = Pick<DurableObjectStorage, "sql" | "kv" | "transactionSync">;

/** Takes the storage's `sql`, `kv` and `transactionSync` only, so it can be tested without the Durable Object. */
export class RunRecord {
  private events: EventLog;
  private rounds: ToolOutputs;
  private readonly store: HubStateStore;

  constructor(
    private readonly storage: RecordStorage,
    private readonly listener: RecordListener,
  ) {
    this.events = new EventLog(storage.sql);
    this.rounds = new ToolOutputs(storage.sql);
    this.store = new HubStateStore(storage.kv);
    // A hub that took its run up before the tool-round table changed brings it up to date before its first round.
    if (this.store.has()) this.rounds.create();
  }

  /** The log, to read (its writes go through `append`). */
  get log(): EventLog {
    return this.events;
  }

  get outputs(): ToolOutputs {
    return this.rounds;
  }

  /**
   * The state as stored: a copy, so changing it changes nothing (the transitions below do), and one taken before an
   * await still shows what was true then (cancel's and a poll's staleness checks compare it with the state after).
   */
  state(): HubState | undefined {
    const state = this.store.get();
    return state === undefined ? undefined : structuredClone(state);
  }

  has(): boolean {
    return this.store.has();
  }

  /** Whether the run the hub holds is this one (on this thread). */
  holds(ref: { thread_id: string; run_id: string }): boolean {
    const state = this.store.get();
    return state?.thread_id === ref.thread_id && state.run_id === ref.run_id;
  }

  /** The run ended, or polling gave up on it: nothing more will be logged. */
  finished(): boolean {
    const state = this.store.get();
    return state?.terminalAt != null || state?.settled === true;
  }

  /** The hub starts holding a run: its tables are made and its state stored, with the events known so far. */
  hold(state: HubState, events: NewEvent[] = [], now = Date.now()): void {
    this.events.create();
    this.rounds.create();
    this.commit(state, events, now);
  }

  /** Appends events, keeps the run object current, and tells the listener (which delivers them). */
  append(events: NewEvent[], now: number): LoggedEvent[] {
    if (events.length === 0) return [];
    return this.commit(this.current(), events, now);
  }

  /** The creator's active-run slot, for a run the hub took up first; freed at once if the run has already ended. */
  claimSlot(tenant: string): void {
    const state = this.current();
    if (state.slotTenant !== null) return;
    state.slotTenant = tenant;
    this.commit(state);
    if (state.terminalAt !== null || state.settled) this.listener.ended(state);
  }

  /** A new stream is read from now on; events of older ones are refused. Answers its generation. */
  openStream(source: HubState["stream"]["source"], now = Date.now()): number {
    const state = this.current();
    state.stream = { generation: state.stream.generation + 1, open: true, source, lastEventAt: now };
    this.commit(state);
    return state.stream.generation;
  }

  /** Whether `generation` is the stream being read now. */
  isOpen(generation: number): boolean {
    const state = this.store.get();
    return state !== undefined && state.stream.open && state.stream.generation === generation;
  }

  /** The stream of `generation` ended by itself; false when it was not the open one (nothing changes then). */
  endStream(generation: number): boolean {
    if (!this.isOpen(generation)) return false;
    const state = this.current();
    state.stream.open = false;
    this.commit(state);
    return true;
  }

  /** The open stream went silent or was lost: it is given up, and anything still arriving from it is refused. */
  loseStream(): void {
    const state = this.current();
    state.stream = { ...state.stream, generation: state.stream.generation + 1, open: false };
    this.commit(state);
  }

  /** The round's outputs were taken by the upstream: exactly one submission per round. */
  submitted(round: string): void {
    const state = this.current();
    state.submittedRound = round;
    this.commit(state);
    // Approvals' headers (often an MCP server's credentials) were needed only for that one submission.
    this.rounds.forgetHeaders(round);
  }

  /** New metadata; subscribers of a run still moving hear of it (`runcast.run_updated`); a finished run's is only stored. */
  updateMetadata(metadata: Run["metadata"], now = Date.now()): void {
    const state = this.current();
    state.run = { ...state.run, metadata };
    const moving = state.terminalAt === null && !state.settled;
    this.commit(state, moving ? [{ event: "runcast.run_updated", data: { run_id: state.run_id, metadata } }] : [], now);
  }

  /** An upstream answer of the run, with the events it implies (none when nothing moved). */
  observe(run: Run, events: NewEvent[], now = Date.now()): void {
    const state = this.current();
    state.run = run;
    this.commit(state, events, now);
  }

  /** The polling plan: polls in a row without change, the upstream's hint, and when the next poll is due. */
  planPolls(poll: Partial<HubState["poll"]>): void {
    const state = this.current();
    state.poll = { ...state.poll, ...poll };
    this.commit(state);
  }

  /** Polling stops for good without a terminal event (expired, or gone upstream): the run will not move again. */
  settle(): void {
    const state = this.current();
    state.settled = true;
    this.commit(state);
    this.listener.ended(state);
    this.listener.settled(state);
  }

  /** After the storage was deleted (retention): the record starts empty, and readers holding it see that at once. */
  reset(): void {
    this.events = new EventLog(this.storage.sql);
    this.rounds = new ToolOutputs(this.storage.sql);
    this.store.forget();
  }

  private current(): HubState {
    const state = this.store.get();
    if (!state) throw new Error("the hub holds no run");
    return state;
  }

  /**
   * Stores a changed state with the events it logs, then tells the listener: the one way anything is written. The log's
   * statements and the state's write are one transaction: a failure part way (a statement the storage refuses) leaves
   * none of them, so the log is never ahead of the state, nor holds part of a batch no subscriber was sent.
   */
  private commit(state: HubState, events: NewEvent[] = [], now = Date.now()): LoggedEvent[] {
    let logged: LoggedEvent[];
    let ended = false;
    try {
      logged = this.storage.transactionSync(() => {
        const appended = events.length > 0 ? this.events.append(events, now) : [];
        for (const { event, data } of events) {
          if (!isRunEvent(event)) continue;
          state.run = data as Run;
          if (TERMINAL_STATUSES.has(state.run.status) && state.terminalAt === null) {
            state.terminalAt = now;
            ended = true;
          }
        }
        if (appended.length > 0) {
          state.stream.lastEventAt = now;
          state.version++;
        }
        this.store.put(state);
        return appended;
      });
    } catch (error) {
      // Rolled back: what the log and the state keep in memory is of a write that did not happen, so both read again.
      this.events.forget();
      this.store.forget();
      throw error;
    }
    if (ended) this.listener.ended(state);
    if (logged.length > 0) this.listener.appended(logged, now);
    return logged;
  }
}
