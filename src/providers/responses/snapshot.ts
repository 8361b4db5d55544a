// What a response's final (or current) object implies that the events read so far did not say: synthetic Responses
// events, fed through the same translation, so a run followed by polling ends with the same messages and steps.
import type { Response, ResponseOutputItem } from "openai/resources/responses/responses";
import type { RunState } from "./run-objects";

/** The Responses events the translation takes, loosely typed: unknown types must pass through harmlessly. */
export interface ResponsesEvent {
  type: string;
  sequence_number?: number;
  [key: string]: unknown;
}

/** Runcast's own event: bring an item's text or arguments up to the item as given (deltas for what is missing). */
export const SYNC_ITEM = "runcast.item.sync";

const TRANSLATED_ITEMS = new Set(["message", "function_call"]);

/** An output item as first announced: nothing said yet. */
function announced(item: ResponseOutputItem): ResponseOutputItem {
  if (item.type === "message") return { ...item, status: "in_progress", content: [] };
  if (item.type === "function_call") return { ...item, status: "in_progress", arguments: "" };
  return item;
}

/** The item events between what the state has told and the output items of `response`. */
export function itemEvents(state: RunState, response: Pick<Response, "output">): ResponsesEvent[] {
  const events: ResponsesEvent[] = [];
  response.output.forEach((item, output_index) => {
    if (!TRANSLATED_ITEMS.has(item.type) || !item.id) return;
    if (!state.items[item.id]) events.push({ type: "response.output_item.added", output_index, item: announced(item) });
    events.push({ type: SYNC_ITEM, output_index, item });
    if ((item as { status?: string }).status !== "in_progress")
      events.push({ type: "response.output_item.done", output_index, item });
  });
  return events;
}

/**
 * Everything a polled response implies after what the state has told: its start, its items, and its end. A
 * cancelled response has no stream event (only a webhook's name, used here).
 */
export function snapshotEvents(state: RunState, response: Response): ResponsesEvent[] {
  const events: ResponsesEvent[] = [];
  if (state.current?.responseId !== response.id)
    events.push({ type: "response.created", response: { ...response, status: "queued", output: [] } });
  const status = response.status ?? "in_progress";
  if (status === "queued") return events;
  events.push({ type: "response.in_progress", response });
  if (status === "in_progress") return [...events, ...itemEvents(state, response)];
  // The terminal event reconciles the items itself.
  events.push({ type: `response.${status}`, response });
  return events;
}
