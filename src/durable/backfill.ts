// Events a subscriber would have seen from the stream, derived from the upstream's state when the hub learns it by polling.
import type { Message, Run, RunStep } from "../providers/provider";
import { SEGMENT_END_EVENTS } from "./hub-state";
import { messageText, type RunView } from "./run-view";

export interface SyntheticEvent {
  event: string;
  data: unknown;
}

export interface UpstreamSnapshot {
  run: Run;
  /** The run's steps, oldest first (only needed when the run may have moved on). */
  steps?: RunStep[];
  /** The run's messages, oldest first. */
  messages?: Message[];
  /** The run asks for a new round of tool calls though its status is unchanged: its run event is told again. */
  newRound?: boolean;
}

/** Statuses whose run event closes a segment (the stream's own list, by status). */
const endsSegment = (status: Run["status"]) => SEGMENT_END_EVENTS.has(`thread.run.${status}`);

/**
 * The events between what the view has told and the snapshot, in the order the upstream streams them:
 * a status the run moved into comes first, unless it ends a segment (then it comes last, after the
 * steps and messages that led to it). A message the view has not seen starts empty, then one delta
 * brings its text, so accumulated text ends identical to a stream's.
 */
export function backfill(view: RunView, snapshot: UpstreamSnapshot): SyntheticEvent[] {
  const { run } = snapshot;
  const events: SyntheticEvent[] = [];
  const runChanged = view.get(run.id)?.status !== run.status || snapshot.newRound === true;
  const runEvent = { event: `thread.run.${run.status}`, data: run };
  if (!view.has(run.id)) events.push({ event: "thread.run.created", data: run });
  if (runChanged && !endsSegment(run.status) && view.has(run.id)) events.push(runEvent);

  const messages = new Map((snapshot.messages ?? []).map((message) => [message.id, message]));
  for (const step of snapshot.steps ?? []) {
    const seen = view.get(step.id);
    if (!seen) events.push({ event: "thread.run.step.created", data: { ...step, status: "in_progress" } });
    const message =
      step.step_details.type === "message_creation"
        ? messages.get(step.step_details.message_creation.message_id)
        : undefined;
    if (message) events.push(...messageEvents(view, message));
    if (step.status !== "in_progress" && seen?.status !== step.status)
      events.push({ event: `thread.run.step.${step.status}`, data: step });
  }
  if (runChanged && (endsSegment(run.status) || !view.has(run.id))) events.push(runEvent);
  return events;
}

function messageEvents(view: RunView, message: Message): SyntheticEvent[] {
  const events: SyntheticEvent[] = [];
  const seen = view.get(message.id);
  if (!seen)
    events.push({
      event: "thread.message.created",
      data: {
        ...message,
        status: "in_progress",
        content: [],
        completed_at: null,
        incomplete_at: null,
        incomplete_details: null,
      },
    });
  const text = messageText(message);
  const delivered = seen?.textLength ?? 0;
  if (text.length > delivered) {
    const value = text.slice(delivered);
    events.push({
      event: "thread.message.delta",
      data: {
        id: message.id,
        object: "thread.message.delta",
        delta: {
          content: [{ index: 0, type: "text", text: delivered === 0 ? { value, annotations: [] } : { value } }],
        },
      },
    });
  }
  if (message.status !== "in_progress" && seen?.status !== message.status)
    events.push({ event: `thread.message.${message.status}`, data: message });
  return events;
}
