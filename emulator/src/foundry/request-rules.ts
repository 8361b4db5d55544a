// Foundry's request bodies: the Assistants schemas plus Azure's own tool types, run-level tool resources and tool approvals.
import { badRequest } from "../api-error";
import { validateBody } from "../request-validation";

/** Tool types only Azure knows (tools/models.tsp and the MCP preview); they are stored and passed through. */
export const AZURE_TOOL_TYPES = new Set([
  "mcp",
  "bing_grounding",
  "bing_custom_search",
  "azure_ai_search",
  "sharepoint_grounding",
  "fabric_dataagent",
  "openapi",
  "azure_function",
  "connected_agent",
  "deep_research",
  "browser_automation",
]);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const missing = (param: string) =>
  badRequest(`Missing required parameter: '${param}'.`, param, "missing_required_parameter");
const invalidType = (param: string, expected: string, value: unknown) =>
  badRequest(
    `Invalid type for '${param}': expected ${expected}, but got ${Array.isArray(value) ? "an array" : typeof value} instead.`,
    param,
    "invalid_type",
  );

const SERVER_LABEL = /^[A-Za-z0-9_-]{1,64}$/;

function validateMcpTool(tool: Json, param: string): void {
  if (tool.server_label === undefined) throw missing(`${param}.server_label`);
  if (typeof tool.server_label !== "string" || !SERVER_LABEL.test(tool.server_label))
    throw badRequest(
      `Invalid '${param}.server_label': expected letters, digits, '_' or '-' (at most 64).`,
      `${param}.server_label`,
      "invalid_value",
    );
  if (tool.server_url === undefined) throw missing(`${param}.server_url`);
  if (typeof tool.server_url !== "string" || !/^https?:\/\/\S+$/.test(tool.server_url))
    throw badRequest(`Invalid '${param}.server_url': expected an http(s) URL.`, `${param}.server_url`, "invalid_value");
  const allowed = tool.allowed_tools;
  if (allowed !== undefined && !(Array.isArray(allowed) && allowed.every((name) => typeof name === "string")))
    throw invalidType(`${param}.allowed_tools`, "an array of strings", allowed);
  validateApprovalMode(tool.require_approval, `${param}.require_approval`);
}

/** `always`, `never`, or `{always?: {tool_names}, never?: {tool_names}}` (MCPToolResource.require_approval). */
export function validateApprovalMode(mode: unknown, param: string): void {
  if (mode === undefined || mode === null || mode === "always" || mode === "never") return;
  if (isObject(mode) && Object.keys(mode).every((key) => key === "always" || key === "never")) return;
  throw badRequest(
    `Invalid value for '${param}': expected 'always', 'never' or an object with 'always'/'never' tool names.`,
    param,
    "invalid_value",
  );
}

function validateToolResources(resources: unknown, param: string): void {
  if (resources === undefined || resources === null) return;
  if (!isObject(resources)) throw invalidType(param, "an object", resources);
  const mcp = resources.mcp;
  if (mcp === undefined) return;
  if (!Array.isArray(mcp)) throw invalidType(`${param}.mcp`, "an array", mcp);
  mcp.forEach((entry, index) => {
    const at = `${param}.mcp[${index}]`;
    if (!isObject(entry)) throw invalidType(at, "an object", entry);
    if (typeof entry.server_label !== "string") throw missing(`${at}.server_label`);
    validateApprovalMode(entry.require_approval, `${at}.require_approval`);
  });
}

function validateApprovals(approvals: unknown): void {
  if (!Array.isArray(approvals)) throw invalidType("tool_approvals", "an array", approvals);
  approvals.forEach((approval, index) => {
    const at = `tool_approvals[${index}]`;
    if (!isObject(approval)) throw invalidType(at, "an object", approval);
    if (approval.tool_call_id === undefined) throw missing(`${at}.tool_call_id`);
    if (typeof approval.tool_call_id !== "string")
      throw invalidType(`${at}.tool_call_id`, "a string", approval.tool_call_id);
    if (approval.approve === undefined) throw missing(`${at}.approve`);
    if (typeof approval.approve !== "boolean") throw invalidType(`${at}.approve`, "a boolean", approval.approve);
    const headers = approval.headers;
    if (headers !== undefined && headers !== null && !isObject(headers))
      throw invalidType(`${at}.headers`, "an object", headers);
  });
}

/**
 * Validates a Foundry body: Azure's parts are checked here, and what is left must satisfy the Assistants schema.
 * An Azure tool is swapped for a `code_interpreter` placeholder, not dropped, so errors keep naming the right index.
 */
export function validateFoundryBody(schemaName: string, body: unknown): void {
  if (!isObject(body)) return validateBody(schemaName, body);
  const rest: Json = { ...body };
  if (Array.isArray(body.tools))
    rest.tools = body.tools.map((tool: unknown, index) => {
      if (!isObject(tool) || typeof tool.type !== "string" || !AZURE_TOOL_TYPES.has(tool.type)) return tool;
      if (tool.type === "mcp") validateMcpTool(tool, `tools[${index}]`);
      return { type: "code_interpreter" };
    });
  if (isObject(body.tool_choice) && AZURE_TOOL_TYPES.has(String(body.tool_choice.type))) delete rest.tool_choice;
  validateToolResources(body.tool_resources, "tool_resources");
  // Azure's CreateRunOptions takes tool resources; OpenAI's run creation has no such field.
  if (schemaName === "CreateRunRequest") delete rest.tool_resources;
  if (isObject(body.thread)) validateToolResources(body.thread.tool_resources, "thread.tool_resources");
  if (schemaName === "SubmitToolOutputsRunRequest" && body.tool_approvals !== undefined) {
    validateApprovals(body.tool_approvals);
    if (body.tool_outputs !== undefined)
      throw badRequest("Submit either 'tool_outputs' or 'tool_approvals', not both.", "tool_approvals");
    delete rest.tool_approvals;
    rest.tool_outputs = [];
  }
  validateBody(schemaName, rest);
}
