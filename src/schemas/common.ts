// Shapes shared by several inputs: metadata, pagination, messages, tools, and the run options the upstream accepts.
import * as z from "zod";
import { upstreamId } from "./ids";

/** Up to 16 pairs, keys of at most 64 characters, values of at most 512 (the upstream's documented limits). */
export const metadata = z
  .record(
    z.string(),
    z
      .string({ error: "metadata values must be strings" })
      .max(512, { error: "metadata values are at most 512 characters" }),
  )
  // Keys are checked here, not by a key schema: zod reports a failing key only as "Invalid key in record".
  .superRefine((value, ctx) => {
    for (const key of Object.keys(value))
      if (key.length > 64)
        ctx.addIssue({ code: "custom", path: [key], message: "metadata keys are at most 64 characters" });
    if (Object.keys(value).length > 16) ctx.addIssue({ code: "custom", message: "metadata holds at most 16 pairs" });
  });

export const listQuery = {
  limit: z.number().int().min(1).max(100).optional(),
  order: z.enum(["asc", "desc"]).optional(),
  after: upstreamId("an object").optional(),
  before: upstreamId("an object").optional(),
};

const detail = z.enum(["auto", "low", "high"]).optional();
const contentPart = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("text"), text: z.string() }),
  z.strictObject({
    type: z.literal("image_file"),
    image_file: z.strictObject({ file_id: upstreamId("a file"), detail }),
  }),
  z.strictObject({ type: z.literal("image_url"), image_url: z.strictObject({ url: z.url(), detail }) }),
]);

const attachment = z.strictObject({
  file_id: upstreamId("a file"),
  tools: z
    .array(
      z.discriminatedUnion("type", [
        z.strictObject({ type: z.literal("code_interpreter") }),
        z.strictObject({ type: z.literal("file_search") }),
      ]),
    )
    .optional(),
});

/** A message as the upstream's CreateMessageRequest takes it (thread creation, `additional_messages`). */
export const messageInput = z.strictObject({
  role: z.enum(["user", "assistant"]),
  content: z.union([z.string(), z.array(contentPart).min(1, { error: "content parts cannot be empty" })]),
  attachments: z.array(attachment).nullish(),
  metadata: metadata.nullish(),
});

const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const functionName = z
  .string()
  .regex(FUNCTION_NAME, { error: 'function names use letters, digits, "_" and "-", at most 64 characters' });

/**
 * Azure AI Foundry's own tool types (classic agents), which the Assistants API does not know. Runcast passes them through
 * untouched: their settings are Azure's to check (the `foundry` provider's upstream answers for them), and the other
 * providers refuse them with the upstream's 400.
 */
export const AZURE_TOOL_TYPES = [
  "azure_ai_search",
  "azure_function",
  "bing_custom_search",
  "bing_grounding",
  "browser_automation",
  "connected_agent",
  "deep_research",
  "fabric_dataagent",
  "mcp",
  "openapi",
  "sharepoint_grounding",
] as const;

export const isAzureTool = (tool: { type: string }) => (AZURE_TOOL_TYPES as readonly string[]).includes(tool.type);

export const tool = z.discriminatedUnion("type", [
  z.looseObject({ type: z.enum(AZURE_TOOL_TYPES) }),
  z.strictObject({ type: z.literal("code_interpreter") }),
  z.strictObject({
    type: z.literal("file_search"),
    file_search: z
      .strictObject({
        max_num_results: z.number().int().min(1).max(50).optional(),
        ranking_options: z
          .strictObject({
            ranker: z.enum(["auto", "default_2024_08_21"]).optional(),
            score_threshold: z.number().min(0).max(1),
          })
          .optional(),
      })
      .optional(),
  }),
  z.strictObject({
    type: z.literal("function"),
    function: z.strictObject({
      name: functionName,
      description: z.string().optional(),
      parameters: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

const toolChoice = z.union([
  z.enum(["none", "auto", "required"]),
  z.strictObject({ type: z.literal("function"), function: z.strictObject({ name: functionName }) }),
  z.strictObject({ type: z.literal("code_interpreter") }),
  z.strictObject({ type: z.literal("file_search") }),
]);

export const responseFormat = z.union([
  z.literal("auto"),
  z.strictObject({ type: z.literal("text") }),
  z.strictObject({ type: z.literal("json_object") }),
  z.strictObject({
    type: z.literal("json_schema"),
    json_schema: z.strictObject({
      name: functionName,
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

const tokenLimit = z.number().int().min(256, { error: "token limits are at least 256" }).nullish();

/** The optional fields both run creations take, with the upstream's ranges. */
export const runOptions = {
  model: z.string().min(1).max(256).nullish(),
  instructions: z.string().max(256_000).nullish(),
  tools: z.array(tool).max(20, { error: "a run takes at most 20 tools" }).nullish(),
  metadata: metadata.nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_prompt_tokens: tokenLimit,
  max_completion_tokens: tokenLimit,
  truncation_strategy: z
    .strictObject({ type: z.enum(["auto", "last_messages"]), last_messages: z.number().int().min(1).nullish() })
    .nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: responseFormat.nullish(),
};
