// The run's own transitions, shared by the stream translation and the local decisions (cancel, expiry, limits):
// each changes the working state and returns the Assistants events that tell it, in the upstream's order.
import type { Message, Run, RunStep, UpstreamEvent } from "../provider";
import { stepError, type RunState } from "./run-objects";

export type Ending =
  | { status: "completed" }
  | { status: "failed"; error: NonNullable<Run["last_error"]> }
  | { status: "cancelled" }
  | { status: "expired" }
  | { status: "incomplete"; reason: "max_tokens" | "content_filter"; run: Run["incomplete_details"] };

const copy = <T>(value: T): T => structuredClone(value);

/** The run changed: the event named after its new status carries it. */
export function runEvent(state: RunState, patch: Partial<Run>): UpstreamEvent {
  state.run = { ...state.run, ...patch };
  return { event: `thread.run.${state.run.status}`, data: copy(state.run) };
}

export function stepEvent(state: RunState, step: RunStep, name: string = step.status): UpstreamEvent {
  const at = state.steps.findIndex((candidate) => candidate.id === step.id);
  if (at >= 0) state.steps[at] = step;
  else state.steps.push(step);
  return { event: `thread.run.step.${name}`, data: copy(step) };
}

export function messageEvent(state: RunState, message: Message, name: string = message.status): UpstreamEvent {
  const at = state.messages.findIndex((candidate) => candidate.id === message.id);
  if (at >= 0) state.messages[at] = message;
  else state.messages.push(message);
  return { event: `thread.message.${name}`, data: copy(message) };
}

/** A tool_calls step as answered: each function call carries the output submitted for it. */
export function withOutputs(step: RunStep, outputs: Record<string, string>): RunStep {
  if (step.step_details.type !== "tool_calls") return step;
  const tool_calls = step.step_details.tool_calls.map((call) =>
    call.type === "function" ? { ...call, function: { ...call.function, output: outputs[call.id] ?? null } } : call,
  );
  return { ...step, step_details: { ...step.step_details, tool_calls } };
}

/** The answered tool_calls step completes (outputs filled), as the Assistants upstream tells it on resume. */
export function completeToolStep(state: RunState, now: number): UpstreamEvent[] {
  const step = state.steps.find((candidate) => candidate.id === state.current?.toolStepId);
  if (!step || step.status !== "in_progress") return [];
  return [stepEvent(state, { ...withOutputs(step, state.outputs), status: "completed", completed_at: now })];
}

const MESSAGE_REASON = {
  failed: "run_failed",
  cancelled: "run_cancelled",
  expired: "run_expired",
} as const;

/** Closes every open message, then every open step, as the ending requires. */
export function closeOpen(state: RunState, now: number, ending: Ending): UpstreamEvent[] {
  const events: UpstreamEvent[] = [];
  for (const message of state.messages.filter((m) => m.status === "in_progress")) {
    if (ending.status === "completed") {
      events.push(messageEvent(state, { ...message, status: "completed", completed_at: now }));
      continue;
    }
    const reason = ending.status === "incomplete" ? ending.reason : MESSAGE_REASON[ending.status];
    events.push(
      messageEvent(state, { ...message, status: "incomplete", incomplete_at: now, incomplete_details: { reason } }),
    );
  }
  for (const step of state.steps.filter((s) => s.status === "in_progress")) {
    const answered = withOutputs(step, state.outputs);
    switch (ending.status) {
      case "completed":
      case "incomplete":
        events.push(stepEvent(state, { ...answered, status: "completed", completed_at: now }));
        break;
      case "failed":
        events.push(
          stepEvent(state, { ...answered, status: "failed", failed_at: now, last_error: stepError(ending.error) }),
        );
        break;
      case "cancelled":
        events.push(stepEvent(state, { ...answered, status: "cancelled", cancelled_at: now }));
        break;
      case "expired":
        events.push(stepEvent(state, { ...answered, status: "expired", expired_at: now }));
        break;
    }
  }
  return events;
}

/** Ends the run: open steps and messages first, then the run's terminal event. */
export function endRun(state: RunState, now: number, ending: Ending): UpstreamEvent[] {
  const events = closeOpen(state, now, ending);
  events.push(
    runEvent(state, {
      status: ending.status,
      required_action: null,
      last_error: ending.status === "failed" ? ending.error : null,
      incomplete_details: ending.status === "incomplete" ? ending.run : null,
      completed_at: ending.status === "completed" ? now : null,
      failed_at: ending.status === "failed" ? now : null,
      cancelled_at: ending.status === "cancelled" ? now : null,
      expires_at: ending.status === "expired" ? state.run.expires_at : null,
    }),
  );
  return events;
}

/** Statuses after which nothing more happens to a run. */
export const TERMINAL = new Set<Run["status"]>(["completed", "failed", "cancelled", "expired", "incomplete"]);

export const isActive = (run: Run) => !TERMINAL.has(run.status);

/** The calls the run waits on, as `required_action` lists them. */
export function pendingCalls(state: RunState) {
  const step = state.steps.find((candidate) => candidate.id === state.current?.toolStepId);
  if (step?.step_details.type !== "tool_calls") return [];
  return step.step_details.tool_calls.flatMap((call) =>
    call.type === "function"
      ? [
          {
            id: call.id,
            type: "function" as const,
            function: { name: call.function.name, arguments: call.function.arguments },
          },
        ]
      : [],
  );
}
