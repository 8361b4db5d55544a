// Applies a run's planned operations when they fall due, updating its objects and appending the stream events they produce.
import { newReplyMessage, newStep, seconds, type Message, type Run, type RunStep } from "./objects";
import { planExpiry, type Op, type Usage } from "./run-plan";
import type { RunKnobs } from "./settings";
import type { ObjectStore } from "./object-store";

/** A run's private state beside its public object: the plan and how far it has got. */
export interface RunState {
  plan: Op[];
  cursor: number;
  knobs: RunKnobs;
  prompt_tokens: number;
  /** The tool-call step awaiting outputs, while the run is in requires_action. */
  tool_step_id: string | null;
  tool_usage: Usage | null;
  http_errors_left: number;
}

export const ACTIVE_STATUSES = new Set<Run["status"]>(["queued", "in_progress", "requires_action", "cancelling"]);

/** Events after which a stream of one segment ends with `[DONE]`. */
export const SEGMENT_END_EVENTS = new Set([
  "thread.run.requires_action",
  "thread.run.completed",
  "thread.run.incomplete",
  "thread.run.failed",
  "thread.run.cancelled",
  "thread.run.expired",
]);

type ToolCall = Extract<RunStep["step_details"], { type: "tool_calls" }>["tool_calls"][number] & { type: "function" };

export class RunEngine {
  constructor(
    private readonly store: ObjectStore,
    private readonly changed: (runId: string) => void,
  ) {}

  /** Applies every operation due by `now`, expiring the run if `expires_at` passes first. */
  advance(runId: string, now: number): void {
    const state = this.store.getState<RunState>(runId);
    let run = this.store.get<Run>("run", runId);
    if (!state || !run) return;
    let applied = 0;
    while (ACTIVE_STATUSES.has(run.status)) {
      const next = state.plan[state.cursor];
      const expiry = run.expires_at === null ? Infinity : run.expires_at * 1000;
      // The expiry ops themselves (close_open, then run_done) must not plan the expiry again.
      const expiring = (next?.type === "close_open" || next?.type === "run_done") && next.status === "expired";
      if (expiry <= now && !expiring && (!next || next.at >= expiry)) {
        state.plan = [...state.plan.slice(0, state.cursor), ...planExpiry(expiry)];
        continue;
      }
      if (!next || next.at > now) break;
      run = this.apply(run, state, next);
      state.cursor++;
      applied++;
    }
    if (applied > 0) {
      this.store.putState(runId, state);
      this.changed(runId);
    }
  }

  /** When the run next changes on its own: its next operation or its expiry, whichever is first. */
  nextChangeAt(runId: string): number | null {
    const run = this.store.get<Run>("run", runId);
    const state = this.store.getState<RunState>(runId);
    if (!run || !state || !ACTIVE_STATUSES.has(run.status)) return null;
    const candidates = [state.plan[state.cursor]?.at, run.expires_at === null ? undefined : run.expires_at * 1000];
    const due = candidates.filter((at): at is number => at !== undefined);
    return due.length ? Math.min(...due) : null;
  }

  /** Replaces what is left of the plan (cancel, tool outputs) and applies whatever of it is already due. */
  replan(runId: string, ops: Op[], now: number): void {
    const state = this.store.getState<RunState>(runId);
    if (!state) return;
    state.plan = [...state.plan.slice(0, state.cursor), ...ops];
    this.store.putState(runId, state);
    this.advance(runId, now);
    this.changed(runId);
  }

  private emitRun(run: Run): Run {
    this.store.update(run);
    this.store.appendEvent(run.id, `thread.run.${run.status}`, run);
    return run;
  }

  private emitStep(runId: string, step: RunStep, event: string): void {
    this.store.update(step);
    this.store.appendEvent(runId, `thread.run.step.${event}`, step);
  }

  private emitMessage(runId: string, message: Message, event: string): void {
    this.store.update(message);
    this.store.appendEvent(runId, `thread.message.${event}`, message);
  }

  private apply(run: Run, state: RunState, op: Op): Run {
    const at = seconds(op.at);
    switch (op.type) {
      case "status":
        return this.emitRun({
          ...run,
          status: op.status,
          started_at: op.status === "in_progress" ? at : run.started_at,
          required_action: op.status === "queued" ? null : run.required_action,
        });
      case "tool_step": {
        const step = newStep(run, op.step_id, op.at, { type: "tool_calls", tool_calls: [] });
        this.store.insert("step", step, run.id);
        this.emitStep(run.id, step, "created");
        this.emitStep(run.id, step, "in_progress");
        return run;
      }
      case "hosted_step": {
        const step = newStep(run, op.step_id, op.at, op.details);
        this.store.insert("step", step, run.id);
        this.emitStep(run.id, step, "created");
        this.emitStep(run.id, step, "in_progress");
        return run;
      }
      case "tool_delta":
        this.applyToolDelta(run, op);
        return run;
      case "requires_action": {
        const calls = this.toolCalls(op.step_id);
        state.tool_step_id = op.step_id;
        state.tool_usage = op.usage;
        return this.emitRun({
          ...run,
          status: "requires_action",
          usage: op.usage,
          required_action: op.required_action ?? {
            type: "submit_tool_outputs",
            submit_tool_outputs: {
              tool_calls: calls.map(({ id, function: fn }) => ({
                id,
                type: "function",
                function: { name: fn.name, arguments: fn.arguments },
              })),
            },
          },
        });
      }
      case "message_step": {
        const step = newStep(run, op.step_id, op.at, {
          type: "message_creation",
          message_creation: { message_id: op.message_id },
        });
        this.store.insert("step", step, run.id);
        this.emitStep(run.id, step, "created");
        this.emitStep(run.id, step, "in_progress");
        const message = newReplyMessage(run, op.message_id, op.at);
        this.store.insert("message", message, run.id);
        this.emitMessage(run.id, message, "created");
        this.emitMessage(run.id, message, "in_progress");
        return run;
      }
      case "text":
        this.applyText(run, state, op);
        return run;
      case "message_done": {
        const message = this.store.get<Message>("message", op.message_id)!;
        const done: Message =
          op.status === "completed"
            ? { ...message, status: "completed", completed_at: at }
            : {
                ...message,
                status: "incomplete",
                incomplete_at: at,
                incomplete_details: { reason: op.reason ?? "max_tokens" },
              };
        this.emitMessage(run.id, done, op.status);
        return run;
      }
      case "step_done": {
        const step = this.store.get<RunStep>("step", op.step_id)!;
        const details = step.step_details;
        const step_details: RunStep["step_details"] =
          details.type === "tool_calls" && op.outputs
            ? {
                ...details,
                tool_calls: details.tool_calls.map((call) => {
                  if (call.type === "function")
                    return { ...call, function: { ...call.function, output: op.outputs?.[call.id] ?? null } };
                  // A hosted call (Foundry's mcp) carries its output at the top level of the call.
                  const output = op.outputs?.[call.id];
                  return output !== undefined && "output" in call ? { ...call, output } : call;
                }),
              }
            : details;
        const last_error =
          op.last_error && op.last_error.code !== "invalid_prompt"
            ? { code: op.last_error.code, message: op.last_error.message }
            : null;
        const done: RunStep = {
          ...step,
          status: op.status,
          step_details,
          usage: op.usage,
          last_error,
          completed_at: op.status === "completed" ? at : null,
          failed_at: op.status === "failed" ? at : null,
        };
        this.emitStep(run.id, done, op.status);
        return run;
      }
      case "close_open": {
        const reason = op.status === "cancelled" ? "run_cancelled" : "run_expired";
        for (const message of this.store.all<Message>("message", run.id).filter((m) => m.status === "in_progress"))
          this.emitMessage(
            run.id,
            { ...message, status: "incomplete", incomplete_at: at, incomplete_details: { reason } },
            "incomplete",
          );
        for (const step of this.store.all<RunStep>("step", run.id).filter((s) => s.status === "in_progress")) {
          const closed: RunStep =
            op.status === "cancelled"
              ? { ...step, status: "cancelled", cancelled_at: at }
              : { ...step, status: "expired", expired_at: at };
          this.emitStep(run.id, closed, op.status);
        }
        return run;
      }
      case "run_done": {
        state.tool_step_id = null;
        return this.emitRun({
          ...run,
          status: op.status,
          required_action: null,
          last_error: op.last_error ?? null,
          incomplete_details: op.incomplete_reason ? { reason: op.incomplete_reason } : null,
          completed_at: op.status === "completed" ? at : null,
          failed_at: op.status === "failed" ? at : null,
          cancelled_at: op.status === "cancelled" ? at : null,
          expires_at: op.status === "expired" ? run.expires_at : null,
          usage: this.runUsage(run.id, state),
        });
      }
    }
  }

  private toolCalls(stepId: string): ToolCall[] {
    const step = this.store.get<RunStep>("step", stepId);
    if (step?.step_details.type !== "tool_calls") return [];
    return step.step_details.tool_calls.filter((call): call is ToolCall => call.type === "function");
  }

  private applyToolDelta(run: Run, op: Extract<Op, { type: "tool_delta" }>): void {
    const step = this.store.get<RunStep>("step", op.step_id)!;
    if (step.step_details.type !== "tool_calls") return;
    const calls = step.step_details.tool_calls;
    // The first delta of a call names it, with empty arguments; later deltas carry only argument fragments (SDKs concatenate them).
    const deltaCall = op.call
      ? {
          index: op.index,
          id: op.call.id,
          type: "function",
          function: { name: op.call.name, arguments: "", output: null },
        }
      : { index: op.index, type: "function", function: { arguments: op.fragment } };
    if (op.call)
      calls[op.index] = {
        id: op.call.id,
        type: "function",
        function: { name: op.call.name, arguments: "", output: null },
      };
    else {
      const call = calls[op.index];
      if (call?.type === "function") call.function.arguments += op.fragment;
    }
    this.store.update(step);
    this.store.appendEvent(run.id, "thread.run.step.delta", {
      id: step.id,
      object: "thread.run.step.delta",
      delta: { step_details: { type: "tool_calls", tool_calls: [deltaCall] } },
    });
  }

  private applyText(run: Run, state: RunState, op: Extract<Op, { type: "text" }>): void {
    const message = this.store.get<Message>("message", op.message_id)!;
    const part = message.content[0];
    if (part?.type === "text") part.text.value += op.text;
    else message.content = [{ type: "text", text: { value: op.text, annotations: [] } }];
    this.store.update(message);
    // Only the first delta carries `annotations: []`, as the upstream's do; later ones carry only the new text.
    const text = op.first ? { value: op.text, annotations: [] } : { value: op.text };
    const delta: Record<string, unknown> = {
      id: message.id,
      object: "thread.message.delta",
      delta: { content: [{ index: 0, type: "text", text }] },
    };
    if (state.knobs.stamp) delta.emulator_emitted_at_ms = Date.now();
    this.store.appendEvent(run.id, "thread.message.delta", delta);
  }

  /** The run's usage is the sum of its steps'; a run that ended before any step counts its prompt only. */
  private runUsage(runId: string, state: RunState): Usage {
    const steps = this.store.all<RunStep>("step", runId).filter((step) => step.usage);
    if (steps.length === 0)
      return { prompt_tokens: state.prompt_tokens, completion_tokens: 0, total_tokens: state.prompt_tokens };
    return steps.reduce<Usage>(
      (sum, { usage }) => ({
        prompt_tokens: sum.prompt_tokens + usage!.prompt_tokens,
        completion_tokens: sum.completion_tokens + usage!.completion_tokens,
        total_tokens: sum.total_tokens + usage!.total_tokens,
      }),
      { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    );
  }
}
