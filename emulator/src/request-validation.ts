// Validates request bodies against the upstream's own JSON Schemas (spec/), plus the limits the spec states only in prose.
import { Validator, type OutputUnit } from "@cfworker/json-schema";
import assistantsSpec from "../../spec/assistants-runs-schemas.json";
import { badRequest } from "./api-error";

/** A generated schema document (spec/*-schemas.json): JSON Schema under `components.schemas`. */
export type SchemaDocument = { components: { schemas: Record<string, unknown> } };

const validators = new Map<SchemaDocument, Map<string, Validator>>();

function validatorFor(document: SchemaDocument, schemaName: string): Validator {
  const byName = validators.get(document) ?? new Map<string, Validator>();
  validators.set(document, byName);
  let validator = byName.get(schemaName);
  if (!validator) {
    const root = { ...document, $id: "https://runcast.invalid/spec", $ref: `#/components/schemas/${schemaName}` };
    validator = new Validator(root as object, "2020-12", false);
    byName.set(schemaName, validator);
  }
  return validator;
}

/** `#/tool_outputs/0/output` becomes `tool_outputs[0].output`, the form the upstream names params in. */
export function toParam(instanceLocation: string, property?: string): string {
  const parts = instanceLocation.replace(/^#\/?/, "").split("/").filter(Boolean);
  if (property) parts.push(property);
  return parts.reduce(
    (param, part) => (/^\d+$/.test(part) ? `${param}[${part}]` : param ? `${param}.${part}` : part),
    "",
  );
}

const COMBINATORS = new Set([
  "$ref",
  "properties",
  "items",
  "anyOf",
  "oneOf",
  "allOf",
  "prefixItems",
  "additionalProperties",
]);

/** The most specific failure: the deepest leaf error, skipping the "or null" branch of nullable fields. */
function mostSpecific(errors: OutputUnit[]): OutputUnit | undefined {
  const additional = errors.find((e) => e.keyword === "additionalProperties");
  if (additional) return additional;
  const leaves = errors.filter(
    (e) => !COMBINATORS.has(e.keyword) && e.keyword !== "false" && !/Expected "null"/.test(e.error),
  );
  return leaves.sort((a, b) => b.instanceLocation.length - a.instanceLocation.length)[0] ?? errors.at(-1);
}

/** Validates a parsed body against a named request schema of the spec (or a flavour's variant of it). */
export type BodyValidator = (schemaName: string, body: unknown) => void;

/** Checks `body` against a schema of the Assistants spec, or of `document` when given; the first failure is a 400. */
export function validateBody(schemaName: string, body: unknown, document: SchemaDocument = assistantsSpec): void {
  const result = validatorFor(document, schemaName).validate(body);
  if (result.valid) return;
  const error = mostSpecific(result.errors);
  if (!error) throw badRequest("Invalid request body.");
  if (error.keyword === "additionalProperties") {
    const property = /Property "([^"]*)"/.exec(error.error)?.[1] ?? "";
    const param = toParam(error.instanceLocation, property);
    throw badRequest(`Unknown parameter: '${param}'.`, param, "unknown_parameter");
  }
  if (error.keyword === "required") {
    const property = /property "([^"]*)"/.exec(error.error)?.[1] ?? "";
    const param = toParam(error.instanceLocation, property);
    throw badRequest(`Missing required parameter: '${param}'.`, param, "missing_required_parameter");
  }
  const param = toParam(error.instanceLocation) || null;
  if (error.keyword === "type") {
    const [, got, expected] = /type "([^"]*)" is invalid\. Expected "([^"]*)"/.exec(error.error) ?? [];
    throw badRequest(
      `Invalid type for '${param}': expected ${expected ?? "another type"}, but got ${got ?? "something else"} instead.`,
      param,
      "invalid_type",
    );
  }
  throw badRequest(`Invalid value for '${param}': ${error.error}`, param, "invalid_value");
}

/** Limits the spec gives in prose only: 16 metadata pairs, keys of at most 64 characters, values of at most 512. */
export function validateMetadata(metadata: unknown, param = "metadata"): void {
  if (metadata === null || metadata === undefined) return;
  const entries = Object.entries(metadata as Record<string, unknown>);
  if (entries.length > 16)
    throw badRequest(
      `Invalid '${param}': too many properties. Expected an object with at most 16 properties, but got an object with ${entries.length} properties instead.`,
      param,
      "object_above_max_properties",
    );
  for (const [key, value] of entries) {
    if (key.length > 64)
      throw badRequest(
        `Invalid '${param}': string too long. Expected a key with maximum length 64, but got a key with length ${key.length} instead.`,
        param,
        "string_above_max_length",
      );
    if (typeof value === "string" && value.length > 512)
      throw badRequest(
        `Invalid '${param}.${key}': string too long. Expected a string with maximum length 512, but got a string with length ${value.length} instead.`,
        `${param}.${key}`,
        "string_above_max_length",
      );
  }
}

const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Function names (a-z, A-Z, 0-9, _ and -, at most 64) and a named tool_choice must name a function. */
export function validateTools(body: { tools?: unknown; tool_choice?: unknown }, maxTools: number): void {
  const tools = Array.isArray(body.tools) ? (body.tools as Array<{ type: string; function?: { name: string } }>) : [];
  if (tools.length > maxTools)
    throw badRequest(
      `Invalid 'tools': array too long. Expected an array with maximum length ${maxTools}, but got an array with length ${tools.length} instead.`,
      "tools",
      "array_above_max_length",
    );
  tools.forEach((tool, index) => {
    if (tool.type === "function" && !FUNCTION_NAME.test(tool.function?.name ?? ""))
      throw badRequest(
        `Invalid 'tools[${index}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$' with at most 64 characters.`,
        `tools[${index}].function.name`,
        "invalid_value",
      );
  });
  const choice = body.tool_choice as { type?: string; function?: { name?: string } } | undefined;
  if (choice && typeof choice === "object" && choice.type === "function" && !choice.function?.name)
    throw badRequest(
      "Missing required parameter: 'tool_choice.function'.",
      "tool_choice.function",
      "missing_required_parameter",
    );
}

export async function readJson(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    );
  }
}
