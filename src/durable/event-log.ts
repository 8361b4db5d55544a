// The run's append-only event log in SQLite: every upstream event (and the hub's own) gets a sequence number, its event id.
import { TRPCError } from "@trpc/server";
import { applyToView, type RunView, type ViewEntry } from "./run-view";

export interface LoggedEvent {
  seq: number;
  event: string;
  /** The event's data as JSON text, exactly as it is sent on. */
  data: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL, data TEXT NOT NULL, at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS view (id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, text_length INTEGER NOT NULL);
`;

/** SQLite in a Durable Object binds at most 100 parameters per statement: 25 rows of four. */
const ROWS_PER_INSERT = 25;

/** Takes the `sql` handle only, so it can be used (and tested) without the Durable Object. */
export class EventLog {
  private view: RunView | undefined;
  private last: number | null = null;

  constructor(private readonly sql: SqlStorage) {}

  /** Tables are made when the hub first holds a run, so a lookup of an unknown run leaves no storage behind. */
  create(): void {
    this.sql.exec(SCHEMA);
  }

  /**
   * Appends events in order, updating the view; returns them with their sequence numbers. A batch is written with a few
   * multi-row statements and each message's view row once, not a statement per event: per-event statements were the
   * largest cost of taking a stream in (bench/profile.ts). A statement that fails leaves the ones before it written: the
   * caller appends inside a transaction (run-record.ts), and calls `forget` when it rolls back.
   */
  append(events: Array<{ event: string; data: unknown }>, now = Date.now()): LoggedEvent[] {
    const view = this.currentView();
    const first = this.lastSeq() + 1;
    const logged = events.map(({ event, data }, index) => ({ seq: first + index, event, data: JSON.stringify(data) }));
    try {
      for (let start = 0; start < logged.length; start += ROWS_PER_INSERT) {
        const rows = logged.slice(start, start + ROWS_PER_INSERT);
        this.sql.exec(
          `INSERT INTO events (seq, event, data, at) VALUES ${rows.map(() => "(?, ?, ?, ?)").join(", ")}`,
          ...rows.flatMap((row) => [row.seq, row.event, row.data, now]),
        );
      }
      const changed = new Map<string, ViewEntry>();
      for (const { event, data } of events) {
        const entry = applyToView(view, event, data);
        if (entry) changed.set((data as { id: string }).id, entry);
      }
      for (const [id, entry] of changed) this.saveEntry(id, entry);
    } catch (error) {
      // Read both again from storage: part of the batch may be written.
      this.forget();
      throw error;
    }
    this.last = first + logged.length - 1;
    return logged;
  }

  /** Storage changed without this log (a transaction holding an append rolled back): it is read again next time. */
  forget(): void {
    this.last = null;
    this.view = undefined;
  }

  /** Events after `seq`, oldest first, at most `limit`. */
  after(seq: number, limit = 1000): LoggedEvent[] {
    return this.sql
      .exec<{ seq: number; event: string; data: string }>(
        "SELECT seq, event, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
        seq,
        limit,
      )
      .toArray();
  }

  /** A last event id this log never issued (another run's, say) cannot be resumed from. */
  assertIssued(after: number): void {
    if (after > this.lastSeq())
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `lastEventId: ${after} is past this run's last event; resume only from an id this subscription returned.`,
      });
  }

  /** The last event's sequence number (0 before any), read once and then kept: this log is the only writer. */
  lastSeq(): number {
    this.last ??= this.sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM events").one().seq ?? 0;
    return this.last;
  }

  currentView(): RunView {
    if (!this.view) {
      const rows = this.sql
        .exec<{ id: string; kind: ViewEntry["kind"]; status: string; text_length: number }>(
          "SELECT id, kind, status, text_length FROM view",
        )
        .toArray();
      this.view = new Map(
        rows.map((row) => [row.id, { kind: row.kind, status: row.status, textLength: row.text_length }]),
      );
    }
    return this.view;
  }

  private saveEntry(id: string, entry: ViewEntry) {
    this.sql.exec(
      "INSERT OR REPLACE INTO view (id, kind, status, text_length) VALUES (?, ?, ?, ?)",
      id,
      entry.kind,
      entry.status,
      entry.textLength,
    );
  }
}
