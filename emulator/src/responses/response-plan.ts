// Plans a response as timed operations, a pure function of what it answers and its knobs; the engine applies them when due.
import { newId } from "../ids";
import { chunkWords, countTokens, type PlannedCall } from "../reply";
import { clock, LAST_ERROR_MESSAGES } from "../run-plan";
import type { ResponseKnobs } from "../settings";
import type { ResponseError } from "./response-objects";

/** One timed change to a response; `at` is in epoch milliseconds. */
export type ResponseOp =
  | { type: "in_progress"; at: number }
  | { type: "message_added"; at: number; item_id: string }
  | { type: "text"; at: number; item_id: string; delta: string }
  | { type: "message_done"; at: number; item_id: string; status: "completed" | "incomplete" }
  | { type: "call_added"; at: number; item_id: string; call_id: string; name: string }
  | { type: "arguments"; at: number; item_id: string; delta: string }
  | { type: "call_done"; at: number; item_id: string }
  | { type: "stream_error"; at: number; shape: "nested" | "flat" }
  | {
      type: "end";
      at: number;
      status: "completed" | "failed" | "incomplete";
      error?: ResponseError;
      reason?: "max_output_tokens" | "content_filter";
    };

export interface ResponsePlanInput {
  now: number;
  /** Function calls to make (the Assistants surface's rule, reply.ts); none means a text reply. */
  calls: PlannedCall[];
  reply: string;
  maxOutputTokens: number | null;
}

/** Arguments stream in fragments of this many characters, as a model's would. */
const ARGUMENT_FRAGMENT = 16;

function planCalls(at: ReturnType<typeof clock>, calls: PlannedCall[]): ResponseOp[] {
  return calls.flatMap((call) => {
    const item_id = newId("fc");
    const ops: ResponseOp[] = [{ type: "call_added", at: at.tick(), item_id, call_id: newId("call"), name: call.name }];
    for (let i = 0; i < call.arguments.length; i += ARGUMENT_FRAGMENT)
      ops.push({ type: "arguments", at: at.tick(), item_id, delta: call.arguments.slice(i, i + ARGUMENT_FRAGMENT) });
    ops.push({ type: "call_done", at: at.tick(), item_id });
    return ops;
  });
}

/** A message streamed in deltas, cut short by `max_output_tokens`, an `emulator_incomplete` or an `emulator_fail` knob. */
function planReply(at: ReturnType<typeof clock>, knobs: ResponseKnobs, input: ResponsePlanInput): ResponseOp[] {
  const item_id = newId("msg");
  const ops: ResponseOp[] = [{ type: "message_added", at: at.tick(), item_id }];
  let chunks = chunkWords(input.reply, knobs.words_per_delta);
  const budget = input.maxOutputTokens ?? Infinity;
  const reason =
    knobs.incomplete === "max_output_tokens" || knobs.incomplete === "content_filter"
      ? knobs.incomplete
      : countTokens(input.reply) > budget
        ? "max_output_tokens"
        : null;
  if (reason && knobs.incomplete === reason) chunks = chunks.slice(0, Math.ceil(chunks.length / 2));
  else if (reason) chunks = chunks.slice(0, Math.floor(budget / knobs.words_per_delta));
  if (knobs.fail || knobs.stream_error) chunks = chunks.slice(0, Math.ceil(chunks.length / 2));
  for (const delta of chunks) ops.push({ type: "text", at: at.tick(), item_id, delta });
  const end = at.tick();
  if (knobs.stream_error) return [...ops, { type: "stream_error", at: end, shape: knobs.stream_error }];
  if (knobs.fail) {
    const error = { code: knobs.fail, message: LAST_ERROR_MESSAGES[knobs.fail] };
    return [...ops, { type: "end", at: end, status: "failed", error }];
  }
  if (reason)
    return [
      ...ops,
      { type: "message_done", at: end, item_id, status: "incomplete" },
      { type: "end", at: end, status: "incomplete", reason },
    ];
  return [
    ...ops,
    { type: "message_done", at: end, item_id, status: "completed" },
    { type: "end", at: end, status: "completed" },
  ];
}

/** From `queued` (or `in_progress`) to the end: function calls, then `completed`; or a reply; or a planned failure. */
export function planResponse(knobs: ResponseKnobs, input: ResponsePlanInput): ResponseOp[] {
  const at = clock(input.now, knobs.delta_ms);
  const ops: ResponseOp[] = [{ type: "in_progress", at: at.tick() }];
  if (knobs.fail === "invalid_prompt")
    return [
      ...ops,
      {
        type: "end",
        at: at.tick(),
        status: "failed",
        error: { code: "invalid_prompt", message: LAST_ERROR_MESSAGES.invalid_prompt },
      },
    ];
  // A response whose output holds function calls simply completes; the caller answers them in a new response.
  if (input.calls.length > 0)
    return [...ops, ...planCalls(at, input.calls), { type: "end", at: at.tick(), status: "completed" }];
  return [...ops, ...planReply(at, knobs, input)];
}
