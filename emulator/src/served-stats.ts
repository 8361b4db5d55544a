// The counts of what the emulator served since the last reset, in SQLite, so they outlive an isolate restart.
import type { ServedRequest } from "./served-request";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS served_routes (
    route TEXT PRIMARY KEY,
    requests INTEGER NOT NULL,
    streams INTEGER NOT NULL,
    polls INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS served_threads (
    thread_id TEXT PRIMARY KEY,
    requests INTEGER NOT NULL,
    last_at INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS served_since (id INTEGER PRIMARY KEY CHECK (id = 1), since INTEGER NOT NULL);
`;

/** What `GET /admin/stats` answers. */
export interface Stats {
  requests: number;
  by_route: Record<string, number>;
  streams_opened: number;
  polls: number;
  /** Per thread named in the path: requests, and when the last one was answered (epoch ms). */
  by_thread: Record<string, { requests: number; last_at: number }>;
  /** Epoch ms of the last reset (or of the first count, if never reset). */
  since: number;
}

/**
 * The served counts of one Durable Object's SQLite. Each write is one synchronous statement, and a Durable Object runs
 * one event at a time, so concurrent requests are each counted exactly once. Takes only the `sql` handle.
 */
export class ServedStats {
  constructor(private readonly sql: SqlStorage) {}

  create(now = Date.now()): void {
    this.sql.exec(SCHEMA);
    this.sql.exec("INSERT OR IGNORE INTO served_since (id, since) VALUES (1, ?)", now);
  }

  record({ route, stream, poll, thread }: ServedRequest, now = Date.now()): void {
    this.sql.exec(
      `INSERT INTO served_routes (route, requests, streams, polls) VALUES (?, 1, ?, ?)
       ON CONFLICT (route) DO UPDATE SET
         requests = requests + 1, streams = streams + excluded.streams, polls = polls + excluded.polls`,
      route,
      stream ? 1 : 0,
      poll ? 1 : 0,
    );
    if (thread)
      this.sql.exec(
        `INSERT INTO served_threads (thread_id, requests, last_at) VALUES (?, 1, ?)
         ON CONFLICT (thread_id) DO UPDATE SET requests = requests + 1, last_at = excluded.last_at`,
        thread,
        now,
      );
  }

  read(): Stats {
    const rows = this.sql
      .exec<{ route: string; requests: number; streams: number; polls: number }>(
        "SELECT route, requests, streams, polls FROM served_routes ORDER BY route",
      )
      .toArray();
    const threads = this.sql
      .exec<{ thread_id: string; requests: number; last_at: number }>(
        "SELECT thread_id, requests, last_at FROM served_threads ORDER BY thread_id",
      )
      .toArray();
    const since = this.sql.exec<{ since: number }>("SELECT since FROM served_since WHERE id = 1").one().since;
    return {
      requests: rows.reduce((sum, row) => sum + row.requests, 0),
      by_route: Object.fromEntries(rows.map((row) => [row.route, row.requests])),
      streams_opened: rows.reduce((sum, row) => sum + row.streams, 0),
      polls: rows.reduce((sum, row) => sum + row.polls, 0),
      by_thread: Object.fromEntries(threads.map(({ thread_id, ...counts }) => [thread_id, counts])),
      since,
    };
  }

  reset(now = Date.now()): void {
    this.sql.exec("DELETE FROM served_routes");
    this.sql.exec("DELETE FROM served_threads");
    this.sql.exec("UPDATE served_since SET since = ? WHERE id = 1", now);
  }
}
