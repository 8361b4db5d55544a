// A run as a watcher sees it, folded from its events: status, messages with their text, tool calls waiting for outputs
// (or, on Foundry, for approvals).
import type { RequiredActionFunctionToolCall, Run } from "openai/resources/beta/threads/runs/runs";
import type { RunEvent } from "../rpc/run-event";
import { requiredCalls, type ToolApprovalCall } from "../schemas/required-action";

export type { ToolApprovalCall };

export interface WatchedMessage {
  id: string;
  role: "user" | "assistant";
  status: "in_progress" | "incomplete" | "completed";
  text: string;
}

export interface RunSnapshot {
  run: Run | null;
  status: Run["status"] | null;
  /** The run's messages in the order they started, with their text so far. */
  messages: WatchedMessage[];
  /** Function calls the run waits for outputs of (while in requires_action). */
  toolCalls: RequiredActionFunctionToolCall[];
  /** MCP calls the run waits for approvals of (Foundry's `submit_tool_approval`; answered with `tool_approvals`). */
  approvalCalls: ToolApprovalCall[];
  /** Which of the awaited calls (outputs or approvals) nobody has answered yet. */
  pendingToolCallIds: string[];
  /** The id of the last event folded in: resuming after it misses nothing and repeats nothing. */
  lastEventId: string | null;
  /** True once the run has ended (completed, failed, cancelled, expired, incomplete). */
  done: boolean;
}

export const emptySnapshot = (): RunSnapshot => ({
  run: null,
  status: null,
  messages: [],
  toolCalls: [],
  approvalCalls: [],
  pendingToolCallIds: [],
  lastEventId: null,
  done: false,
});

const TERMINAL = new Set(["completed", "failed", "cancelled", "expired", "incomplete"]);

const textOf = (content: Array<{ type: string; text?: { value?: string } }>) =>
  content.map((part) => (part.type === "text" ? (part.text?.value ?? "") : "")).join("");

/** Folds one event into the snapshot (a new object); returns the text it added, if any. */
export function applyEvent(
  snapshot: RunSnapshot,
  id: string,
  { event, data }: RunEvent,
): { snapshot: RunSnapshot; textDelta: string; messageId: string | null } {
  const next: RunSnapshot = { ...snapshot, messages: snapshot.messages.slice(), lastEventId: id };
  let textDelta = "";
  let messageId: string | null = null;
  switch (event) {
    case "thread.message.created":
    case "thread.message.in_progress":
    case "thread.message.completed":
    case "thread.message.incomplete": {
      const index = next.messages.findIndex((message) => message.id === data.id);
      const existing = index >= 0 ? next.messages[index]!.text : null;
      const full = textOf(data.content);
      // A finished message carries its whole text, which wins over what the deltas added up to.
      const finished = event === "thread.message.completed" || event === "thread.message.incomplete";
      const text = finished ? full || existing || "" : (existing ?? full);
      const message: WatchedMessage = { id: data.id, role: data.role, status: data.status, text };
      if (index >= 0) next.messages[index] = message;
      else next.messages.push(message);
      messageId = data.id;
      break;
    }
    case "thread.message.delta": {
      textDelta = textOf((data.delta.content ?? []) as Array<{ type: string; text?: { value?: string } }>);
      const index = next.messages.findIndex((message) => message.id === data.id);
      if (index >= 0) next.messages[index] = { ...next.messages[index]!, text: next.messages[index]!.text + textDelta };
      else next.messages.push({ id: data.id, role: "assistant", status: "in_progress", text: textDelta });
      messageId = data.id;
      break;
    }
    case "runcast.tool_outputs":
      next.pendingToolCallIds = data.pending;
      break;
    case "runcast.run_updated":
      if (next.run) next.run = { ...next.run, metadata: data.metadata };
      break;
    default:
      if (event.startsWith("thread.run.") && !event.startsWith("thread.run.step.")) {
        const run = data as Run;
        next.run = run;
        next.status = run.status;
        next.done = TERMINAL.has(run.status);
        const required = requiredCalls(run);
        next.toolCalls = required.kind === "outputs" ? required.calls : [];
        next.approvalCalls = required.kind === "approvals" ? required.calls : [];
        next.pendingToolCallIds = run.status === "requires_action" ? required.calls.map((call) => call.id) : [];
      }
  }
  return { snapshot: next, textDelta, messageId };
}

/** The latest assistant message's text: what a chat shows as the reply. */
export const replyText = (snapshot: RunSnapshot) =>
  snapshot.messages.filter((message) => message.role === "assistant").at(-1)?.text ?? "";
