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

/** Takes the `sql` handle only, so it can be used (and tested) without the Durable Object. */
export class EventLog {
  private view: RunView | undefined;

  constructor(private readonly sql: SqlStorage) {}

  /** Tables are made when the hub first holds a run, so a lookup of an unknown run leaves no storage behind. */
  create(): void {
    this.sql.exec(SCHEMA);
  }

  /** Appends events in order, updating the view; returns them with their sequence numbers. */
  append(events: Array<{ event: string; data: unknown }>, now = Date.now()): LoggedEvent[] {
    const view = this.currentView();
    return events.map(({ event, data }) => {
      const text = JSON.stringify(data);
      const { seq } = this.sql
        .exec<{ seq: number }>("INSERT INTO events (event, data, at) VALUES (?, ?, ?) RETURNING seq", event, text, now)
        .one();
      const entry = applyToView(view, event, data);
      if (entry) this.saveEntry((data as { id: string }).id, entry);
      return { seq, event, data: text };
    });
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

  lastSeq(): number {
    return this.sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM events").one().seq ?? 0;
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
