// An emulated remote MCP server as Foundry's `mcp` tool sees it: the tools it lists, which one the model calls, what it returns.
import { newId } from "../ids";
import { argumentText } from "../reply";

type ToolNames = { tool_names?: string[] };
/** Who must approve a call (MCPToolResource.require_approval); Foundry asks for approval unless told `never`. */
export type ApprovalMode = "always" | "never" | { always?: ToolNames; never?: ToolNames };

/** The `mcp` tool definition: server_label and server_url, optionally allowed_tools (and the emulator's require_approval). */
export interface McpTool {
  type: "mcp";
  server_label: string;
  server_url: string;
  allowed_tools?: string[];
  require_approval?: ApprovalMode;
}

/** A call to one of the server's tools, as a run step records it. */
export interface McpCall {
  id: string;
  type: "mcp";
  name: string;
  arguments: string;
  server_label: string;
  output: string | null;
}

export const isMcpTool = (tool: { type: string }): tool is McpTool => tool.type === "mcp";

/** The server offers the assistant's `allowed_tools`, or one `search` tool when it lists none. */
export const serverTools = (tool: McpTool) => (tool.allowed_tools?.length ? tool.allowed_tools : ["search"]);

/** The `mcp_list_tools` activity Foundry records when it asks the server for its tools at the start of a run. */
export function listToolsActivity(tool: McpTool) {
  const parameters = {
    type: "object",
    properties: { query: { type: "string", description: "What to look for." } },
    required: ["query"],
    additionalProperties: false,
  };
  return {
    type: "mcp_list_tools",
    id: newId("mcpl"),
    server_label: tool.server_label,
    tools: Object.fromEntries(
      serverTools(tool).map((name) => [name, { description: `${name} on ${tool.server_label}`, parameters }]),
    ),
  };
}

const mentions = (message: string, word: string) => new RegExp(`\\b${word.replace(/-/g, "\\-")}\\b`).test(message);

/**
 * The call rule: a server is called when the last user message names its label or one of its tools; the tool named
 * (else its first) gets the text after the mention as `query`.
 */
export function plannedMcpCall(tool: McpTool, message: string): McpCall | null {
  const names = serverTools(tool);
  const named = names.find((name) => mentions(message, name));
  if (!named && !mentions(message, tool.server_label)) return null;
  const mention = named ?? tool.server_label;
  const query = argumentText(
    message,
    mention,
    [...names, tool.server_label].filter((word) => word !== mention),
  );
  return {
    id: newId("call"),
    type: "mcp",
    name: named ?? names[0]!,
    arguments: JSON.stringify({ query }),
    server_label: tool.server_label,
    output: null,
  };
}

/** What the emulated server answers a call with. */
export function mcpOutput(call: Pick<McpCall, "name" | "arguments" | "server_label">): string {
  const { query } = JSON.parse(call.arguments) as { query: string };
  return `3 results from ${call.server_label} ${call.name} for "${query}"`;
}

/** The approval mode for a server: the first `tool_resources.mcp` entry naming it (run, thread, assistant), else the tool's. */
export function approvalMode(tool: McpTool, toolResources: unknown[]): ApprovalMode | undefined {
  for (const resources of toolResources) {
    const entries = (resources as { mcp?: Array<{ server_label?: string; require_approval?: ApprovalMode }> } | null)
      ?.mcp;
    const entry = entries?.find((candidate) => candidate.server_label === tool.server_label);
    if (entry?.require_approval !== undefined) return entry.require_approval;
  }
  return tool.require_approval;
}

export function needsApproval(mode: ApprovalMode | undefined, toolName: string): boolean {
  if (mode === "never") return false;
  if (mode === undefined || mode === "always") return true;
  if (mode.never?.tool_names?.includes(toolName)) return false;
  return true;
}
