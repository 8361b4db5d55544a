// The Responses stream told as the Assistants run stream (PROVIDERS-NOTES §2.1): pure, event by event, on a run's
// working state. Every output is a valid Assistants event; Responses' extras (reasoning, annotations, obfuscation)
// are dropped, and events already taken (a resumed stream repeats nothing, but a replay might) are skipped.
import type { Response, ResponseOutputItem } from "openai/resources/responses/responses";
import type { RunStep, UpstreamEvent } from "../provider";
import { addUsage, newReply, newStep, runError, toUsage, type RunState } from "./run-objects";
import {
  completeToolStep,
  endRun,
  messageEvent,
  pendingCalls,
  runEvent,
  stepEvent,
  type Ending,
} from "./run-transitions";
import { itemEvents, SYNC_ITEM, type ResponsesEvent } from "./snapshot";

export interface TranslateContext {
  /** Now, in seconds (Assistants timestamps). */
  now: number;
  newStepId(): string;
  /** How long a run waits for tool outputs before it expires. */
  expiresInSeconds: number;
}

type MessageItem = Extract<ResponseOutputItem, { type: "message" }>;
type CallItem = Extract<ResponseOutputItem, { type: "function_call" }>;

export function translate(state: RunState, event: ResponsesEvent, ctx: TranslateContext): UpstreamEvent[] {
  const seq = event.sequence_number;
  if (typeof seq === "number" && state.current && event.type !== "response.created") {
    if (seq <= state.current.lastSeq) return [];
    state.current.lastSeq = seq;
  }
  switch (event.type) {
    case "response.created":
      return created(state, event.response as Response, seq ?? -1, ctx);
    case "response.in_progress":
      return state.run.status === "queued" ? [runEvent(state, { status: "in_progress", started_at: ctx.now })] : [];
    case "response.output_item.added":
      return itemAdded(state, event.item as ResponseOutputItem, ctx);
    case "response.output_text.delta":
      return textDelta(state, event.item_id as string, event.content_index as number, "text", event.delta as string);
    case "response.refusal.delta":
      return textDelta(state, event.item_id as string, event.content_index as number, "refusal", event.delta as string);
    case "response.function_call_arguments.delta":
      return argumentsDelta(state, event.item_id as string, event.delta as string);
    case SYNC_ITEM:
    case "response.output_item.done":
      return itemSync(state, event.item as ResponseOutputItem, event.type === SYNC_ITEM, ctx);
    case "response.completed":
    case "response.incomplete":
    case "response.failed":
    case "response.cancelled":
      return ended(state, event.response as Response, ctx);
    case "error":
      return endRun(state, ctx.now, { status: "failed", error: runError(errorOf(event)) });
    default:
      // keepalive, content parts, *.done echoes, reasoning, hosted tools, annotations: nothing to tell.
      return [];
  }
}

/** Error frames come flat (the spec) or nested under `error` (what the upstream sends). */
const errorOf = (event: ResponsesEvent) =>
  (event.error as { code?: string | null; message?: string } | undefined) ?? {
    code: event.code as string | null,
    message: event.message as string,
  };

function created(state: RunState, response: Response, seq: number, ctx: TranslateContext): UpstreamEvent[] {
  if (state.current?.responseId === response.id) return [];
  const first = state.chain.length === 0;
  const events = first ? [] : completeToolStep(state, ctx.now);
  if (!state.chain.includes(response.id)) state.chain.push(response.id);
  state.current = { responseId: response.id, lastSeq: seq, toolStepId: null };
  state.outputs = {};
  state.awaitingOutputs = false;
  if (first) events.push({ event: "thread.run.created", data: structuredClone(state.run) });
  // Answered: the deadline for outputs no longer applies.
  events.push(runEvent(state, { status: "queued", required_action: null, expires_at: null }));
  return events;
}

function itemAdded(state: RunState, item: ResponseOutputItem, ctx: TranslateContext): UpstreamEvent[] {
  if (!item.id || state.items[item.id]) return [];
  if (item.type === "message") {
    const step = newStep(state.run, ctx.newStepId(), ctx.now, {
      type: "message_creation",
      message_creation: { message_id: item.id },
    });
    state.items[item.id] = { kind: "message", stepId: step.id };
    const reply = newReply(state.run, item.id, ctx.now);
    return [
      stepEvent(state, step, "created"),
      stepEvent(state, step, "in_progress"),
      messageEvent(state, reply, "created"),
      messageEvent(state, reply, "in_progress"),
    ];
  }
  if (item.type !== "function_call") return [];
  const events: UpstreamEvent[] = [];
  let step = state.steps.find((candidate) => candidate.id === state.current?.toolStepId);
  if (!step) {
    // One tool_calls step gathers every call of a response, as one requires_action answers them all.
    step = newStep(state.run, ctx.newStepId(), ctx.now, { type: "tool_calls", tool_calls: [] });
    if (state.current) state.current.toolStepId = step.id;
    events.push(stepEvent(state, step, "created"), stepEvent(state, step, "in_progress"));
  }
  const calls = step.step_details.type === "tool_calls" ? step.step_details.tool_calls : [];
  const index = calls.length;
  const call = {
    id: item.call_id,
    type: "function" as const,
    function: { name: item.name, arguments: "", output: null },
  };
  stepEvent(state, { ...step, step_details: { type: "tool_calls", tool_calls: [...calls, call] } });
  state.items[item.id] = { kind: "call", stepId: step.id, index };
  events.push(stepDelta(step.id, { index, ...call }));
  if (item.arguments) events.push(...argumentsDelta(state, item.id, item.arguments));
  return events;
}

const stepDelta = (stepId: string, call: object): UpstreamEvent => ({
  event: "thread.run.step.delta",
  data: {
    id: stepId,
    object: "thread.run.step.delta",
    delta: { step_details: { type: "tool_calls", tool_calls: [call] } },
  },
});

function textDelta(
  state: RunState,
  itemId: string,
  index: number,
  type: "text" | "refusal",
  delta: string,
): UpstreamEvent[] {
  const message = state.messages.find((candidate) => candidate.id === itemId);
  if (!message || message.status !== "in_progress" || !delta) return [];
  const content = [...message.content];
  const part = content[index];
  const fresh = part === undefined;
  if (type === "text")
    content[index] =
      part?.type === "text"
        ? { ...part, text: { ...part.text, value: part.text.value + delta } }
        : { type: "text", text: { value: delta, annotations: [] } };
  else
    content[index] =
      part?.type === "refusal" ? { ...part, refusal: part.refusal + delta } : { type: "refusal", refusal: delta };
  messageEvent(state, {
    ...message,
    content: content.map((p) => p ?? { type: "text", text: { value: "", annotations: [] } }),
  });
  const deltaPart =
    type === "text"
      ? { index, type, text: fresh ? { value: delta, annotations: [] } : { value: delta } }
      : { index, type, refusal: delta };
  return [
    {
      event: "thread.message.delta",
      data: { id: itemId, object: "thread.message.delta", delta: { content: [deltaPart] } },
    },
  ];
}

function argumentsDelta(state: RunState, itemId: string, delta: string): UpstreamEvent[] {
  const ref = state.items[itemId];
  const step = ref?.kind === "call" ? state.steps.find((candidate) => candidate.id === ref.stepId) : undefined;
  if (!step || ref?.kind !== "call" || step.step_details.type !== "tool_calls" || !delta) return [];
  const tool_calls = step.step_details.tool_calls.map((call, i) =>
    i === ref.index && call.type === "function"
      ? { ...call, function: { ...call.function, arguments: call.function.arguments + delta } }
      : call,
  );
  stepEvent(state, { ...step, step_details: { type: "tool_calls", tool_calls } } as RunStep);
  return [stepDelta(step.id, { index: ref.index, type: "function", function: { arguments: delta } })];
}

/** What is missing from what the item says now (a gap, a resumed stream), as deltas; `done` also closes a message. */
function itemSync(
  state: RunState,
  item: ResponseOutputItem,
  syncOnly: boolean,
  ctx: TranslateContext,
): UpstreamEvent[] {
  if (!item.id || !state.items[item.id]) return [];
  const events: UpstreamEvent[] = [];
  if (item.type === "function_call") {
    const told = toldArguments(state, item);
    if (item.arguments.startsWith(told))
      events.push(...argumentsDelta(state, item.id, item.arguments.slice(told.length)));
    return events;
  }
  if (item.type !== "message") return events;
  const message = state.messages.find((candidate) => candidate.id === item.id);
  if (!message || message.status !== "in_progress") return events;
  (item as MessageItem).content.forEach((part, index) => {
    const told = message.content[index];
    const [type, final, have] =
      part.type === "output_text"
        ? (["text", part.text, told?.type === "text" ? told.text.value : ""] as const)
        : (["refusal", part.refusal, told?.type === "refusal" ? told.refusal : ""] as const);
    if (final.startsWith(have)) events.push(...textDelta(state, item.id, index, type, final.slice(have.length)));
    else correctPart(state, item.id, index, type, final);
  });
  // An incomplete item is closed by the response's end, which knows why.
  if (syncOnly || item.status !== "completed") return events;
  const current = state.messages.find((candidate) => candidate.id === item.id)!;
  events.push(messageEvent(state, { ...current, status: "completed", completed_at: ctx.now }));
  const step = state.steps.find((candidate) => candidate.id === state.items[item.id]?.stepId);
  if (step?.status === "in_progress")
    events.push(stepEvent(state, { ...step, status: "completed", completed_at: ctx.now }));
  return events;
}

/**
 * Deltas can only append: text that differs from what was told (a delta lost mid-stream) is corrected in the stored
 * reply, so its completed event, lists and later reads carry the upstream's text.
 */
function correctPart(state: RunState, itemId: string, index: number, type: "text" | "refusal", final: string) {
  const message = state.messages.find((candidate) => candidate.id === itemId)!;
  const content = [...message.content];
  content[index] = type === "text" ? { type, text: { value: final, annotations: [] } } : { type, refusal: final };
  messageEvent(state, { ...message, content });
}

function toldArguments(state: RunState, item: CallItem): string {
  const ref = state.items[item.id!];
  const step = state.steps.find((candidate) => candidate.id === ref?.stepId);
  if (ref?.kind !== "call" || step?.step_details.type !== "tool_calls") return "";
  const call = step.step_details.tool_calls[ref.index];
  return call?.type === "function" ? call.function.arguments : "";
}

/** A response's end: first whatever its items say that no event did (a gap), then the run's next status. */
function ended(state: RunState, response: Response, ctx: TranslateContext): UpstreamEvent[] {
  const events: UpstreamEvent[] = [];
  for (const synthetic of itemEvents(state, response)) events.push(...translate(state, synthetic, ctx));
  if (response.usage) state.run = { ...state.run, usage: addUsage(state.run.usage, toUsage(response.usage)) };
  const ending = endingOf(state, response);
  if (ending) return [...events, ...endRun(state, ctx.now, ending)];
  // Completed with function calls: the run waits for their outputs, with a deadline of its own.
  state.awaitingOutputs = true;
  return [
    ...events,
    runEvent(state, {
      status: "requires_action",
      required_action: { type: "submit_tool_outputs", submit_tool_outputs: { tool_calls: pendingCalls(state) } },
      expires_at: ctx.now + ctx.expiresInSeconds,
    }),
  ];
}

/** How a finished response ends the run, or null when it leaves calls to answer. */
function endingOf(state: RunState, response: Response): Ending | null {
  switch (response.status) {
    case "completed":
      return pendingCalls(state).length > 0 ? null : { status: "completed" };
    case "cancelled":
      return { status: "cancelled" };
    case "incomplete":
      return response.incomplete_details?.reason === "content_filter"
        ? { status: "incomplete", reason: "content_filter", run: {} }
        : { status: "incomplete", reason: "max_tokens", run: { reason: "max_completion_tokens" } };
    default:
      return { status: "failed", error: runError(response.error) };
  }
}
