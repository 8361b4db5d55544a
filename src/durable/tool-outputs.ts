// Tool outputs collected by tool_call_id from any subscriber, until every call of a requires_action has one.
import { TRPCError } from "@trpc/server";
import type { Run } from "../providers/provider";
import type { ToolOutput } from "../rpc/schemas/runs";

export interface Collected {
  /** Outputs of this round, in the order of the run's tool calls, once all are there. */
  complete: ToolOutput[] | null;
  received: string[];
  pending: string[];
}

const SCHEMA = "CREATE TABLE IF NOT EXISTS tool_outputs (round TEXT NOT NULL, tool_call_id TEXT NOT NULL, output TEXT NOT NULL, PRIMARY KEY (round, tool_call_id))";

/** A round is one requires_action, named by its calls' ids; a later requires_action starts a new round. */
export const roundOf = (run: Run) => (run.required_action?.submit_tool_outputs.tool_calls ?? []).map((call) => call.id).join(",");

export class ToolOutputs {
  constructor(private readonly sql: SqlStorage) {}

  create(): void {
    this.sql.exec(SCHEMA);
  }

  /**
   * Adds outputs for a run in requires_action. Unknown calls and repeats within one request are
   * BAD_REQUEST, a call that already has its output is CONFLICT; nothing is stored unless all pass.
   */
  add(run: Run, outputs: ToolOutput[]): Collected {
    if (run.status !== "requires_action" || !run.required_action)
      throw new TRPCError({ code: "BAD_REQUEST", message: `Run ${run.id} is not waiting for tool outputs (status ${run.status}).` });
    const round = roundOf(run);
    const calls = run.required_action.submit_tool_outputs.tool_calls.map((call) => call.id);
    const have = new Set(this.sql.exec<{ tool_call_id: string }>("SELECT tool_call_id FROM tool_outputs WHERE round = ?", round).toArray().map((row) => row.tool_call_id));
    const seen = new Set<string>();
    for (const { tool_call_id } of outputs) {
      if (!calls.includes(tool_call_id)) throw new TRPCError({ code: "BAD_REQUEST", message: `Tool call ${tool_call_id} is not one the run is waiting for (${calls.join(", ")}).` });
      if (seen.has(tool_call_id)) throw new TRPCError({ code: "BAD_REQUEST", message: `Tool call ${tool_call_id} appears twice in this request.` });
      if (have.has(tool_call_id)) throw new TRPCError({ code: "CONFLICT", message: `Tool call ${tool_call_id} already has its output.` });
      seen.add(tool_call_id);
    }
    for (const { tool_call_id, output } of outputs) this.sql.exec("INSERT INTO tool_outputs (round, tool_call_id, output) VALUES (?, ?, ?)", round, tool_call_id, output);
    return this.collected(run);
  }

  /** Takes outputs back out (their submission failed upstream), so they can be sent again. */
  remove(run: Run, toolCallIds: string[]): Collected {
    const round = roundOf(run);
    for (const id of toolCallIds) this.sql.exec("DELETE FROM tool_outputs WHERE round = ? AND tool_call_id = ?", round, id);
    return this.collected(run);
  }

  collected(run: Run): Collected {
    const round = roundOf(run);
    const calls = (run.required_action?.submit_tool_outputs.tool_calls ?? []).map((call) => call.id);
    const stored = new Map(this.sql.exec<{ tool_call_id: string; output: string }>("SELECT tool_call_id, output FROM tool_outputs WHERE round = ?", round).toArray().map((row) => [row.tool_call_id, row.output]));
    const received = calls.filter((id) => stored.has(id));
    const pending = calls.filter((id) => !stored.has(id));
    const complete = pending.length === 0 && calls.length > 0 ? calls.map((id) => ({ tool_call_id: id, output: stored.get(id)! })) : null;
    return { complete, received, pending };
  }
}
