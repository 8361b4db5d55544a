// SQLite storage of one home: its conversation, its responses with their private state and event logs, and the items
// both are made of, each item stored once and listed (in order) by the conversation and by the response it was input to.
import { pageQuery, toListResponse, type ListResponse, type PageParams } from "../pagination";
import type { ConversationObject, Item, ResponseObject } from "./response-objects";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, json TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE IF NOT EXISTS responses (id TEXT PRIMARY KEY, json TEXT NOT NULL, state TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, json TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS lists (list_id TEXT NOT NULL, seq INTEGER NOT NULL, item_id TEXT NOT NULL, PRIMARY KEY (list_id, seq));
  CREATE TABLE IF NOT EXISTS events (
    response_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (response_id, seq)
  );
`;

export type StoredEvent = {
  seq: number;
  type: string;
  data: string;
};

/** Typed access to one home's tables. Takes only the `sql` handle, so it can be used without the Durable Object. */
export class ResponseStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Reading never creates tables, so a lookup of an unknown id leaves no storage behind. */
  exists(): boolean {
    return (
      this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'responses'").toArray().length > 0
    );
  }

  create(): void {
    this.sql.exec(SCHEMA);
  }

  private one<T>(query: string, ...bindings: unknown[]): T | undefined {
    if (!this.exists()) return undefined;
    const row = this.sql.exec<{ json: string }>(query, ...bindings).toArray()[0];
    return row ? (JSON.parse(row.json) as T) : undefined;
  }

  conversation(id: string): ConversationObject | undefined {
    return this.one("SELECT json FROM conversations WHERE id = ? AND deleted = 0", id);
  }

  putConversation(conversation: ConversationObject): void {
    this.sql.exec(
      "INSERT INTO conversations (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json",
      conversation.id,
      JSON.stringify(conversation),
    );
  }

  /** A deleted conversation answers 404 from then on; its items stay stored, as the upstream says they do. */
  deleteConversation(id: string): void {
    this.sql.exec("UPDATE conversations SET deleted = 1 WHERE id = ?", id);
  }

  item(id: string): Item | undefined {
    return this.one("SELECT json FROM items WHERE id = ?", id);
  }

  putItem(item: Item): void {
    this.sql.exec(
      "INSERT INTO items (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json",
      item.id,
      JSON.stringify(item),
    );
  }

  /** Stores the items and appends them, in order, to a list: a conversation's items or a response's input items. */
  append(listId: string, items: Item[]): void {
    for (const item of items) {
      this.putItem(item);
      this.sql.exec(
        "INSERT INTO lists (list_id, seq, item_id) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM lists), ?)",
        listId,
        item.id,
      );
    }
  }

  listed(listId: string): Item[] {
    if (!this.exists()) return [];
    return this.sql
      .exec<{ json: string }>(
        "SELECT items.json FROM lists JOIN items ON items.id = lists.item_id WHERE list_id = ? ORDER BY seq",
        listId,
      )
      .toArray()
      .map((row) => JSON.parse(row.json) as Item);
  }

  isListed(listId: string, itemId: string): boolean {
    return this.sql.exec("SELECT 1 FROM lists WHERE list_id = ? AND item_id = ?", listId, itemId).toArray().length > 0;
  }

  unlist(listId: string, itemId: string): void {
    this.sql.exec("DELETE FROM lists WHERE list_id = ? AND item_id = ?", listId, itemId);
  }

  /** One page of a list, with the upstream's cursor semantics (`after` an item id, in the chosen order). */
  page(listId: string, params: PageParams): ListResponse<Item> {
    const seqOf = (id: string | undefined) => {
      if (id === undefined) return undefined;
      const row = this.sql
        .exec<{ seq: number }>("SELECT seq FROM lists WHERE list_id = ? AND item_id = ?", listId, id)
        .toArray()[0];
      return row?.seq ?? Number.NaN;
    };
    const cursors = { after: seqOf(params.after), before: seqOf(params.before) };
    // An unknown cursor id matches nothing, as a cursor past the end would.
    if (Number.isNaN(cursors.after) || Number.isNaN(cursors.before))
      return toListResponse<Item>([], params.limit, false);
    const query = pageQuery(params, cursors);
    const where = ["list_id = ?", ...query.bounds].join(" AND ");
    const rows = this.sql
      .exec<{ json: string }>(
        `SELECT items.json FROM lists JOIN items ON items.id = lists.item_id WHERE ${where} ORDER BY ${query.orderBy} LIMIT ?`,
        listId,
        ...query.bindings,
        query.fetch,
      )
      .toArray();
    return toListResponse(
      rows.map((row) => JSON.parse(row.json) as Item),
      params.limit,
      query.reverse,
    );
  }

  response(id: string): ResponseObject | undefined {
    return this.one("SELECT json FROM responses WHERE id = ?", id);
  }

  insertResponse(response: ResponseObject, state: unknown): void {
    this.sql.exec(
      "INSERT INTO responses (id, json, state) VALUES (?, ?, ?)",
      response.id,
      JSON.stringify(response),
      JSON.stringify(state),
    );
  }

  updateResponse(response: ResponseObject): void {
    this.sql.exec("UPDATE responses SET json = ? WHERE id = ?", JSON.stringify(response), response.id);
  }

  deleteResponse(id: string): void {
    this.sql.exec("DELETE FROM responses WHERE id = ?", id);
    this.sql.exec("DELETE FROM events WHERE response_id = ?", id);
  }

  state<T>(id: string): T | undefined {
    if (!this.exists()) return undefined;
    const row = this.sql.exec<{ state: string }>("SELECT state FROM responses WHERE id = ?", id).toArray()[0];
    return row ? (JSON.parse(row.state) as T) : undefined;
  }

  putState(id: string, state: unknown): void {
    this.sql.exec("UPDATE responses SET state = ? WHERE id = ?", JSON.stringify(state), id);
  }

  /** Responses that may still change on their own; `conversationId` narrows them to one conversation's. */
  activeResponseIds(conversationId?: string): string[] {
    if (!this.exists()) return [];
    const active = "json_extract(json, '$.status') IN ('queued', 'in_progress')";
    const rows =
      conversationId === undefined
        ? this.sql.exec<{ id: string }>(`SELECT id FROM responses WHERE ${active}`)
        : this.sql.exec<{ id: string }>(
            `SELECT id FROM responses WHERE ${active} AND json_extract(json, '$.conversation.id') = ?`,
            conversationId,
          );
    return rows.toArray().map((row) => row.id);
  }

  /**
   * Appends an event with the response's next sequence number (from 0) and returns that number. The payload is stored
   * as the wire sends it: `type`, then `sequence_number`, then the rest.
   */
  appendEvent(responseId: string, type: string, payload: Record<string, unknown>): number {
    const seq = this.sql
      .exec<{ seq: number }>("SELECT COALESCE(MAX(seq), -1) + 1 AS seq FROM events WHERE response_id = ?", responseId)
      .one().seq;
    const data = JSON.stringify({ type, sequence_number: seq, ...payload });
    this.sql.exec("INSERT INTO events (response_id, seq, type, data) VALUES (?, ?, ?, ?)", responseId, seq, type, data);
    return seq;
  }

  /** The log after `seq`, without keepalives: those belong to the connection that sent them, so others see a gap. */
  eventsAfter(responseId: string, seq: number): StoredEvent[] {
    return this.sql
      .exec<StoredEvent>(
        "SELECT seq, type, data FROM events WHERE response_id = ? AND seq > ? AND type != 'keepalive' ORDER BY seq",
        responseId,
        seq,
      )
      .toArray();
  }
}
