// Builders for the Assistants objects a Responses-backed run is told as (run, step, message), every required key present.
import type { Message, Run, RunStep } from "../provider";

/** An assistant as Runcast keeps it for the Responses provider: everything a run inherits from it. */
export type { Assistant } from "../provider";

export type Usage = NonNullable<Run["usage"]>;

/** A run's working state: the run, its steps and replies, and where the current response stands. */
export interface RunState {
  run: Run;
  steps: RunStep[];
  messages: Message[];
  /** Upstream output item id → what it became here (a message and its step, or one call of a tool_calls step). */
  items: Record<string, { kind: "message"; stepId: string } | { kind: "call"; stepId: string; index: number }>;
  /** The response being read: its id, the last sequence number taken, and its tool_calls step if it has one. */
  current: { responseId: string; lastSeq: number; toolStepId: string | null } | null;
  /** Every response of the run, oldest first (one per tool-output round). */
  chain: string[];
  /** Outputs submitted for the current tool_calls step, by call id (they fill `function.output`). */
  outputs: Record<string, string>;
  /** The metadata the run was created with, sent on every response of the chain (updates stay Runcast's). */
  responseMetadata: Record<string, string>;
  conversationId: string;
  limits: RunLimits;
  /**
   * The last response completed with calls the conversation has no outputs for yet. If the run ends that way (expired,
   * cancelled, out of budget), Runcast closes them in the conversation, or its next response would be refused.
   */
  awaitingOutputs: boolean;
}

/** Runcast's own limits for one run, fixed when it is created. */
export interface RunLimits {
  /** How long the run waits in requires_action before it expires. */
  expiresInSeconds: number;
  /** How long a response may stay `queued` before the run fails (an upstream bug can leave it there for good). */
  queuedTimeoutMs: number;
}

export const seconds = (ms: number) => Math.floor(ms / 1000);

export function newRunState(run: Run, conversationId: string, limits: RunLimits): RunState {
  return {
    run,
    steps: [],
    messages: [],
    items: {},
    current: null,
    chain: [],
    outputs: {},
    responseMetadata: { ...((run.metadata as Record<string, string> | null) ?? {}) },
    conversationId,
    limits,
    awaitingOutputs: false,
  };
}

export function newStep(run: Run, id: string, now: number, details: RunStep["step_details"]): RunStep {
  return {
    id,
    object: "thread.run.step",
    created_at: now,
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

/** The reply an output message item becomes: its id is the item's, so it matches the conversation's item. */
export function newReply(run: Run, id: string, now: number): Message {
  return {
    id,
    object: "thread.message",
    created_at: now,
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

/** Responses' usage in Assistants' names. */
export function toUsage(usage: { input_tokens: number; output_tokens: number; total_tokens: number }): Usage {
  return {
    prompt_tokens: usage.input_tokens,
    completion_tokens: usage.output_tokens,
    total_tokens: usage.total_tokens,
  };
}

/** A run's usage is the sum over its chain of responses. */
export function addUsage(sum: Usage | null, more: Usage | null): Usage | null {
  if (!more) return sum;
  if (!sum) return { ...more };
  return {
    prompt_tokens: sum.prompt_tokens + more.prompt_tokens,
    completion_tokens: sum.completion_tokens + more.completion_tokens,
    total_tokens: sum.total_tokens + more.total_tokens,
  };
}

/** Responses has twenty error codes, Assistants runs three: the rest read as `server_error`, message kept. */
export function runError(error: { code?: string | null; message?: string | null } | null | undefined) {
  const code = error?.code === "rate_limit_exceeded" || error?.code === "invalid_prompt" ? error.code : "server_error";
  return { code, message: error?.message || "The upstream response failed." } as NonNullable<Run["last_error"]>;
}

/** Steps know only two of those codes. */
export const stepError = (error: NonNullable<Run["last_error"]>): NonNullable<RunStep["last_error"]> => ({
  code: error.code === "rate_limit_exceeded" ? "rate_limit_exceeded" : "server_error",
  message: error.message,
});

/** The text of a message's text parts, joined. */
export const replyText = (message: Pick<Message, "content">) =>
  message.content.map((part) => (part.type === "text" ? part.text.value : "")).join("");
