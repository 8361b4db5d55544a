// Builders for the upstream's objects, with every required key present (null where the upstream sends null).
import type { Assistant } from "openai/resources/beta/assistants";
import type { Message } from "openai/resources/beta/threads/messages";
import type { Run } from "openai/resources/beta/threads/runs/runs";
import type { RunStep } from "openai/resources/beta/threads/runs/steps";
import type { Thread } from "openai/resources/beta/threads/threads";
import { newId } from "./ids";

export type { Assistant, Message, Run, RunStep, Thread };

export const seconds = (ms: number) => Math.floor(ms / 1000);

type Metadata = Record<string, string>;

export function newThread(
  id: string,
  now: number,
  body: { metadata?: Metadata | null; tool_resources?: unknown },
): Thread {
  return {
    id,
    object: "thread",
    created_at: seconds(now),
    metadata: body.metadata ?? {},
    tool_resources: (body.tool_resources ?? {}) as Thread["tool_resources"],
  };
}

type ContentPart =
  | { type: "text"; text: string }
  | { type: "image_file"; image_file: { file_id: string; detail?: string } }
  | { type: "image_url"; image_url: { url: string; detail?: string } };

export interface CreateMessageBody {
  role: "user" | "assistant";
  content: string | ContentPart[];
  attachments?: Message["attachments"];
  metadata?: Metadata | null;
}

/** A message added by a caller (thread creation, `additional_messages`, or `POST …/messages`): complete at once. */
export function newMessage(threadId: string, now: number, body: CreateMessageBody): Message {
  const parts: ContentPart[] = typeof body.content === "string" ? [{ type: "text", text: body.content }] : body.content;
  const content = parts.map((part) => {
    switch (part.type) {
      case "text":
        return { type: "text", text: { value: part.text, annotations: [] } };
      case "image_file":
        return { type: "image_file", image_file: { detail: "auto", ...part.image_file } };
      case "image_url":
        return { type: "image_url", image_url: { detail: "auto", ...part.image_url } };
    }
  }) as Message["content"];
  return {
    id: newId("msg"),
    object: "thread.message",
    created_at: seconds(now),
    thread_id: threadId,
    status: "completed",
    incomplete_details: null,
    completed_at: seconds(now),
    incomplete_at: null,
    role: body.role,
    content,
    assistant_id: null,
    run_id: null,
    attachments: body.attachments ?? [],
    metadata: body.metadata ?? {},
  };
}

/** The assistant's reply, created empty and filled by deltas. */
export function newReplyMessage(run: Run, id: string, now: number): Message {
  return {
    id,
    object: "thread.message",
    created_at: seconds(now),
    thread_id: run.thread_id,
    status: "in_progress",
    incomplete_details: null,
    completed_at: null,
    incomplete_at: null,
    role: "assistant",
    content: [],
    assistant_id: run.assistant_id,
    run_id: run.id,
    attachments: [],
    metadata: {},
  };
}

export function newStep(run: Run, id: string, now: number, details: RunStep["step_details"]): RunStep {
  return {
    id,
    object: "thread.run.step",
    created_at: seconds(now),
    assistant_id: run.assistant_id,
    thread_id: run.thread_id,
    run_id: run.id,
    type: details.type,
    status: "in_progress",
    step_details: details,
    last_error: null,
    expired_at: null,
    cancelled_at: null,
    failed_at: null,
    completed_at: null,
    metadata: {},
    usage: null,
  };
}

/** The run's settings after merging the request over its assistant's, with the upstream's resolved defaults. */
export interface RunSettings {
  assistant: Assistant;
  model?: string | null;
  instructions?: string | null;
  additional_instructions?: string | null;
  tools?: Run["tools"] | null;
  metadata?: Metadata | null;
  temperature?: number | null;
  top_p?: number | null;
  max_prompt_tokens?: number | null;
  max_completion_tokens?: number | null;
  truncation_strategy?: Run["truncation_strategy"];
  tool_choice?: Run["tool_choice"];
  parallel_tool_calls?: boolean | null;
  response_format?: Run["response_format"];
}

export function newRun(threadId: string, now: number, expiresInSeconds: number, settings: RunSettings): Run {
  const { assistant } = settings;
  const instructions = [settings.instructions ?? assistant.instructions ?? "", settings.additional_instructions ?? ""]
    .filter(Boolean)
    .join("\n\n");
  return {
    id: newId("run"),
    object: "thread.run",
    created_at: seconds(now),
    thread_id: threadId,
    assistant_id: assistant.id,
    status: "queued",
    required_action: null,
    last_error: null,
    expires_at: seconds(now) + expiresInSeconds,
    started_at: null,
    cancelled_at: null,
    failed_at: null,
    completed_at: null,
    incomplete_details: null,
    model: settings.model ?? assistant.model,
    instructions,
    tools: settings.tools ?? assistant.tools,
    metadata: settings.metadata ?? {},
    usage: null,
    temperature: settings.temperature ?? assistant.temperature ?? 1,
    top_p: settings.top_p ?? assistant.top_p ?? 1,
    max_prompt_tokens: settings.max_prompt_tokens ?? null,
    max_completion_tokens: settings.max_completion_tokens ?? null,
    truncation_strategy: settings.truncation_strategy ?? { type: "auto", last_messages: null },
    tool_choice: settings.tool_choice ?? "auto",
    parallel_tool_calls: settings.parallel_tool_calls ?? true,
    response_format: settings.response_format ?? assistant.response_format ?? "auto",
  };
}

/** The text of a message's text parts, joined; images count for nothing. */
export const messageText = (message: Message) =>
  message.content
    .map((part) => (part.type === "text" ? part.text.value : ""))
    .filter(Boolean)
    .join("\n");
