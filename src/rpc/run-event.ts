// What a run's event subscription yields: the upstream's stream events as it sent them, plus Runcast's own.
import type { AssistantStreamEvent } from "openai/resources/beta/assistants";

/** Which tool calls of the current requires_action have their outputs, and which are still open. */
export interface ToolOutputsEvent {
  event: "runcast.tool_outputs";
  data: { run_id: string; received: string[]; pending: string[] };
}

export type RunEvent = AssistantStreamEvent | ToolOutputsEvent;
