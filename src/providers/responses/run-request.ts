// A run's settings (its assistant's, overridden by the request) and the Responses request each round of it sends:
// instructions, tools and model are re-sent every round, since a response inherits none of them.
import type { ResponseCreateParamsStreaming, ResponseInputItem } from "openai/resources/responses/responses";
import type { Assistant, Run, RunParams } from "../provider";
import type { RunState } from "./run-objects";

/** The Assistants default: a run waits ten minutes for its tool outputs. */
export const DEFAULT_EXPIRES_SECONDS = 600;

/** The smallest `max_output_tokens` Responses accepts; a run with less left of its budget ends incomplete. */
export const MIN_OUTPUT_TOKENS = 16;

export function newRun(options: {
  id: string;
  threadId: string;
  assistant: Assistant;
  params: RunParams;
  now: number;
}): Run {
  const { assistant, params, now } = options;
  const instructions = [params.instructions ?? assistant.instructions ?? "", params.additional_instructions ?? ""]
    .filter(Boolean)
    .join("\n\n");
  return {
    id: options.id,
    object: "thread.run",
    created_at: now,
    thread_id: options.threadId,
    assistant_id: assistant.id,
    status: "queued",
    required_action: null,
    last_error: null,
    // A deadline only while the run waits for tool outputs (translate.ts sets it then): the Responses API has no run
    // deadline, and the hub stops polling a run past its expires_at.
    expires_at: null,
    started_at: null,
    cancelled_at: null,
    failed_at: null,
    completed_at: null,
    incomplete_details: null,
    model: params.model ?? assistant.model,
    instructions,
    tools: (params.tools ?? assistant.tools) as Run["tools"],
    metadata: params.metadata ?? {},
    usage: null,
    temperature: params.temperature ?? assistant.temperature ?? 1,
    top_p: params.top_p ?? assistant.top_p ?? 1,
    max_prompt_tokens: params.max_prompt_tokens ?? null,
    max_completion_tokens: params.max_completion_tokens ?? null,
    truncation_strategy: (params.truncation_strategy ?? {
      type: "auto",
      last_messages: null,
    }) as Run["truncation_strategy"],
    tool_choice: (params.tool_choice ?? "auto") as Run["tool_choice"],
    parallel_tool_calls: params.parallel_tool_calls ?? true,
    response_format: (params.response_format ?? assistant.response_format ?? "auto") as Run["response_format"],
  };
}

type ResponsesTool = NonNullable<ResponseCreateParamsStreaming["tools"]>[number];

/** Assistants tools as Responses takes them: functions flattened; hosted tools kept only where they can work. */
export function responsesTools(tools: Run["tools"]): ResponsesTool[] {
  return tools.flatMap((tool): ResponsesTool[] => {
    if (tool.type === "function")
      return [
        {
          type: "function",
          name: tool.function.name,
          description: tool.function.description ?? null,
          parameters: tool.function.parameters ?? { type: "object", properties: {} },
          strict: tool.function.strict ?? false,
        },
      ];
    if (tool.type === "code_interpreter") return [{ type: "code_interpreter", container: { type: "auto" } }];
    // file_search needs vector store ids, which live in tool_resources Runcast does not keep yet.
    return [];
  });
}

function toolChoice(choice: Run["tool_choice"]): ResponseCreateParamsStreaming["tool_choice"] {
  if (!choice) return undefined;
  if (typeof choice === "string") return choice;
  if (choice.type === "function") return { type: "function", name: choice.function!.name };
  return { type: choice.type };
}

function textFormat(format: Run["response_format"]): ResponseCreateParamsStreaming["text"] {
  if (!format || format === "auto") return undefined;
  if (format.type !== "json_schema") return { format: { type: format.type } };
  const { name, description, schema, strict } = format.json_schema;
  return {
    format: {
      type: "json_schema",
      name,
      schema: schema ?? {},
      ...(description ? { description } : {}),
      ...(strict != null ? { strict } : {}),
    },
  };
}

/**
 * The output budget left for the next round, from `max_completion_tokens` across the chain; null when unlimited,
 * 0 when too little is left for a response (the run then ends incomplete).
 */
export function outputBudget(run: Run): number | null {
  if (run.max_completion_tokens == null) return null;
  const left = run.max_completion_tokens - (run.usage?.completion_tokens ?? 0);
  return left >= MIN_OUTPUT_TOKENS ? left : 0;
}

/** The prompt budget is spent when the chain's input tokens reached `max_prompt_tokens` (checked between rounds). */
export const promptBudgetSpent = (run: Run) =>
  run.max_prompt_tokens != null && (run.usage?.prompt_tokens ?? 0) >= run.max_prompt_tokens;

/**
 * One round's request: a background, streamed, stored response on the thread's conversation. Every round goes on
 * the conversation (not `previous_response_id`, which cannot be combined with it), so the conversation keeps the
 * calls, their outputs and the replies, and the thread's next run starts from all of it.
 */
export function roundRequest(state: RunState, input: ResponseInputItem[]): ResponseCreateParamsStreaming {
  const { run } = state;
  const budget = outputBudget(run);
  const tools = responsesTools(run.tools);
  return {
    model: run.model,
    conversation: state.conversationId,
    input,
    ...(run.instructions ? { instructions: run.instructions } : {}),
    ...(tools.length
      ? { tools, tool_choice: toolChoice(run.tool_choice), parallel_tool_calls: run.parallel_tool_calls }
      : {}),
    ...(textFormat(run.response_format) ? { text: textFormat(run.response_format) } : {}),
    ...(run.temperature != null ? { temperature: run.temperature } : {}),
    ...(run.top_p != null ? { top_p: run.top_p } : {}),
    ...(budget ? { max_output_tokens: budget } : {}),
    metadata: state.responseMetadata,
    background: true,
    stream: true,
    // Sent explicitly: some projects keep background responses only briefly otherwise (PROVIDERS-NOTES, corrections).
    store: true,
  };
}
