// Validation of upstream-shaped values against the spec's own schemas (spec/assistants-runs-schemas.json, JSON Schema 2020-12),
// with @cfworker/json-schema: it runs in workerd, where validators that compile with eval (ajv) cannot.
import { Validator, type OutputUnit, type Schema } from "@cfworker/json-schema";
import { expect } from "vitest";
import spec from "../../spec/assistants-runs-schemas.json";

export type SchemaName = keyof typeof spec.components.schemas;

const validators = new Map<SchemaName, Validator>();

/** One 2020-12 validator per schema: the whole document as root (so every `$ref` resolves), entered at `#/components/schemas/<name>`. */
function validatorFor(schemaName: SchemaName): Validator {
  let validator = validators.get(schemaName);
  if (!validator) {
    if (!(schemaName in spec.components.schemas)) throw new Error(`no schema named ${schemaName} in the spec`);
    const root = { ...spec, $id: "https://runcast.invalid/spec", $ref: `#/components/schemas/${schemaName}` };
    // shortCircuit off: every failure is reported, not only the first.
    validator = new Validator(root as Schema, "2020-12", false);
    validators.set(schemaName, validator);
  }
  return validator;
}

/** Every error the validator reports for `value` against the named schema; empty when valid. */
export function schemaErrors(schemaName: SchemaName, value: unknown): OutputUnit[] {
  const result = validatorFor(schemaName).validate(value);
  return result.valid ? [] : result.errors;
}

const MAX_SHOWN = 25;

/** Fails the test with the validator's own errors unless `value` validates against the named schema. */
export function expectValid(schemaName: SchemaName, value: unknown, context = ""): void {
  const errors = schemaErrors(schemaName, value);
  if (errors.length === 0) return;
  // Deepest first: the leaf error says what is wrong, the enclosing $ref/properties/anyOf errors only where.
  const shown = [...errors].sort((a, b) => b.instanceLocation.length - a.instanceLocation.length).slice(0, MAX_SHOWN);
  const lines = shown.map((e) => `  ${e.instanceLocation} [${e.keywordLocation}] ${e.error}`);
  if (errors.length > MAX_SHOWN) lines.push(`  … and ${errors.length - MAX_SHOWN} more`);
  const json = JSON.stringify(value);
  expect.fail(
    `${context ? `${context}: ` : ""}value does not validate against ${schemaName}:\n${lines.join("\n")}\nvalue: ${json.length > 2000 ? `${json.slice(0, 2000)}…` : json}`,
  );
}
