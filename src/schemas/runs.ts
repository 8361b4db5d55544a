// Inputs of the run procedures, in the upstream's own field names (snake_case), shared by tRPC and the REST surface.
import * as z from "zod";
import { listQuery, messageInput, metadata, runOptions } from "./common";
import { assistantId, runId, stepId, threadId, toolCallId } from "./ids";

export const runRef = z.strictObject({ thread_id: threadId, run_id: runId });

export const createRunInput = z.strictObject({
  thread_id: threadId,
  assistant_id: assistantId,
  ...runOptions,
  additional_instructions: z.string().max(256_000).nullish(),
  additional_messages: z.array(messageInput).max(32).nullish(),
});

export const createThreadAndRunInput = z.strictObject({
  assistant_id: assistantId,
  thread: z
    .strictObject({
      messages: z.array(messageInput).max(32).optional(),
      metadata: metadata.nullish(),
      tool_resources: z.record(z.string(), z.unknown()).nullish(),
    })
    .optional(),
  tool_resources: z.record(z.string(), z.unknown()).nullish(),
  ...runOptions,
});

export const listRunsInput = z.strictObject({ thread_id: threadId, ...listQuery });

export const updateRunInput = runRef.extend({ metadata: metadata.nullable() });

export const toolOutput = z.strictObject({
  tool_call_id: toolCallId,
  output: z.string({ error: "a tool output is a string (serialise objects yourself)" }).max(1_000_000),
});

/** Foundry's MCP approvals (`required_action.type = "submit_tool_approval"`), answered on the same route as outputs. */
export const toolApproval = z.strictObject({
  tool_call_id: toolCallId,
  approve: z.boolean({ error: "approve is true or false" }),
  headers: z
    .record(z.string().max(256), z.string().max(8_192))
    .refine((headers) => Object.keys(headers).length <= 32, { error: "at most 32 headers" })
    .optional(),
});

export const submitToolOutputsInput = runRef
  .extend({
    tool_outputs: z.array(toolOutput).max(128).optional(),
    tool_approvals: z.array(toolApproval).max(128).optional(),
  })
  .superRefine((input, ctx) => {
    if (!input.tool_outputs?.length && !input.tool_approvals?.length)
      ctx.addIssue({ code: "custom", path: ["tool_outputs"], message: "send at least one tool output" });
  });

/** A call's answer: an output, or (Foundry's MCP calls) an approval. */
export type ToolAnswer = ToolOutput | ToolApproval;
export type ToolApproval = z.infer<typeof toolApproval>;

/** Outputs and approvals of one request, as the hub collects them: one list, by call id. */
export const toolAnswers = (input: { tool_outputs?: ToolOutput[]; tool_approvals?: ToolApproval[] }): ToolAnswer[] => [
  ...(input.tool_outputs ?? []),
  ...(input.tool_approvals ?? []),
];

export const isApproval = (answer: ToolAnswer): answer is ToolApproval => "approve" in answer;

const include = z.array(z.literal("step_details.tool_calls[*].file_search.results[*].content")).optional();

export const listStepsInput = runRef.extend({ ...listQuery, include });
export const retrieveStepInput = runRef.extend({ step_id: stepId, include });

/** The live event subscription: from the start, or after the last event id a subscriber saw. */
export const runEventsInput = runRef.extend({
  lastEventId: z
    .string()
    .regex(/^\d{1,15}$/, { error: "must be an event id returned by this subscription" })
    .nullish(),
});

export const listAssistantsInput = z.strictObject({ ...listQuery });

export const listMessagesInput = z.strictObject({ thread_id: threadId, ...listQuery, run_id: runId.optional() });

export type CreateRunInput = z.infer<typeof createRunInput>;
export type CreateThreadAndRunInput = z.infer<typeof createThreadAndRunInput>;
export type ListRunsInput = z.infer<typeof listRunsInput>;
export type ListStepsInput = z.infer<typeof listStepsInput>;
export type ListMessagesInput = z.infer<typeof listMessagesInput>;
export type ToolOutput = z.infer<typeof toolOutput>;
