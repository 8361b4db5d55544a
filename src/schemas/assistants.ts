// Inputs of the assistant procedures (CreateAssistantRequest, ModifyAssistantRequest), with the upstream's limits.
import * as z from "zod";
import { metadata, responseFormat, tool } from "./common";
import { assistantId } from "./ids";
import { newToolResources, toolResourcesChange } from "./tool-resources";

const model = z.string({ error: "must be a model name (a string)" }).min(1).max(256);

/** What creation and modification share; every field may be left out. */
const assistantFields = {
  name: z.string().max(256, { error: "names are at most 256 characters" }).nullish(),
  description: z.string().max(512, { error: "descriptions are at most 512 characters" }).nullish(),
  instructions: z.string().max(256_000, { error: "instructions are at most 256000 characters" }).nullish(),
  reasoning_effort: z.enum(["none", "minimal", "low", "medium", "high", "xhigh", "max"]).nullish(),
  tools: z.array(tool).max(128, { error: "an assistant takes at most 128 tools" }).optional(),
  metadata: metadata.nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  response_format: responseFormat.nullish(),
};

export const assistantRef = z.strictObject({ assistant_id: assistantId });

export const createAssistantInput = z.strictObject({
  model,
  ...assistantFields,
  tool_resources: newToolResources.nullish(),
});

export const updateAssistantInput = assistantRef.extend({
  model: model.optional(),
  ...assistantFields,
  tool_resources: toolResourcesChange.nullish(),
});

export type CreateAssistantInput = z.infer<typeof createAssistantInput>;
export type UpdateAssistantInput = z.infer<typeof updateAssistantInput>;
