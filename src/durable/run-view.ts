// What a run's log has told its subscribers so far: each step's and message's status, and how much message text.
// Every event appended updates it; polling diffs the upstream's state against it (backfill.ts).
import type { Message } from "../providers/provider";

export interface ViewEntry {
  kind: "run" | "step" | "message";
  status: string;
  /** Message text delivered so far, in characters. */
  textLength: number;
}

export type RunView = Map<string, ViewEntry>;

const textOf = (message: Pick<Message, "content">) =>
  message.content.map((part) => (part.type === "text" ? part.text.value : "")).join("");

/** Folds one appended event into the view. */
export function applyToView(view: RunView, event: string, data: unknown): ViewEntry | null {
  const object = data as { id?: string; status?: string };
  if (!object?.id) return null;
  const previous = view.get(object.id);
  let entry: ViewEntry | null = null;
  if (event === "thread.message.delta") {
    const delta = data as { delta?: { content?: Array<{ type?: string; text?: { value?: string } }> } };
    const added = (delta.delta?.content ?? []).reduce((sum, part) => sum + (part.text?.value?.length ?? 0), 0);
    entry = {
      kind: "message",
      status: previous?.status ?? "in_progress",
      textLength: (previous?.textLength ?? 0) + added,
    };
  } else if (event === "thread.run.step.delta") {
    return null;
  } else if (event.startsWith("thread.run.step.")) {
    entry = { kind: "step", status: object.status ?? previous?.status ?? "in_progress", textLength: 0 };
  } else if (event.startsWith("thread.message.")) {
    // A created message normally has no content yet; a completed one is not counted again.
    const length = previous ? previous.textLength : textOf(data as Message).length;
    entry = { kind: "message", status: object.status ?? previous?.status ?? "in_progress", textLength: length };
  } else if (event.startsWith("thread.run.")) {
    entry = { kind: "run", status: object.status ?? previous?.status ?? "queued", textLength: 0 };
  }
  if (entry) view.set(object.id, entry);
  return entry;
}

export { textOf as messageText };
