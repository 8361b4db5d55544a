// Checks Responses and Conversations request bodies against the spec's own schemas (spec/responses-schemas.json), then
// the rules the spec gives only in prose, and the limits of what the emulator emulates; each failure is a clear 400.
import spec from "../../../spec/responses-schemas.json";
import { badRequest } from "../api-error";
import { readJson, validateBody, validateMetadata, type SchemaDocument } from "../request-validation";
import type { CreateResponseBody, InputItemParam, Metadata } from "./response-objects";

const document = spec as SchemaDocument;

/** The top-level properties a schema allows, through its `allOf` members and `$ref`s (the spec's schemas are open). */
function knownProperties(schemaName: string): Set<string> {
  const names = new Set<string>();
  const visit = (node: unknown) => {
    if (!node || typeof node !== "object") return;
    const schema = node as { $ref?: string; allOf?: unknown[]; properties?: Record<string, unknown> };
    if (schema.$ref) visit(document.components.schemas[schema.$ref.split("/").at(-1)!]);
    for (const member of schema.allOf ?? []) visit(member);
    for (const name of Object.keys(schema.properties ?? {})) names.add(name);
  };
  visit(document.components.schemas[schemaName]);
  return names;
}

const CREATE_PROPERTIES = knownProperties("CreateResponse");
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const EMULATED_ITEMS = new Set(["message", "function_call", "function_call_output", "item_reference"]);

function rejectUnknown(body: Record<string, unknown>, known: Set<string>): void {
  const unknown = Object.keys(body).find((key) => !known.has(key));
  if (unknown) throw badRequest(`Unknown parameter: '${unknown}'.`, unknown, "unknown_parameter");
}

/** The body of `POST /responses`, checked; model is required (a prompt template cannot be emulated). */
export async function readCreateResponse(request: Request): Promise<CreateResponseBody> {
  const body = (await readJson(request)) as Record<string, unknown>;
  validateBody("CreateResponse", body, document);
  rejectUnknown(body, CREATE_PROPERTIES);
  const input = body as CreateResponseBody & { prompt?: unknown };
  if (input.prompt !== undefined && input.prompt !== null)
    throw badRequest("The emulator does not emulate prompt templates: send model and instructions.", "prompt");
  if (!input.model) throw badRequest("Missing required parameter: 'model'.", "model", "missing_required_parameter");
  if (input.previous_response_id && input.conversation)
    throw badRequest(
      "Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or 'conversation'.",
      "conversation",
    );
  // Background mode keeps the response to be polled, so it cannot be stateless (the background guide's limits).
  if (input.background && input.store === false)
    throw badRequest("Background mode requires 'store' to be true.", "store");
  validateMetadata(input.metadata);
  validateFunctionTools(input.tools ?? []);
  if (Array.isArray(input.input)) validateItems(input.input, "input");
  return input;
}

function validateFunctionTools(tools: Array<{ type: string; name?: string }>): void {
  if (tools.length > 128)
    throw badRequest(
      `Invalid 'tools': array too long. Expected an array with maximum length 128, but got an array with length ${tools.length} instead.`,
      "tools",
      "array_above_max_length",
    );
  tools.forEach((tool, index) => {
    if (tool.type !== "function")
      throw badRequest(
        `The emulator emulates function tools only; '${tool.type}' is not emulated.`,
        `tools[${index}].type`,
        "unsupported_value",
      );
    if (!FUNCTION_NAME.test(tool.name ?? ""))
      throw badRequest(
        `Invalid 'tools[${index}].name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$' with at most 64 characters.`,
        `tools[${index}].name`,
        "invalid_value",
      );
  });
}

/** Input items the emulator can take: messages, function calls and their outputs, and references to stored items. */
export function validateItems(items: InputItemParam[], param: string): void {
  items.forEach((item, index) => {
    const type = item.type ?? "message";
    if (!EMULATED_ITEMS.has(type))
      throw badRequest(
        `The emulator does not emulate input items of type '${type}'.`,
        `${param}[${index}].type`,
        "unsupported_value",
      );
    if (type === "function_call_output" && !item.call_id)
      throw badRequest(
        `Missing required parameter: '${param}[${index}].call_id'.`,
        `${param}[${index}].call_id`,
        "missing_required_parameter",
      );
  });
}

export async function readCreateConversation(
  request: Request,
): Promise<{ metadata?: Metadata | null; items?: InputItemParam[] | null }> {
  const body = (await readJson(request)) as Record<string, unknown>;
  validateBody("CreateConversationBody", body, document);
  rejectUnknown(body, new Set(["metadata", "items"]));
  const input = body as { metadata?: Metadata | null; items?: InputItemParam[] | null };
  validateMetadata(input.metadata);
  validateItems(input.items ?? [], "items");
  return input;
}

export async function readUpdateConversation(request: Request): Promise<{ metadata: Metadata | null }> {
  const body = (await readJson(request)) as Record<string, unknown>;
  validateBody("UpdateConversationBody", body, document);
  rejectUnknown(body, new Set(["metadata"]));
  const input = body as { metadata: Metadata | null };
  validateMetadata(input.metadata);
  return input;
}

/** `POST /conversations/{id}/items`: 1 to 20 input items (the spec's inline schema). */
export async function readAddItems(request: Request): Promise<InputItemParam[]> {
  const body = (await readJson(request)) as { items?: unknown };
  if (!Array.isArray(body.items))
    throw badRequest("Missing required parameter: 'items'.", "items", "missing_required_parameter");
  rejectUnknown(body as Record<string, unknown>, new Set(["items"]));
  validateBody("CreateConversationBody", { items: body.items }, document);
  const items = body.items as InputItemParam[];
  validateItems(items, "items");
  return items;
}

const INCLUDE_VALUES = new Set((spec.components.schemas.IncludeEnum as { enum: string[] }).enum);

/** `include[]` (or `include`) query values must be ones the spec lists. */
export function validateIncludeQuery(url: URL): void {
  for (const value of [...url.searchParams.getAll("include[]"), ...url.searchParams.getAll("include")])
    if (!INCLUDE_VALUES.has(value))
      throw badRequest(`Invalid value for 'include[]': '${value}' is not supported.`, "include[]", "invalid_value");
}
