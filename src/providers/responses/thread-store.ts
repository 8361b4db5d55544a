// A thread's records in its Durable Object's SQLite: the thread (and its conversation), its messages in order (the
// ids are the conversation's item ids), and its runs with their steps and where their responses stand.
import type { Thread } from "openai/resources/beta/threads/threads";
import type { Message } from "../provider";
import type { RunState } from "./run-objects";

/** What `SqlStorage` offers that the store uses, so the store can be tested on its own. */
export interface Sql {
  exec<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): { toArray(): T[] };
}

export interface ThreadRecord {
  thread: Thread;
  conversationId: string;
}

/** A run as stored: its working state without its replies, which live with the thread's other messages. */
export type StoredRun = Omit<RunState, "messages">;

export class ThreadStore {
  constructor(private readonly sql: Sql) {
    sql.exec(`CREATE TABLE IF NOT EXISTS thread (id TEXT PRIMARY KEY, json TEXT NOT NULL)`);
    sql.exec(
      `CREATE TABLE IF NOT EXISTS messages (pos INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, run_id TEXT, json TEXT NOT NULL)`,
    );
    sql.exec(
      `CREATE TABLE IF NOT EXISTS runs (pos INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, json TEXT NOT NULL)`,
    );
  }

  thread(): ThreadRecord | null {
    const row = this.sql.exec<{ json: string }>(`SELECT json FROM thread LIMIT 1`).toArray()[0];
    return row ? (JSON.parse(row.json) as ThreadRecord) : null;
  }

  putThread(record: ThreadRecord): void {
    this.sql.exec(`INSERT OR REPLACE INTO thread (id, json) VALUES (?, ?)`, record.thread.id, JSON.stringify(record));
  }

  /** Deleting a thread deletes everything it held. */
  deleteAll(): void {
    this.sql.exec(`DELETE FROM thread`);
    this.sql.exec(`DELETE FROM messages`);
    this.sql.exec(`DELETE FROM runs`);
  }

  putMessage(message: Message): void {
    this.sql.exec(
      `INSERT INTO messages (id, run_id, json) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json`,
      message.id,
      message.run_id,
      JSON.stringify(message),
    );
  }

  message(id: string): Message | null {
    const row = this.sql.exec<{ json: string }>(`SELECT json FROM messages WHERE id = ?`, id).toArray()[0];
    return row ? (JSON.parse(row.json) as Message) : null;
  }

  /** Oldest first; only one run's when `runId` is given. */
  messages(runId?: string): Message[] {
    const rows = runId
      ? this.sql.exec<{ json: string }>(`SELECT json FROM messages WHERE run_id = ? ORDER BY pos`, runId).toArray()
      : this.sql.exec<{ json: string }>(`SELECT json FROM messages ORDER BY pos`).toArray();
    return rows.map((row) => JSON.parse(row.json) as Message);
  }

  run(id: string): RunState | null {
    const row = this.sql.exec<{ json: string }>(`SELECT json FROM runs WHERE id = ?`, id).toArray()[0];
    if (!row) return null;
    return { ...(JSON.parse(row.json) as StoredRun), messages: this.messages(id) };
  }

  /** Every run, oldest first, without its replies (cheap to scan: the one-active-run rule reads them all). */
  runs(): StoredRun[] {
    return this.sql
      .exec<{ json: string }>(`SELECT json FROM runs ORDER BY pos`)
      .toArray()
      .map((row) => JSON.parse(row.json) as StoredRun);
  }

  /** Saves the run, and those of its replies named in `messageIds` (the ones that changed). */
  putRun(state: RunState, messageIds: Iterable<string> = []): void {
    const { messages, ...stored } = state;
    this.sql.exec(
      `INSERT INTO runs (id, json) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json`,
      state.run.id,
      JSON.stringify(stored),
    );
    const changed = new Set(messageIds);
    for (const message of messages) if (changed.has(message.id)) this.putMessage(message);
  }
}
