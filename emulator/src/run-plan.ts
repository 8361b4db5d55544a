// Plans a run segment as timed operations, a pure function of the run's inputs and knobs; the engine applies them when due.
import { newId } from "./ids";
import type { Run, RunStep } from "./objects";
import { chunkWords, countTokens, type PlannedCall } from "./reply";
import type { RunKnobs } from "./settings";

/** A step's details as stored; the core reads only their `type` (a hosted service may add its own types). */
export type StepDetails = RunStep["step_details"];
export type RequiredAction = NonNullable<Run["required_action"]>;

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface LastError {
  code: "server_error" | "rate_limit_exceeded" | "invalid_prompt";
  message: string;
}

export type TerminalStatus = "completed" | "incomplete" | "failed" | "cancelled" | "expired";

/** One timed change to a run; `at` is in epoch milliseconds. */
export type Op =
  | { type: "status"; at: number; status: "queued" | "in_progress" | "cancelling" }
  | { type: "tool_step"; at: number; step_id: string }
  | {
      type: "tool_delta";
      at: number;
      step_id: string;
      index: number;
      fragment: string;
      call?: { id: string; name: string };
    }
  | { type: "hosted_step"; at: number; step_id: string; details: StepDetails }
  | {
      type: "requires_action";
      at: number;
      step_id: string;
      usage: Usage;
      /** Given verbatim (a hosted service's own action); without it, the step's function calls ask for outputs. */
      required_action?: RequiredAction;
    }
  | { type: "message_step"; at: number; step_id: string; message_id: string }
  | { type: "text"; at: number; message_id: string; text: string; first: boolean }
  | {
      type: "message_done";
      at: number;
      message_id: string;
      status: "completed" | "incomplete";
      reason?: "max_tokens" | "run_failed";
    }
  | {
      type: "step_done";
      at: number;
      step_id: string;
      status: "completed" | "failed";
      /** Null for steps the model spent nothing on (a hosted service's own work). */
      usage: Usage | null;
      last_error?: LastError;
      outputs?: Record<string, string>;
    }
  | { type: "close_open"; at: number; status: "cancelled" | "expired" }
  | {
      type: "run_done";
      at: number;
      status: TerminalStatus;
      last_error?: LastError;
      incomplete_reason?: "max_completion_tokens" | "max_prompt_tokens";
    };

export const LAST_ERROR_MESSAGES: Record<LastError["code"], string> = {
  server_error: "Sorry, something went wrong.",
  rate_limit_exceeded: "Rate limit reached for requests. Please try again later.",
  invalid_prompt: "Invalid prompt: your prompt was flagged as potentially violating our usage policy.",
};

const usage = (prompt: number, completion: number): Usage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
});

/**
 * Hands out increasing times, one knob-sized tick apart. Even flat out (tick 0) the first tick is a
 * millisecond after `start`, so the request that planned the segment answers before any of it happens,
 * as the upstream answers `queued`.
 */
export function clock(start: number, tick: number) {
  let now = start;
  return { tick: () => (now = Math.max(now + tick, start + 1)) };
}

export interface ReplyInput {
  reply: string;
  promptTokens: number;
  /** Completion tokens the run has already spent (its tool calls), counted against max_completion_tokens. */
  completionTokensUsed: number;
  maxCompletionTokens: number | null;
}

/** The message-creation part of a segment: a step, a message streamed in deltas, and the run's end. */
function planReply(at: ReturnType<typeof clock>, knobs: RunKnobs, input: ReplyInput): Op[] {
  const step_id = newId("step");
  const message_id = newId("msg");
  const ops: Op[] = [{ type: "message_step", at: at.tick(), step_id, message_id }];
  let chunks = chunkWords(input.reply, knobs.words_per_delta);
  const budget = input.maxCompletionTokens === null ? Infinity : input.maxCompletionTokens - input.completionTokensUsed;
  const truncated = knobs.incomplete === "max_completion_tokens" || countTokens(input.reply) > budget;
  if (truncated) {
    const keep =
      knobs.incomplete === "max_completion_tokens"
        ? Math.ceil(chunks.length / 2)
        : Math.floor(Math.max(0, budget) / knobs.words_per_delta);
    chunks = chunks.slice(0, keep);
  }
  if (knobs.fail) chunks = chunks.slice(0, Math.ceil(chunks.length / 2));
  chunks.forEach((text, index) => ops.push({ type: "text", at: at.tick(), message_id, text, first: index === 0 }));
  const completion = countTokens(chunks.join(""));
  const stepUsage = usage(input.promptTokens, completion);
  const end = at.tick();
  if (knobs.fail) {
    const last_error = { code: knobs.fail, message: LAST_ERROR_MESSAGES[knobs.fail] } as LastError;
    ops.push(
      { type: "message_done", at: end, message_id, status: "incomplete", reason: "run_failed" },
      { type: "step_done", at: end, step_id, status: "failed", usage: stepUsage, last_error },
      { type: "run_done", at: end, status: "failed", last_error },
    );
  } else if (truncated) {
    ops.push(
      { type: "message_done", at: end, message_id, status: "incomplete", reason: "max_tokens" },
      { type: "step_done", at: end, step_id, status: "completed", usage: stepUsage },
      { type: "run_done", at: end, status: "incomplete", incomplete_reason: "max_completion_tokens" },
    );
  } else {
    ops.push(
      { type: "message_done", at: end, message_id, status: "completed" },
      { type: "step_done", at: end, step_id, status: "completed", usage: stepUsage },
      { type: "run_done", at: end, status: "completed" },
    );
  }
  return ops;
}

/** Arguments stream in fragments of this many characters, as a model's would. */
const ARGUMENT_FRAGMENT = 16;

/**
 * Work a hosted service does itself before the model answers (Foundry's MCP tool listing and grounding searches):
 * steps that finish at once, and optionally a step whose calls wait for the caller's approval. The core only places them.
 */
export interface HostedSegment {
  steps: StepDetails[];
  approval: { details: StepDetails; required_action: RequiredAction } | null;
}

export interface FirstSegmentInput extends ReplyInput {
  now: number;
  calls: PlannedCall[];
  maxPromptTokens: number | null;
  hosted?: HostedSegment | null;
}

/** From `queued` to the first pause or end: tool calls (then `requires_action`) or a reply. */
export function planFirstSegment(knobs: RunKnobs, input: FirstSegmentInput): Op[] {
  const at = clock(input.now, knobs.delta_ms);
  const ops: Op[] = [{ type: "status", at: at.tick(), status: "in_progress" }];
  if (knobs.fail === "invalid_prompt") {
    return [
      ...ops,
      {
        type: "run_done",
        at: at.tick(),
        status: "failed",
        last_error: { code: "invalid_prompt", message: LAST_ERROR_MESSAGES.invalid_prompt },
      },
    ];
  }
  if (
    knobs.incomplete === "max_prompt_tokens" ||
    (input.maxPromptTokens !== null && input.promptTokens > input.maxPromptTokens)
  ) {
    return [...ops, { type: "run_done", at: at.tick(), status: "incomplete", incomplete_reason: "max_prompt_tokens" }];
  }
  for (const details of input.hosted?.steps ?? []) {
    const step_id = newId("step");
    ops.push(
      { type: "hosted_step", at: at.tick(), step_id, details },
      { type: "step_done", at: at.tick(), step_id, status: "completed", usage: null },
    );
  }
  const approval = input.hosted?.approval;
  if (approval) {
    const step_id = newId("step");
    ops.push(
      { type: "hosted_step", at: at.tick(), step_id, details: approval.details },
      {
        type: "requires_action",
        at: at.tick(),
        step_id,
        usage: usage(input.promptTokens, 0),
        required_action: approval.required_action,
      },
    );
    return ops;
  }
  if (input.calls.length === 0) return [...ops, ...planReply(at, knobs, input)];

  const step_id = newId("step");
  ops.push({ type: "tool_step", at: at.tick(), step_id });
  input.calls.forEach((call, index) => {
    ops.push({
      type: "tool_delta",
      at: at.tick(),
      step_id,
      index,
      fragment: "",
      call: { id: newId("call"), name: call.name },
    });
    for (let i = 0; i < call.arguments.length; i += ARGUMENT_FRAGMENT)
      ops.push({
        type: "tool_delta",
        at: at.tick(),
        step_id,
        index,
        fragment: call.arguments.slice(i, i + ARGUMENT_FRAGMENT),
      });
  });
  const completion = input.calls.reduce((sum, call) => sum + countTokens(call.arguments.replace(/[{}",:]/g, " ")), 0);
  ops.push({ type: "requires_action", at: at.tick(), step_id, usage: usage(input.promptTokens, completion) });
  return ops;
}

export interface AfterToolsInput extends ReplyInput {
  now: number;
  toolStepId: string;
  toolUsage: Usage;
  outputs: Record<string, string>;
}

/** After tool outputs: the tool step completes, the run is queued again, then it replies using the outputs. */
export function planAfterTools(knobs: RunKnobs, input: AfterToolsInput): Op[] {
  const at = clock(input.now, knobs.delta_ms);
  return [
    {
      type: "step_done",
      at: input.now,
      step_id: input.toolStepId,
      status: "completed",
      usage: input.toolUsage,
      outputs: input.outputs,
    },
    { type: "status", at: input.now, status: "queued" },
    { type: "status", at: at.tick(), status: "in_progress" },
    ...planReply(at, knobs, input),
  ];
}

export interface AfterApprovalsInput extends ReplyInput {
  now: number;
  approvalStepId: string;
  /** Outputs of the approved calls; a denied call is never made and keeps a null output. */
  outputs: Record<string, string>;
  /** The model's own calls, which wait until the hosted ones are answered. */
  calls: PlannedCall[];
}

/** After approvals: the approval step completes, the run is queued again, then goes on as a first segment would. */
export function planAfterApprovals(knobs: RunKnobs, input: AfterApprovalsInput): Op[] {
  const { approvalStepId, outputs, ...rest } = input;
  return [
    { type: "step_done", at: input.now, step_id: approvalStepId, status: "completed", usage: null, outputs },
    { type: "status", at: input.now, status: "queued" },
    // The prompt was measured against its limit when the run began.
    ...planFirstSegment(knobs, { ...rest, maxPromptTokens: null }),
  ];
}

/** Cancel: `cancelling` at once, then whatever is open is cancelled one tick later. */
export function planCancel(now: number, tick: number): Op[] {
  const end = now + Math.max(tick, 1);
  return [
    { type: "status", at: now, status: "cancelling" },
    { type: "close_open", at: end, status: "cancelled" },
    { type: "run_done", at: end, status: "cancelled" },
  ];
}

/** Expiry at `expires_at`: open steps and messages end, then the run. */
export function planExpiry(at: number): Op[] {
  return [
    { type: "close_open", at, status: "expired" },
    { type: "run_done", at, status: "expired" },
  ];
}
