// What a run in requires_action waits for, read from its required_action: outputs of function calls (the Assistants
// API), or approvals of MCP calls (Foundry's `submit_tool_approval`, which the Assistants types do not list). The hub
// collects answers by these calls and the client shows them; both read them here.
import type { RequiredActionFunctionToolCall, Run } from "openai/resources/beta/threads/runs/runs";

/** An MCP tool call that waits for the caller's approval before the service makes it (Foundry). */
export interface ToolApprovalCall {
  id: string;
  type: string;
  name: string;
  /** The call's arguments, as JSON text. */
  arguments: string;
  /** The MCP server the call goes to, as the run's tool names it. */
  server_label: string;
}

export type RequiredCalls =
  { kind: "outputs"; calls: RequiredActionFunctionToolCall[] } | { kind: "approvals"; calls: ToolApprovalCall[] };

interface RequiredActionWire {
  type?: string;
  submit_tool_outputs?: { tool_calls?: RequiredActionFunctionToolCall[] };
  submit_tool_approval?: { tool_calls?: ToolApprovalCall[] };
}

/** The calls the run waits for (none unless it is in requires_action with a required action). */
export function requiredCalls(run: Pick<Run, "required_action">): RequiredCalls {
  const action = run.required_action as RequiredActionWire | null | undefined;
  if (action?.type === "submit_tool_approval")
    return { kind: "approvals", calls: action.submit_tool_approval?.tool_calls ?? [] };
  return { kind: "outputs", calls: action?.submit_tool_outputs?.tool_calls ?? [] };
}
