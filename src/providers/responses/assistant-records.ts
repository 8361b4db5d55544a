// Runcast's assistants for the Responses provider (Responses has no assistants, and prompts cannot be made by API):
// each is the Assistants object, kept in SQLite, and every run sends its settings inline.
import type { Assistant, ListPage } from "../provider";
import { newId } from "./ids";
import { page, type PageQuery } from "./pages";
import { notFound } from "./rpc-outcome";
import { seconds } from "./run-objects";
import type { Sql } from "./thread-store";

/** What an assistant is created or modified with, in the Assistants API's fields. */
export interface AssistantInput {
  model?: string;
  name?: string | null;
  description?: string | null;
  instructions?: string | null;
  tools?: Assistant["tools"];
  metadata?: Record<string, string> | null;
  temperature?: number | null;
  top_p?: number | null;
  response_format?: Assistant["response_format"];
  tool_resources?: Assistant["tool_resources"];
}

export class AssistantRecords {
  constructor(private readonly sql: Sql) {
    sql.exec(
      `CREATE TABLE IF NOT EXISTS assistants (pos INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, json TEXT NOT NULL)`,
    );
  }

  create(input: AssistantInput & { model: string }, id: string = newId("asst")): Assistant {
    const assistant: Assistant = {
      id,
      object: "assistant",
      created_at: seconds(Date.now()),
      name: input.name ?? null,
      description: input.description ?? null,
      model: input.model,
      instructions: input.instructions ?? null,
      tools: input.tools ?? [],
      metadata: input.metadata ?? {},
      temperature: input.temperature ?? 1,
      top_p: input.top_p ?? 1,
      response_format: input.response_format ?? "auto",
      tool_resources: input.tool_resources ?? {},
    };
    this.sql.exec(`INSERT INTO assistants (id, json) VALUES (?, ?)`, id, JSON.stringify(assistant));
    return assistant;
  }

  retrieve(id: string): Assistant {
    const row = this.sql.exec<{ json: string }>(`SELECT json FROM assistants WHERE id = ?`, id).toArray()[0];
    if (!row) throw notFound("assistant", id);
    return JSON.parse(row.json) as Assistant;
  }

  update(id: string, input: AssistantInput): Assistant {
    const defined = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
    const assistant = { ...this.retrieve(id), ...defined } as Assistant;
    this.sql.exec(`UPDATE assistants SET json = ? WHERE id = ?`, JSON.stringify(assistant), id);
    return assistant;
  }

  delete(id: string) {
    this.retrieve(id);
    this.sql.exec(`DELETE FROM assistants WHERE id = ?`, id);
    return { id, object: "assistant.deleted" as const, deleted: true };
  }

  list(query: PageQuery): ListPage<Assistant> {
    const rows = this.sql.exec<{ json: string }>(`SELECT json FROM assistants ORDER BY pos`).toArray();
    return page(
      rows.map((row) => JSON.parse(row.json) as Assistant),
      query,
    );
  }
}
