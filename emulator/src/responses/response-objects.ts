// The Responses and Conversations API's objects as the upstream sends them, and builders with every key it sends.
import { newId, randomText } from "../ids";

export type Metadata = Record<string, string>;
export type ItemStatus = "in_progress" | "completed" | "incomplete";
export type ResponseStatus = "queued" | "in_progress" | "completed" | "failed" | "incomplete" | "cancelled";

export type OutputText = {
  type: "output_text";
  text: string;
  annotations: unknown[];
  logprobs: unknown[];
};

/** A content part as stored: input_text / output_text parts, or any other part (images, files) kept as sent. */
export type ContentPart = { type: string; text?: string } & Record<string, unknown>;

export interface MessageItem {
  type: "message";
  id: string;
  status: ItemStatus;
  role: "user" | "assistant" | "system" | "developer";
  content: ContentPart[];
}

export interface FunctionCallItem {
  type: "function_call";
  id: string;
  call_id: string;
  name: string;
  arguments: string;
  status: ItemStatus;
}

export interface FunctionCallOutputItem {
  type: "function_call_output";
  id: string;
  call_id: string;
  output: string | ContentPart[];
  status: ItemStatus;
}

/** Every item the emulator stores: the ones a function-tool conversation is made of. */
export type Item = MessageItem | FunctionCallItem | FunctionCallOutputItem;
export type OutputItem = MessageItem | FunctionCallItem;

export interface FunctionTool {
  type: "function";
  name: string;
  description?: string | null;
  parameters: Record<string, unknown> | null;
  strict: boolean | null;
}

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface ResponseError {
  code: "server_error" | "rate_limit_exceeded" | "invalid_prompt";
  message: string;
}

export interface ResponseObject {
  id: string;
  object: "response";
  created_at: number;
  status: ResponseStatus;
  background: boolean;
  completed_at: number | null;
  conversation: { id: string } | null;
  error: ResponseError | null;
  incomplete_details: { reason: "max_output_tokens" | "content_filter" } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  max_tool_calls: number | null;
  metadata: Metadata;
  model: string;
  output: OutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  prompt_cache_key: string | null;
  reasoning: { effort: string | null; summary: string | null };
  safety_identifier: string | null;
  service_tier: string;
  store: boolean;
  temperature: number;
  text: { format: unknown; verbosity: string };
  tool_choice: unknown;
  tools: unknown[];
  top_logprobs: number;
  top_p: number;
  truncation: "auto" | "disabled";
  /** null until the response ends, and on a cancelled one, as the upstream sends it (the spec's schema says object only). */
  usage: ResponseUsage | null;
}

export interface ConversationObject {
  id: string;
  object: "conversation";
  created_at: number;
  metadata: Metadata;
}

/** The create body, as far as the emulator reads it; the spec's schema has already checked it. */
export interface CreateResponseBody {
  model?: string;
  instructions?: string | null;
  input?: string | InputItemParam[];
  tools?: FunctionTool[] | null;
  tool_choice?: unknown;
  parallel_tool_calls?: boolean | null;
  background?: boolean | null;
  stream?: boolean | null;
  stream_options?: { include_obfuscation?: boolean } | null;
  store?: boolean | null;
  previous_response_id?: string | null;
  conversation?: string | { id: string } | null;
  metadata?: Metadata | null;
  max_output_tokens?: number | null;
  max_tool_calls?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  top_logprobs?: number | null;
  text?: { format?: unknown; verbosity?: string | null } | null;
  reasoning?: { effort?: string | null; summary?: string | null } | null;
  truncation?: "auto" | "disabled" | null;
  service_tier?: string | null;
  prompt_cache_key?: string | null;
  safety_identifier?: string | null;
}

/** An input item as a caller sends it (already schema-checked); `type` may be left out of a message. */
export type InputItemParam = {
  type?: string;
  id?: string | null;
  role?: string;
  content?: string | ContentPart[];
  call_id?: string | null;
  output?: string | ContentPart[];
  name?: string;
  arguments?: string;
  status?: string | null;
};

export const seconds = (ms: number) => Math.floor(ms / 1000);

const textPart = (role: MessageItem["role"], text: string): ContentPart =>
  role === "assistant" ? { type: "output_text", text, annotations: [], logprobs: [] } : { type: "input_text", text };

/** A caller's input item as the upstream stores it: given an id and a status, a string content turned into one part. */
export function storedItem(param: InputItemParam): Item {
  switch (param.type ?? "message") {
    case "function_call_output":
      return {
        type: "function_call_output",
        id: newId("fco"),
        call_id: param.call_id ?? "",
        output: param.output ?? "",
        status: "completed",
      };
    case "function_call":
      return {
        type: "function_call",
        id: param.id ?? newId("fc"),
        call_id: param.call_id ?? "",
        name: param.name ?? "",
        arguments: param.arguments ?? "",
        status: "completed",
      };
    default: {
      const role = (param.role ?? "user") as MessageItem["role"];
      const content =
        typeof param.content === "string"
          ? [textPart(role, param.content)]
          : (param.content ?? []).map((part) =>
              part.type === "output_text" ? { annotations: [], logprobs: [], ...part } : part,
            );
      return { type: "message", id: param.id ?? newId("msg"), status: "completed", role, content };
    }
  }
}

/** The text of a message item's text parts, joined; other parts count for nothing. */
export const itemText = (item: MessageItem) =>
  item.content
    .map((part) => (typeof part.text === "string" ? part.text : ""))
    .filter(Boolean)
    .join("\n");

export function newResponse(
  id: string,
  now: number,
  body: CreateResponseBody,
  conversationId: string | null,
): ResponseObject {
  const background = body.background ?? false;
  return {
    id,
    object: "response",
    created_at: seconds(now),
    // A background response waits in the queue first; a foreground one is worked on at once.
    status: background ? "queued" : "in_progress",
    background,
    completed_at: null,
    conversation: conversationId ? { id: conversationId } : null,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    max_tool_calls: body.max_tool_calls ?? null,
    metadata: body.metadata ?? {},
    model: body.model ?? "",
    output: [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    prompt_cache_key: body.prompt_cache_key ?? null,
    reasoning: { effort: body.reasoning?.effort ?? null, summary: body.reasoning?.summary ?? null },
    safety_identifier: body.safety_identifier ?? null,
    service_tier: body.service_tier && body.service_tier !== "auto" ? body.service_tier : "default",
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: { format: body.text?.format ?? { type: "text" }, verbosity: body.text?.verbosity ?? "medium" },
    tool_choice: body.tool_choice ?? "auto",
    tools: (body.tools ?? []).map((tool) => ({ description: null, ...tool })),
    top_logprobs: body.top_logprobs ?? 0,
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? "disabled",
    usage: null,
  };
}

export function newConversation(id: string, now: number, metadata: Metadata | null | undefined): ConversationObject {
  return { id, object: "conversation", created_at: seconds(now), metadata: metadata ?? {} };
}

/**
 * Delta events carry `obfuscation`, random padding that hides the length of the delta on the wire, unless the caller
 * turned it off (`stream_options.include_obfuscation: false`, or `include_obfuscation=false` on a resume).
 */
export const obfuscation = (delta: string) => randomText(Math.max(1, 16 - delta.length));
