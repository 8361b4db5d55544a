// What a run's hub keeps, with one owner: the state (run object, stream, polling), the event log and the tool rounds.
// It is the only writer of all three; the hub's other parts read it, and hear of each append and of the run's end.
import type { Run } from "../providers/provider";
import { EventLog, type LoggedEvent } from "./event-log";
import { HubStateStore, isRunEvent, TERMINAL_STATUSES, type HubState } from "./hub-state";
import { ToolOutputs } from "./tool-outputs";

export interface RecordListener {
  /** Events were logged (delivered to subscribers from here). */
  appended(events: LoggedEvent[], now: number): void;
  /** The run reached a terminal status (its active-run slot is freed from here). */
  ended(state: HubState): void;
}

/** Takes the storage's `sql` and `kv` only, so it can be tested without the Durable Object. */
export class RunRecord {
  private events: EventLog;
  private rounds: ToolOutputs;
  private readonly store: HubStateStore;

  constructor(
    private readonly storage: { sql: SqlStorage; kv: SyncKvStorage },
    private readonly listener: RecordListener,
  ) {
    this.events = new EventLog(storage.sql);
    this.rounds = new ToolOutputs(storage.sql);
    this.store = new HubStateStore(storage.kv);
  }

  /** The log, to read (its writes go through `append`). */
  get log(): EventLog {
    return this.events;
  }

  get outputs(): ToolOutputs {
    return this.rounds;
  }

  state(): HubState | undefined {
    return this.store.get();
  }

  has(): boolean {
    return this.store.has();
  }

  put(state: HubState): void {
    this.store.put(state);
  }

  /** The hub starts holding a run: its tables are made and its state stored. */
  hold(state: HubState): void {
    this.events.create();
    this.rounds.create();
    this.store.put(state);
  }

  /** Appends events, keeps the run object current, and tells the listener (which delivers them). */
  append(state: HubState, events: Array<{ event: string; data: unknown }>, now: number): LoggedEvent[] {
    if (events.length === 0) return [];
    const logged = this.events.append(events, now);
    let ended = false;
    for (const { event, data } of events) {
      if (!isRunEvent(event)) continue;
      state.run = data as Run;
      if (TERMINAL_STATUSES.has(state.run.status) && state.terminalAt === null) {
        state.terminalAt = now;
        ended = true;
      }
    }
    state.stream.lastEventAt = now;
    state.version++;
    this.store.put(state);
    if (ended) this.listener.ended(state);
    this.listener.appended(logged, now);
    return logged;
  }

  /** After the storage was deleted (retention): the record starts empty, and readers holding it see that at once. */
  reset(): void {
    this.events = new EventLog(this.storage.sql);
    this.rounds = new ToolOutputs(this.storage.sql);
  }
}
