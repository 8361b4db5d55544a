// SQLite storage of emulated objects (a thread with its messages, runs and steps; or the assistants), with each run's engine state and event log.
import { pageQuery, toListResponse, type ListResponse, type PageParams } from "./pagination";

export type ObjectKind = "assistant" | "thread" | "message" | "run" | "step";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    seq INTEGER NOT NULL,
    run_id TEXT,
    json TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS objects_by_kind ON objects (kind, seq);
  CREATE INDEX IF NOT EXISTS objects_by_run ON objects (run_id, kind, seq);
  CREATE TABLE IF NOT EXISTS run_state (run_id TEXT PRIMARY KEY, state TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
  );
`;

export interface StoredEvent {
  seq: number;
  event: string;
  data: string;
}

/** Typed access to one Durable Object's tables. Takes only the `sql` handle so it can be used and tested without the Durable Object. */
export class ObjectStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Reading never creates tables, so a lookup of an unknown thread id leaves no storage behind. */
  exists(): boolean {
    return this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'objects'").toArray().length > 0;
  }

  create(): void {
    this.sql.exec(SCHEMA);
  }

  insert(kind: ObjectKind, object: { id: string }, runId: string | null = null): void {
    this.sql.exec(
      "INSERT INTO objects (id, kind, seq, run_id, json) VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM objects), ?, ?)",
      object.id,
      kind,
      runId,
      JSON.stringify(object),
    );
  }

  update(object: { id: string }): void {
    this.sql.exec("UPDATE objects SET json = ? WHERE id = ?", JSON.stringify(object), object.id);
  }

  delete(id: string): void {
    this.sql.exec("DELETE FROM objects WHERE id = ?", id);
  }

  get<T>(kind: ObjectKind, id: string): T | undefined {
    const row = this.sql
      .exec<{ json: string }>("SELECT json FROM objects WHERE kind = ? AND id = ?", kind, id)
      .toArray()[0];
    return row ? (JSON.parse(row.json) as T) : undefined;
  }

  all<T>(kind: ObjectKind, runId?: string): T[] {
    const rows =
      runId === undefined
        ? this.sql.exec<{ json: string }>("SELECT json FROM objects WHERE kind = ? ORDER BY seq", kind)
        : this.sql.exec<{ json: string }>(
            "SELECT json FROM objects WHERE kind = ? AND run_id = ? ORDER BY seq",
            kind,
            runId,
          );
    return rows.toArray().map((row) => JSON.parse(row.json) as T);
  }

  /** One page of a kind (optionally only what one run produced), with the upstream's cursor semantics. */
  page<T extends { id: string }>(kind: ObjectKind, params: PageParams, runId?: string): ListResponse<T> {
    const seqOf = (id: string | undefined) => {
      if (id === undefined) return undefined;
      const row = this.sql
        .exec<{ seq: number }>("SELECT seq FROM objects WHERE kind = ? AND id = ?", kind, id)
        .toArray()[0];
      return row?.seq ?? Number.NaN;
    };
    const cursors = { after: seqOf(params.after), before: seqOf(params.before) };
    // An unknown cursor id matches nothing, as a cursor past the end would.
    if (Number.isNaN(cursors.after) || Number.isNaN(cursors.before)) return toListResponse<T>([], params.limit, false);
    const query = pageQuery(params, cursors);
    const where = ["kind = ?", ...(runId === undefined ? [] : ["run_id = ?"]), ...query.bounds].join(" AND ");
    const bindings = [kind, ...(runId === undefined ? [] : [runId]), ...query.bindings, query.fetch];
    const rows = this.sql
      .exec<{ json: string }>(`SELECT json FROM objects WHERE ${where} ORDER BY ${query.orderBy} LIMIT ?`, ...bindings)
      .toArray();
    return toListResponse(
      rows.map((row) => JSON.parse(row.json) as T),
      params.limit,
      query.reverse,
    );
  }

  getState<T>(runId: string): T | undefined {
    const row = this.sql.exec<{ state: string }>("SELECT state FROM run_state WHERE run_id = ?", runId).toArray()[0];
    return row ? (JSON.parse(row.state) as T) : undefined;
  }

  putState(runId: string, state: unknown): void {
    this.sql.exec("INSERT OR REPLACE INTO run_state (run_id, state) VALUES (?, ?)", runId, JSON.stringify(state));
  }

  /** Runs that may still change on their own: the engine advances these on every request. */
  activeRunIds(): string[] {
    return this.sql
      .exec<{ id: string }>(
        "SELECT id FROM objects WHERE kind = 'run' AND json_extract(json, '$.status') IN ('queued', 'in_progress', 'requires_action', 'cancelling') ORDER BY seq",
      )
      .toArray()
      .map((row) => row.id);
  }

  appendEvent(runId: string, event: string, data: unknown): void {
    this.sql.exec(
      "INSERT INTO events (run_id, seq, event, data) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE run_id = ?), ?, ?)",
      runId,
      runId,
      event,
      JSON.stringify(data),
    );
  }

  lastEventSeq(runId: string): number {
    return this.sql
      .exec<{ seq: number }>("SELECT COALESCE(MAX(seq), 0) AS seq FROM events WHERE run_id = ?", runId)
      .one().seq;
  }

  eventsAfter(runId: string, seq: number): StoredEvent[] {
    return this.sql
      .exec<{ seq: number; event: string; data: string }>(
        "SELECT seq, event, data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq",
        runId,
        seq,
      )
      .toArray();
  }
}
