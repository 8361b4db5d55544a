// Validation of upstream-shaped values against the specs' own schemas (spec/*-schemas.json, JSON Schema 2020-12),
// with @cfworker/json-schema: it runs in workerd, where validators that compile with eval (ajv) cannot.
import { Validator, type OutputUnit, type Schema } from "@cfworker/json-schema";
import { expect } from "vitest";
import spec from "../../spec/assistants-runs-schemas.json";
import responsesSpec from "../../spec/responses-schemas.json";

export type SchemaName = keyof typeof spec.components.schemas;
export type ResponsesSchemaName = keyof typeof responsesSpec.components.schemas;

const MAX_SHOWN = 25;

/** Validators for one generated schema document: `schemaErrors` lists what is wrong, `expectValid` fails the test on it. */
function schemaValidation<Name extends string>(document: { components: { schemas: Record<string, unknown> } }) {
  const validators = new Map<Name, Validator>();

  /** One 2020-12 validator per schema: the whole document as root (so every `$ref` resolves), entered at `#/components/schemas/<name>`. */
  function validatorFor(schemaName: Name): Validator {
    let validator = validators.get(schemaName);
    if (!validator) {
      if (!(schemaName in document.components.schemas)) throw new Error(`no schema named ${schemaName} in the spec`);
      const root = { ...document, $id: "https://runcast.invalid/spec", $ref: `#/components/schemas/${schemaName}` };
      // shortCircuit off: every failure is reported, not only the first.
      validator = new Validator(root as Schema, "2020-12", false);
      validators.set(schemaName, validator);
    }
    return validator;
  }

  /** Every error the validator reports for `value` against the named schema; empty when valid. */
  function schemaErrors(schemaName: Name, value: unknown): OutputUnit[] {
    const result = validatorFor(schemaName).validate(value);
    return result.valid ? [] : result.errors;
  }

  /** Fails the test with the validator's own errors unless `value` validates against the named schema. */
  function expectValid(schemaName: Name, value: unknown, context = ""): void {
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

  return { schemaErrors, expectValid };
}

/** The Assistants spec (spec/assistants-runs-schemas.json). */
export const { schemaErrors, expectValid } = schemaValidation<SchemaName>(spec);

/** The Responses and Conversations spec (spec/responses-schemas.json). */
export const responsesSchemas = schemaValidation<ResponsesSchemaName>(responsesSpec);
