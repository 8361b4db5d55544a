// Property-based fuzzing of the assistant, thread and message routes (/v1 and /trpc): near-valid bodies with one or more
// fields spoiled, and malformed ids. Every input the gateway's own schema refuses must be a 400 in the right shape, never a
// 5xx, and must not reach the upstream (an emulator fault armed for the whole run must still be armed after each input).
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { assistantRef, createAssistantInput, updateAssistantInput } from "../src/schemas/assistants";
import {
  createMessageInput,
  createThreadInput,
  messageRef,
  threadRef,
  updateThreadInput,
} from "../src/schemas/threads";
import { GATEWAY, WEATHER_TOOL, gatewayFetch, resetEmulatorSettings, setEmulatorSettings } from "./helpers/emulator";
import { emulatorSettings, runcastClient } from "./helpers/runcast";

const SEED = 20261121;
const RUNS = 1000;
const FAULT = { status: 500, count: 1, retry_after: 0 };

let assistantId = "";
let threadId = "";

beforeAll(async () => {
  const runcast = runcastClient();
  assistantId = (await runcast.assistants.create.mutate({ model: "gpt-4o" })).id;
  threadId = (await runcast.threads.create.mutate({})).id;
  await setEmulatorSettings({ http_errors: FAULT });
});

afterAll(async () => {
  await resetEmulatorSettings();
});

/** A value that is sometimes right for its field and often not: wrong types, limits crossed, strange strings. */
const spoiled = <T>(good: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 2, arbitrary: good as fc.Arbitrary<unknown> },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    { weight: 1, arbitrary: fc.constantFrom(null, "", "x".repeat(600), -1, 1e308, [], {}, "__proto__") },
  );

const metadata = fc.dictionary(fc.string({ maxLength: 70 }), fc.oneof(fc.string({ maxLength: 520 }), fc.integer()), {
  maxKeys: 18,
});
const message = fc.record(
  {
    role: spoiled(fc.constantFrom("user", "assistant")),
    content: spoiled(fc.oneof(fc.string(), fc.constant([{ type: "text", text: "hi" }]))),
    attachments: spoiled(fc.constant([{ file_id: "file_a" }])),
    metadata: spoiled(metadata),
  },
  { requiredKeys: [] },
);
const assistantFields = {
  model: spoiled(fc.constantFrom("gpt-4o", "gpt-4o-mini")),
  name: spoiled(fc.string({ maxLength: 260 })),
  description: spoiled(fc.string({ maxLength: 520 })),
  instructions: spoiled(fc.string()),
  reasoning_effort: spoiled(fc.constantFrom("low", "high", "extreme")),
  tools: spoiled(
    fc.array(fc.constantFrom(WEATHER_TOOL, { type: "code_interpreter" }, { type: "web" }), { maxLength: 3 }),
  ),
  metadata: spoiled(metadata),
  temperature: spoiled(fc.double({ min: -1, max: 3, noNaN: true })),
  top_p: spoiled(fc.double({ min: -1, max: 2, noNaN: true })),
  response_format: spoiled(fc.constantFrom("auto", { type: "json_object" }, { type: "yaml" })),
  tool_resources: spoiled(fc.constant({ code_interpreter: { file_ids: ["file_a"] } })),
  stray: fc.jsonValue({ maxDepth: 1 }),
};
const threadFields = {
  messages: spoiled(fc.array(message, { maxLength: 3 })),
  metadata: spoiled(metadata),
  tool_resources: spoiled(fc.constant({ file_search: { vector_store_ids: ["vs_a"] } })),
  stray: fc.jsonValue({ maxDepth: 1 }),
};

interface Case {
  /** The procedure the route calls (also the tRPC path). */
  route: string;
  method: "POST" | "GET" | "DELETE";
  path: string;
  body?: Record<string, unknown>;
  /** What the procedure validates: the body with the path's ids, as the route hands it on. */
  input: unknown;
  schema: z.ZodType;
}

const bodyCase = (
  route: string,
  fields: Record<string, fc.Arbitrary<unknown>>,
  schema: z.ZodType,
  path: () => string,
  ids: () => Record<string, string>,
): fc.Arbitrary<Case> =>
  fc
    .record(fields, { requiredKeys: [] })
    .map((body) => ({ route, method: "POST" as const, path: path(), body, input: { ...body, ...ids() }, schema }));

const badId = fc.oneof(
  fc.constantFrom("a b", "x".repeat(129), "-leading", "id.with.dots", "ümlaut"),
  // Not ids, yet still one path segment after URL normalisation (no separators, not a dot segment).
  fc
    .string({ minLength: 1, maxLength: 20 })
    .filter((s) => !/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(s) && !/[/?#%\\]/.test(s) && !/^\.+$/.test(s)),
);
const idCase = fc
  .record({
    id: badId,
    which: fc.constantFrom("assistant", "thread", "message"),
    method: fc.constantFrom("GET" as const, "DELETE" as const),
  })
  .map(({ id, which, method }): Case => {
    const encoded = encodeURIComponent(id);
    if (which === "message")
      return {
        route: "threads.messages.retrieve",
        method: "GET",
        path: `/threads/${threadId}/messages/${encoded}`,
        input: { thread_id: threadId, message_id: id },
        schema: messageRef,
      };
    return {
      route: `${which}s.${method === "GET" ? "retrieve" : "delete"}`,
      method,
      path: `/${which}s/${encoded}`,
      input: { [`${which}_id`]: id },
      schema: which === "assistant" ? assistantRef : threadRef,
    };
  });

const cases: fc.Arbitrary<Case> = fc.oneof(
  bodyCase(
    "assistants.create",
    assistantFields,
    createAssistantInput,
    () => "/assistants",
    () => ({}),
  ),
  bodyCase(
    "assistants.update",
    assistantFields,
    updateAssistantInput,
    () => `/assistants/${assistantId}`,
    () => ({ assistant_id: assistantId }),
  ),
  bodyCase(
    "threads.create",
    threadFields,
    createThreadInput,
    () => "/threads",
    () => ({}),
  ),
  bodyCase(
    "threads.update",
    threadFields,
    updateThreadInput,
    () => `/threads/${threadId}`,
    () => ({ thread_id: threadId }),
  ),
  fc.constant(null).chain(() =>
    message.map((body): Case => ({
      route: "threads.messages.create",
      method: "POST",
      path: `/threads/${threadId}/messages`,
      body,
      input: { ...body, thread_id: threadId },
      schema: createMessageInput,
    })),
  ),
  idCase,
);

const covered = new Map<string, number>();

describe("assistant, thread and message inputs", () => {
  it(`${RUNS} spoiled inputs over REST and tRPC: each refused one is a 400 naming a field, and the upstream is untouched`, async () => {
    await fc.assert(
      fc.asyncProperty(
        cases.filter((c) => !c.schema.safeParse(c.input).success),
        fc.boolean(),
        async (c, overTrpc) => {
          covered.set(c.route, (covered.get(c.route) ?? 0) + 1);
          const context = `${c.route} ${c.method} ${c.path} ${JSON.stringify(c.body ?? null).slice(0, 300)}`;
          if (overTrpc && c.method === "POST") {
            const response = await gatewayFetch(`${GATEWAY}/trpc/${c.route}`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(c.input),
            });
            expect(response.status, context).toBe(400);
            const { error } = (await response.json()) as { error: { data: { code: string; fields: unknown[] } } };
            expect(error.data.code, context).toBe("BAD_REQUEST");
            expect(error.data.fields.length, context).toBeGreaterThan(0);
          } else {
            const response = await gatewayFetch(`${GATEWAY}/v1${c.path}`, {
              method: c.method,
              headers: { "content-type": "application/json", authorization: "Bearer x" },
              ...(c.body === undefined ? {} : { body: JSON.stringify(c.body) }),
            });
            const text = await response.text();
            expect(response.status, `${context} → ${text.slice(0, 300)}`).toBe(400);
            const { error } = JSON.parse(text) as { error: { type: string; param: string | null; message: string } };
            expect(error.type, context).toBe("invalid_request_error");
            expect(error.param, context).not.toBeNull();
          }
          expect((await emulatorSettings()).http_errors, `the upstream was called: ${context}`).toEqual(FAULT);
        },
      ),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    console.log(`assistants fuzz coverage (seed ${SEED}): ${JSON.stringify(Object.fromEntries(covered))}`);
    for (const route of [
      "assistants.create",
      "assistants.update",
      "threads.create",
      "threads.update",
      "threads.messages.create",
      "assistants.retrieve",
      "threads.delete",
      "threads.messages.retrieve",
    ])
      expect(covered.get(route) ?? 0, route).toBeGreaterThan(10);
  }, 120_000);
});
