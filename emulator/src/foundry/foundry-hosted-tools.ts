// Foundry's hosted tools for the run engine: MCP servers (listing, calls, approvals) and grounding searches, planned as steps.
import { badRequest } from "../api-error";
import { newId } from "../ids";
import type { Run } from "../objects";
import { argumentText } from "../reply";
import type { RequiredAction, StepDetails } from "../run-plan";
import type { HostedTools, ToolResult } from "../hosted-tools";
import {
  approvalMode,
  isMcpTool,
  listToolsActivity,
  mcpOutput,
  needsApproval,
  plannedMcpCall,
  type McpCall,
} from "./mcp-server";

/** Grounding tools the service runs at once, and how a run step records one call of each. */
const GROUNDING: Record<string, (query: string) => Record<string, unknown>> = {
  bing_grounding: (query) => ({
    requesturl: `https://api.bing.microsoft.com/v7.0/search?q=${encodeURIComponent(query)}`,
  }),
  azure_ai_search: (query) => ({ input: query, output: `3 documents for "${query}"` }),
};

/** A grounding tool is called when the last user message names its type (`bing_grounding`, `azure_ai_search`). */
function groundingCall(type: string, message: string) {
  if (!new RegExp(`\\b${type}\\b`).test(message)) return null;
  const query = argumentText(message, type, []);
  return {
    call: { id: newId("call"), type, [type]: GROUNDING[type]!(query) },
    result: { name: type, output: `web results for "${query}"` },
  };
}

/** Steps record calls of Azure's own types, which the Assistants types do not list. */
const toolCallsStep = (calls: unknown[]) => ({ type: "tool_calls", tool_calls: calls }) as unknown as StepDetails;

function approvalAction(calls: McpCall[]): RequiredAction {
  return {
    type: "submit_tool_approval",
    submit_tool_approval: {
      tool_calls: calls.map(({ id, type, name, arguments: args, server_label }) => ({
        id,
        type,
        name,
        arguments: args,
        server_label,
      })),
    },
  } as unknown as RequiredAction;
}

export const foundryHostedTools: HostedTools = {
  plan({ run, userText, toolResources }) {
    const tools = run.tools as unknown as Array<{ type: string }>;
    const servers = tools.filter(isMcpTool);
    const steps: StepDetails[] = [];
    // Foundry lists each MCP server's tools at the start of every run that has one.
    if (servers.length)
      steps.push({ type: "activities", activities: servers.map(listToolsActivity) } as unknown as StepDetails);

    const done: unknown[] = [];
    const pending: McpCall[] = [];
    const results: ToolResult[] = [];
    for (const tool of run.tool_choice === "none" ? [] : tools) {
      if (tool.type in GROUNDING) {
        const planned = groundingCall(tool.type, userText);
        if (planned) {
          done.push(planned.call);
          results.push(planned.result);
        }
      } else if (isMcpTool(tool)) {
        const call = plannedMcpCall(tool, userText);
        if (!call) continue;
        if (needsApproval(approvalMode(tool, toolResources), call.name)) pending.push(call);
        else {
          const output = mcpOutput(call);
          done.push({ ...call, output });
          results.push({ name: `${call.server_label}.${call.name}`, output });
        }
      }
    }
    if (done.length) steps.push(toolCallsStep(done));
    if (!steps.length && !pending.length) return null;
    const approval = pending.length
      ? { details: toolCallsStep(pending), required_action: approvalAction(pending) }
      : null;
    return { segment: { steps, approval }, results };
  },

  approve(run, approvals) {
    const pending = (run.required_action as unknown as { submit_tool_approval: { tool_calls: McpCall[] } })
      .submit_tool_approval.tool_calls;
    const given = new Map<string, boolean>();
    (approvals as Array<{ tool_call_id: string; approve: boolean }>).forEach(({ tool_call_id, approve }, index) => {
      if (given.has(tool_call_id))
        throw badRequest(
          `Duplicate tool approval for tool call '${tool_call_id}'.`,
          `tool_approvals[${index}].tool_call_id`,
        );
      given.set(tool_call_id, approve);
    });
    const expected = pending.map((call) => call.id);
    if (given.size !== expected.length || !expected.every((id) => given.has(id)))
      throw badRequest(
        `Expected tool approvals for call_ids ${JSON.stringify(expected)}, got ${JSON.stringify([...given.keys()])}`,
        "tool_approvals",
      );
    const outputs: Record<string, string> = {};
    const results: ToolResult[] = [];
    // A denied call is never made: its output stays null and the reply goes on without it.
    for (const call of pending.filter((candidate) => given.get(candidate.id))) {
      outputs[call.id] = mcpOutput(call);
      results.push({ name: `${call.server_label}.${call.name}`, output: outputs[call.id]! });
    }
    return { outputs, results };
  },
};
