// Tool outputs (or, for Foundry's MCP calls, approvals) collected by tool_call_id from any subscriber, until every call
// of a requires_action has its answer.
import { TRPCError } from "@trpc/server";
import type { Run } from "../providers/provider";
import { requiredCalls } from "../schemas/required-action";
import { isApproval, type ToolAnswer } from "../schemas/runs";

export interface Collected {
  /** Answers of this round, in the order of the run's tool calls, once all are there. */
  complete: ToolAnswer[] | null;
  received: string[];
  pending: string[];
}

/** `approval` holds an approval's JSON (`{approve, headers}`); an output's row leaves it null. */
const SCHEMA =
  "CREATE TABLE IF NOT EXISTS tool_outputs (round TEXT NOT NULL, tool_call_id TEXT NOT NULL, output TEXT NOT NULL, approval TEXT, PRIMARY KEY (round, tool_call_id))";

/** What the run waits for: outputs (the Assistants API) or approvals (Foundry's MCP calls), and of which calls. */
export function awaited(run: Run): { kind: "outputs" | "approvals"; calls: string[] } {
  const { kind, calls } = requiredCalls(run);
  return { kind, calls: calls.map((call) => call.id) };
}

/** A round is one requires_action, named by its calls' ids; a later requires_action starts a new round. */
export const roundOf = (run: Run) => awaited(run).calls.join(",");

const alreadyAnswered = (callId: string) =>
  new TRPCError({ code: "CONFLICT", message: `Tool call ${callId} already has its output.` });

export class ToolOutputs {
  constructor(private readonly sql: SqlStorage) {}

  create(): void {
    this.sql.exec(SCHEMA);
    // Hubs that held a round before approvals existed have the table without its last column.
    const columns = this.sql.exec<{ name: string }>("PRAGMA table_info(tool_outputs)").toArray();
    if (!columns.some((column) => column.name === "approval"))
      this.sql.exec("ALTER TABLE tool_outputs ADD COLUMN approval TEXT");
  }

  /**
   * Adds outputs for a run in requires_action. A call that already has its output (in this round or an
   * earlier one, however late the repeat comes) is CONFLICT, naming the call; so is any call of a round whose
   * outputs are already on their way upstream (`closed`). Calls the run never asked for, and repeats within
   * one request, are BAD_REQUEST. Nothing is stored unless all pass.
   */
  add(run: Run, outputs: ToolAnswer[], closed = false): Collected {
    const answered = this.answeredAmong(outputs.map((output) => output.tool_call_id));
    const waiting = run.status === "requires_action" && run.required_action;
    const { kind, calls: awaitedCalls } = awaited(run);
    const calls = waiting ? awaitedCalls : [];
    const seen = new Set<string>();
    for (const answer of outputs) {
      const { tool_call_id } = answer;
      if (seen.has(tool_call_id))
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: `Tool call ${tool_call_id} appears twice in this request.`,
        });
      seen.add(tool_call_id);
      if (answered.has(tool_call_id) || (closed && calls.includes(tool_call_id))) throw alreadyAnswered(tool_call_id);
      if (!waiting)
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: `Run ${run.id} is not waiting for tool outputs (status ${run.status}).`,
        });
      if (!calls.includes(tool_call_id))
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: `Tool call ${tool_call_id} is not one the run is waiting for (${calls.join(", ")}).`,
        });
      if (isApproval(answer) !== (kind === "approvals"))
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: `Run ${run.id} waits for tool ${kind} (send them as tool_${kind}), not ${kind === "approvals" ? "outputs" : "approvals"}.`,
        });
    }
    const round = roundOf(run);
    for (const answer of outputs)
      this.sql.exec(
        "INSERT INTO tool_outputs (round, tool_call_id, output, approval) VALUES (?, ?, ?, ?)",
        round,
        answer.tool_call_id,
        isApproval(answer) ? "" : answer.output,
        isApproval(answer) ? JSON.stringify({ approve: answer.approve, headers: answer.headers }) : null,
      );
    return this.collected(run);
  }

  /** Which of these calls already have an output, in any round the hub has seen (a run's rounds are few and small). */
  private answeredAmong(ids: string[]): Set<string> {
    const wanted = new Set(ids);
    const rows = this.sql.exec<{ tool_call_id: string }>("SELECT tool_call_id FROM tool_outputs").toArray();
    return new Set(rows.map((row) => row.tool_call_id).filter((id) => wanted.has(id)));
  }

  /** Drops the headers of a round's approvals once the upstream has them: nothing secret stays at rest. */
  forgetHeaders(round: string): void {
    const rows = this.sql
      .exec<{ tool_call_id: string; approval: string }>(
        "SELECT tool_call_id, approval FROM tool_outputs WHERE round = ? AND approval IS NOT NULL",
        round,
      )
      .toArray();
    for (const row of rows) {
      const { approve } = JSON.parse(row.approval) as { approve: boolean };
      this.sql.exec(
        "UPDATE tool_outputs SET approval = ? WHERE round = ? AND tool_call_id = ?",
        JSON.stringify({ approve }),
        round,
        row.tool_call_id,
      );
    }
  }

  /** Forgets a round's outputs: they were collected but never reached the upstream (the hub restarted mid-submission). */
  clear(run: Run): void {
    this.sql.exec("DELETE FROM tool_outputs WHERE round = ?", roundOf(run));
  }

  /** Takes outputs back out (their submission failed upstream), so they can be sent again. */
  remove(run: Run, toolCallIds: string[]): Collected {
    const round = roundOf(run);
    for (const id of toolCallIds)
      this.sql.exec("DELETE FROM tool_outputs WHERE round = ? AND tool_call_id = ?", round, id);
    return this.collected(run);
  }

  collected(run: Run): Collected {
    const round = roundOf(run);
    const { calls } = awaited(run);
    const stored = new Map<string, ToolAnswer>(
      this.sql
        .exec<{ tool_call_id: string; output: string; approval: string | null }>(
          "SELECT tool_call_id, output, approval FROM tool_outputs WHERE round = ?",
          round,
        )
        .toArray()
        .map((row) => [
          row.tool_call_id,
          row.approval === null
            ? { tool_call_id: row.tool_call_id, output: row.output }
            : { tool_call_id: row.tool_call_id, ...(JSON.parse(row.approval) as { approve: boolean }) },
        ]),
    );
    const received = calls.filter((id) => stored.has(id));
    const pending = calls.filter((id) => !stored.has(id));
    const complete = pending.length === 0 && calls.length > 0 ? calls.map((id) => stored.get(id)!) : null;
    return { complete, received, pending };
  }
}
