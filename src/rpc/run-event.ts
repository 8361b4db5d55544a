// What a run's event subscription yields: the upstream's stream events as it sent them, plus Runcast's own.
import type { AssistantStreamEvent } from "openai/resources/beta/assistants";
import type { Run } from "openai/resources/beta/threads/runs/runs";

/** Which tool calls of the current requires_action have their outputs, and which are still open. */
export interface ToolOutputsEvent {
  event: "runcast.tool_outputs";
  data: { run_id: string; received: string[]; pending: string[] };
}

/** The run's metadata was changed (runs.update) while it was live. */
export interface RunUpdatedEvent {
  event: "runcast.run_updated";
  data: { run_id: string; metadata: Run["metadata"] };
}

/**
 * On a run's WebSocket only: an event too large for one WebSocket message, sent in its place under the same id. `event`
 * names it and `id` its object (a message, step or run; null when it has none), to read over REST; `bytes` is its size.
 */
export interface EventTooLargeEvent {
  event: "runcast.event_too_large";
  data: { event: string; id: string | null; bytes: number };
}

export type RunEvent = AssistantStreamEvent | ToolOutputsEvent | RunUpdatedEvent | EventTooLargeEvent;
