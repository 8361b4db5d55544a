// Every operation on one thread and its runs, as the upstream performs it; the routes only parse and answer.
import { ApiError, badRequest, notFound } from "./api-error";
import {
  messageText,
  newMessage,
  newRun,
  newThread,
  type Assistant,
  type CreateMessageBody,
  type Message,
  type Run,
  type RunSettings,
  type RunStep,
  type Thread,
} from "./objects";
import type { HostedTools } from "./hosted-tools";
import type { PageParams } from "./pagination";
import { plannedToolCalls, replyText, toolResultText, countTokens } from "./reply";
import { ACTIVE_STATUSES, RunEngine, type RunState } from "./run-engine";
import { planAfterApprovals, planAfterTools, planCancel, planFirstSegment } from "./run-plan";
import { sseResponse, type StreamSource } from "./run-stream";
import { resolveKnobs, type RunKnobs, type Settings } from "./settings";
import type { ObjectStore } from "./object-store";

/** What a thread needs from the emulator's directory to start a run. */
export interface Directory {
  runContext(assistantId: string): Promise<{ assistant: Assistant | null; settings: Settings }>;
}

export interface CreateThreadBody {
  messages?: CreateMessageBody[];
  metadata?: Record<string, string> | null;
  tool_resources?: unknown;
}

export interface CreateRunBody extends Omit<RunSettings, "assistant"> {
  assistant_id: string;
  additional_messages?: CreateMessageBody[] | null;
  stream?: boolean | null;
}

export interface SubmitToolOutputsBody {
  tool_outputs: Array<{ tool_call_id?: string; output?: string }>;
  stream?: boolean | null;
}

export interface SubmitToolApprovalsBody {
  tool_approvals: unknown;
  stream?: boolean | null;
}

/** What the service needs from the Durable Object it lives in. */
export interface ThreadHost {
  /** Wakes the streams tailing a run after its log or plan changed. */
  changed(runId: string): void;
  waitForChange(runId: string, until: number | null): Promise<void>;
  /** Deletes everything the thread stored. */
  wipe(): Promise<void>;
}

/** A run's answer: its object, or a stream of its events when the request asked for one. */
export type RunAnswer = { run: Run } | { stream: Response; firstByteDelayMs: number };

export class ThreadService {
  private readonly engine: RunEngine;

  constructor(
    private readonly store: ObjectStore,
    private readonly directory: Directory,
    private readonly host: ThreadHost,
    private readonly hosted: HostedTools | null = null,
  ) {
    this.engine = new RunEngine(store, (runId) => host.changed(runId));
  }

  /** The stream source for this thread's runs: the engine applies what is due, the store has the log. */
  private get streams(): StreamSource {
    return {
      advance: (runId) => this.engine.advance(runId, Date.now()),
      eventsAfter: (runId, seq) => this.store.eventsAfter(runId, seq),
      nextChangeAt: (runId) => this.engine.nextChangeAt(runId),
      waitForChange: (runId, until) => this.host.waitForChange(runId, until),
    };
  }

  /** Brings every run that may have moved on up to now; called before any read or write. */
  catchUp(): void {
    if (!this.store.exists()) return;
    const now = Date.now();
    for (const runId of this.store.activeRunIds()) this.engine.advance(runId, now);
  }

  thread(threadId: string): Thread {
    const thread = this.store.exists() ? this.store.get<Thread>("thread", threadId) : undefined;
    if (!thread) throw notFound("thread", threadId);
    return thread;
  }

  createThread(threadId: string, body: CreateThreadBody): Thread {
    const now = Date.now();
    this.store.create();
    const thread = newThread(threadId, now, body);
    this.store.insert("thread", thread);
    for (const message of body.messages ?? []) this.store.insert("message", newMessage(threadId, now, message));
    return thread;
  }

  modifyThread(threadId: string, body: { metadata?: Record<string, string> | null; tool_resources?: unknown }): Thread {
    const thread = this.thread(threadId);
    const updated: Thread = {
      ...thread,
      metadata: body.metadata ?? thread.metadata,
      tool_resources: (body.tool_resources ?? thread.tool_resources) as Thread["tool_resources"],
    };
    this.store.update(updated);
    return updated;
  }

  async deleteThread(threadId: string) {
    this.thread(threadId);
    await this.host.wipe();
    return { id: threadId, object: "thread.deleted" as const, deleted: true };
  }

  private activeRun(): Run | undefined {
    const [runId] = this.store.activeRunIds();
    return runId ? this.store.get<Run>("run", runId) : undefined;
  }

  createMessage(threadId: string, body: CreateMessageBody): Message {
    this.thread(threadId);
    const active = this.activeRun();
    if (active) throw badRequest(`Can't add messages to ${threadId} while a run ${active.id} is active.`);
    const message = newMessage(threadId, Date.now(), body);
    this.store.insert("message", message);
    return message;
  }

  message(threadId: string, messageId: string): Message {
    this.thread(threadId);
    const message = this.store.get<Message>("message", messageId);
    if (!message) throw notFound("message", messageId);
    return message;
  }

  listMessages(threadId: string, page: PageParams, runId?: string) {
    this.thread(threadId);
    return this.store.page<Message>("message", page, runId);
  }

  /** The last user message: what the emulated model answers and takes tool arguments from. */
  private lastUserText(): string {
    const lastUser = this.store
      .all<Message>("message")
      .filter((message) => message.role === "user")
      .at(-1);
    return lastUser ? messageText(lastUser) : "";
  }

  async createRun(threadId: string, body: CreateRunBody, threadCreated = false): Promise<RunAnswer> {
    const { assistant, settings } = await this.directory.runContext(body.assistant_id);
    // Checked after the only await, so two creations at once cannot both find the thread free.
    const thread = this.thread(threadId);
    const active = this.activeRun();
    if (active) throw badRequest(`Thread ${threadId} already has an active run ${active.id}.`);
    if (!assistant)
      throw new ApiError(404, `No assistant found with id '${body.assistant_id}'.`, { param: "assistant_id" });
    const knobs = resolveKnobs(settings, body.metadata ?? {});

    const now = Date.now();
    for (const message of body.additional_messages ?? [])
      this.store.insert("message", newMessage(threadId, now, message));
    const { assistant_id: _, additional_messages: __, stream, ...overrides } = body;
    const run = newRun(threadId, now, knobs.expires_seconds, { ...overrides, assistant });
    this.store.insert("run", run);

    const messages = this.store.all<Message>("message");
    const userText = this.lastUserText();
    const promptTokens =
      countTokens(run.instructions) + messages.reduce((sum, message) => sum + countTokens(messageText(message)), 0);
    // Run-level tool resources (Foundry takes them on run creation) win over the thread's, then the assistant's.
    const runResources = (body as { tool_resources?: unknown }).tool_resources;
    const hosted = this.hosted?.plan({
      run,
      userText,
      toolResources: [runResources, thread.tool_resources, assistant.tool_resources],
    });
    const plan = planFirstSegment(knobs, {
      now,
      // Calls that wait for approval come first; the model's own calls are planned again once they are answered.
      calls: hosted?.segment.approval
        ? []
        : plannedToolCalls(run.tools, run.tool_choice, run.parallel_tool_calls, userText),
      reply: hosted?.results.length
        ? toolResultText(hosted.results, knobs.reply_words)
        : replyText(userText, knobs.reply_words),
      hosted: hosted?.segment,
      promptTokens,
      completionTokensUsed: 0,
      maxPromptTokens: run.max_prompt_tokens,
      maxCompletionTokens: run.max_completion_tokens,
    });
    const state: RunState = {
      plan,
      cursor: 0,
      knobs,
      prompt_tokens: promptTokens,
      tool_step_id: null,
      tool_usage: null,
      http_errors_left: knobs.http_errors?.count ?? 0,
    };
    this.store.putState(run.id, state);
    if (threadCreated) this.store.appendEvent(run.id, "thread.created", thread);
    this.store.appendEvent(run.id, "thread.run.created", run);
    this.store.appendEvent(run.id, "thread.run.queued", run);
    return this.answer(run, knobs, stream, 0);
  }

  /** A run that exists on this thread; with the `emulator_http_errors` knob, its next requests fail first. */
  run(threadId: string, runId: string): Run {
    this.thread(threadId);
    const run = this.store.get<Run>("run", runId);
    if (!run) throw notFound("run", runId);
    const state = this.store.getState<RunState>(runId);
    if (state && state.knobs.http_errors && state.http_errors_left > 0) {
      state.http_errors_left--;
      this.store.putState(runId, state);
      throw injectedHttpError(state.knobs.http_errors.status, state.knobs.http_errors.retry_after);
    }
    return run;
  }

  /**
   * When the run's status changed, in epoch ms, as its plan timed each change (applied lazily on reads, but due at
   * exactly these times): the truth a benchmark measures a poller's delay against. Only the changes made so far.
   */
  statusChanges(threadId: string, runId: string): Array<{ status: Run["status"]; at_ms: number }> {
    this.thread(threadId);
    if (!this.store.get<Run>("run", runId)) throw notFound("run", runId);
    const state = this.store.getState<RunState>(runId);
    return (state?.plan.slice(0, state.cursor) ?? []).flatMap((op): Array<{ status: Run["status"]; at_ms: number }> => {
      if (op.type === "status" || op.type === "run_done") return [{ status: op.status, at_ms: op.at }];
      return op.type === "requires_action" ? [{ status: "requires_action", at_ms: op.at }] : [];
    });
  }

  knobs(runId: string): RunKnobs | undefined {
    return this.store.getState<RunState>(runId)?.knobs;
  }

  listRuns(threadId: string, page: PageParams) {
    this.thread(threadId);
    return this.store.page<Run>("run", page);
  }

  modifyRun(threadId: string, runId: string, body: { metadata?: Record<string, string> | null }): Run {
    const run = this.run(threadId, runId);
    const updated: Run = { ...run, metadata: body.metadata ?? run.metadata };
    this.store.update(updated);
    return updated;
  }

  cancelRun(threadId: string, runId: string): Run {
    const run = this.run(threadId, runId);
    if (!ACTIVE_STATUSES.has(run.status) || run.status === "cancelling")
      throw badRequest(`Cannot cancel run with status '${run.status}'.`);
    const knobs = this.knobs(runId)!;
    // One clock reading: were the plan and the catch-up read apart, a slow moment could apply the whole cancel at once.
    const now = Date.now();
    this.engine.replan(runId, planCancel(now, knobs.delta_ms), now);
    return this.store.get<Run>("run", runId)!;
  }

  submitToolOutputs(threadId: string, runId: string, body: SubmitToolOutputsBody): RunAnswer {
    const run = this.run(threadId, runId);
    const state = this.store.getState<RunState>(runId)!;
    if (run.status !== "requires_action" || !run.required_action || !state.tool_step_id)
      throw badRequest(`Runs in status "${run.status}" do not accept tool outputs.`);
    if (run.required_action.type !== "submit_tool_outputs")
      throw badRequest(
        `Run ${runId} is waiting for tool approvals, not tool outputs: submit 'tool_approvals'.`,
        "tool_outputs",
      );
    const expected = run.required_action.submit_tool_outputs.tool_calls;
    const outputs: Record<string, string> = {};
    body.tool_outputs.forEach((item, index) => {
      if (typeof item.tool_call_id !== "string")
        throw badRequest(
          `Missing required parameter: 'tool_outputs[${index}].tool_call_id'.`,
          `tool_outputs[${index}].tool_call_id`,
          "missing_required_parameter",
        );
      if (typeof item.output !== "string")
        throw badRequest(
          `Missing required parameter: 'tool_outputs[${index}].output'.`,
          `tool_outputs[${index}].output`,
          "missing_required_parameter",
        );
      if (item.tool_call_id in outputs)
        throw badRequest(
          `Duplicate tool output for tool call '${item.tool_call_id}'.`,
          `tool_outputs[${index}].tool_call_id`,
        );
      outputs[item.tool_call_id] = item.output;
    });
    const expectedIds = expected.map((call) => call.id);
    const given = Object.keys(outputs);
    if (given.length !== expectedIds.length || !expectedIds.every((id) => id in outputs))
      throw badRequest(
        `Expected tool outputs for call_ids ${JSON.stringify(expectedIds)}, got ${JSON.stringify(given)}`,
        "tool_outputs",
      );

    const fromSeq = this.store.lastEventSeq(runId);
    const knobs = state.knobs;
    const results = expected.map((call) => ({ name: call.function.name, output: outputs[call.id]! }));
    const promptTokens = state.prompt_tokens + results.reduce((sum, result) => sum + countTokens(result.output), 0);
    const now = Date.now();
    const ops = planAfterTools(knobs, {
      now,
      toolStepId: state.tool_step_id,
      toolUsage: state.tool_usage ?? {
        prompt_tokens: state.prompt_tokens,
        completion_tokens: 0,
        total_tokens: state.prompt_tokens,
      },
      outputs,
      reply: toolResultText(results, knobs.reply_words),
      promptTokens,
      completionTokensUsed: state.tool_usage?.completion_tokens ?? 0,
      maxCompletionTokens: run.max_completion_tokens,
    });
    this.engine.replan(runId, ops, now);
    return this.answer(this.store.get<Run>("run", runId)!, knobs, body.stream, fromSeq);
  }

  /** Answers a hosted service's `submit_tool_approval`: the approval step completes, then the run goes on as it would have. */
  submitToolApprovals(threadId: string, runId: string, body: SubmitToolApprovalsBody): RunAnswer {
    const run = this.run(threadId, runId);
    const state = this.store.getState<RunState>(runId)!;
    const action = run.required_action as { type: string } | null;
    if (!this.hosted || run.status !== "requires_action" || !action || !state.tool_step_id)
      throw badRequest(`Runs in status "${run.status}" do not accept tool approvals.`);
    if (action.type !== "submit_tool_approval")
      throw badRequest(
        `Run ${runId} is waiting for tool outputs, not tool approvals: submit 'tool_outputs'.`,
        "tool_approvals",
      );
    const { outputs, results } = this.hosted.approve(run, body.tool_approvals);

    const fromSeq = this.store.lastEventSeq(runId);
    const knobs = state.knobs;
    const userText = this.lastUserText();
    const now = Date.now();
    const ops = planAfterApprovals(knobs, {
      now,
      approvalStepId: state.tool_step_id,
      outputs,
      calls: plannedToolCalls(run.tools, run.tool_choice, run.parallel_tool_calls, userText),
      reply: results.length ? toolResultText(results, knobs.reply_words) : replyText(userText, knobs.reply_words),
      promptTokens: state.prompt_tokens,
      completionTokensUsed: 0,
      maxCompletionTokens: run.max_completion_tokens,
    });
    this.engine.replan(runId, ops, now);
    return this.answer(this.store.get<Run>("run", runId)!, knobs, body.stream, fromSeq);
  }

  steps(threadId: string, runId: string, page: PageParams) {
    this.run(threadId, runId);
    return this.store.page<RunStep>("step", page, runId);
  }

  step(threadId: string, runId: string, stepId: string): RunStep {
    this.run(threadId, runId);
    const step = this.store.get<RunStep>("step", stepId);
    if (!step || step.run_id !== runId) throw notFound("run step", stepId);
    return step;
  }

  private answer(run: Run, knobs: RunKnobs, stream: boolean | null | undefined, fromSeq: number): RunAnswer {
    if (!stream) return { run };
    return {
      stream: sseResponse(this.streams, run.id, fromSeq, { cut_after: knobs.cut_after }),
      firstByteDelayMs: knobs.first_byte_ms,
    };
  }
}

/** The error an injected HTTP fault answers with, shaped as the upstream's own 429 or 5xx. */
export function injectedHttpError(status: number, retryAfter: number): ApiError {
  if (status === 429)
    return new ApiError(429, "Rate limit reached for requests. Please try again in 1s.", {
      type: "requests",
      code: "rate_limit_exceeded",
      headers: { "retry-after": String(retryAfter) },
    });
  return new ApiError(status, "The server had an error while processing your request. Sorry about that!", {
    type: "server_error",
  });
}
