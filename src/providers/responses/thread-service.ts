// Every operation on one thread for the Responses provider: the thread and its conversation, its messages, and its
// runs (one active at a time, as the Assistants upstream enforces), answered from Runcast's own records.
import type { Thread } from "openai/resources/beta/threads/threads";
import type { Assistant, ListPage, Message, Run, RunParams, RunStep, UpstreamEvent } from "../provider";
import type { CreateThreadAndRunInput, ToolOutput } from "../../schemas/runs";
import { UpstreamError } from "../../errors/upstream-error";
import { logFailure } from "../../log/failure-log";
import { newId } from "./ids";
import { page, type PageQuery } from "./pages";
import { newRunState, seconds, type RunLimits, type RunState } from "./run-objects";
import { newRun, outputBudget, promptBudgetSpent, roundRequest } from "./run-request";
import { completeToolStep, endRun, isActive, pendingCalls } from "./run-transitions";
import type { ResponsesUpstream } from "./responses-upstream";
import type { RunDriver } from "./run-driver";
import { snapshotEvents } from "./snapshot";
import { invalidRequest, notFound } from "./rpc-outcome";
import { toItem, toMessage, type MessageInput } from "./thread-messages";
import { checkToolOutputs } from "./tool-outputs";
import type { ThreadRecord, ThreadStore } from "./thread-store";

export interface ThreadInit {
  messages?: MessageInput[] | null;
  metadata?: Record<string, string> | null;
  tool_resources?: unknown;
}

export interface ThreadServiceHost {
  store: ThreadStore;
  driver: RunDriver;
  upstream(): ResponsesUpstream;
  assistant(id: string): Promise<Assistant>;
  /** Work that goes on after the call that started it has been answered. */
  background(work: Promise<unknown>): void;
}

export class ThreadService {
  /** Run creation and message adds, one at a time: the one-active-run rule must see each in turn. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly host: ThreadServiceHost) {}

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => {});
    return next;
  }

  async createThread(threadId: string, init: ThreadInit): Promise<Thread> {
    if (this.host.store.thread()) throw invalidRequest(`Thread ${threadId} already exists.`);
    const conversation = await this.host.upstream().createConversation();
    const thread: Thread = {
      id: threadId,
      object: "thread",
      created_at: seconds(Date.now()),
      metadata: init.metadata ?? {},
      tool_resources: (init.tool_resources ?? {}) as Thread["tool_resources"],
    };
    this.host.store.putThread({ thread, conversationId: conversation.id });
    await this.addMessages(threadId, init.messages ?? []);
    return thread;
  }

  record(threadId: string): ThreadRecord {
    const record = this.host.store.thread();
    if (!record || record.thread.id !== threadId) throw notFound("thread", threadId);
    return record;
  }

  updateThread(threadId: string, metadata: Record<string, string> | null): Thread {
    const record = this.record(threadId);
    record.thread = { ...record.thread, metadata: metadata ?? {} };
    this.host.store.putThread(record);
    return record.thread;
  }

  deleteThread(threadId: string) {
    this.record(threadId);
    this.refuseWhileActive(threadId, "delete");
    this.host.store.deleteAll();
    return { id: threadId, object: "thread.deleted" as const, deleted: true };
  }

  createMessage(threadId: string, input: MessageInput): Promise<Message> {
    return this.serial(async () => {
      this.record(threadId);
      this.refuseWhileActive(threadId, "add messages to");
      await this.closeDanglingCalls(threadId);
      return (await this.addMessages(threadId, [input]))[0]!;
    });
  }

  message(threadId: string, messageId: string): Message {
    this.record(threadId);
    const message = this.host.store.message(messageId);
    if (!message) throw notFound("message", messageId);
    return message;
  }

  listMessages(threadId: string, query: PageQuery & { run_id?: string }): ListPage<Message> {
    this.record(threadId);
    return page(this.host.store.messages(query.run_id), query);
  }

  /** Messages go to the conversation first: its item ids become the messages' ids. */
  private async addMessages(threadId: string, inputs: MessageInput[]): Promise<Message[]> {
    if (inputs.length === 0) return [];
    const ids = await this.host.upstream().addItems(this.record(threadId).conversationId, inputs.map(toItem));
    const now = seconds(Date.now());
    const messages = inputs.map((input, i) => toMessage(ids[i]!, threadId, now, input));
    for (const message of messages) this.host.store.putMessage(message);
    return messages;
  }

  /**
   * Calls of a run that ended while waiting for outputs stay unanswered in the conversation, and the upstream refuses
   * a response on a conversation with an unanswered call: each gets the output submitted (a run out of budget) or a
   * note of how the run ended, before anything else goes on the conversation.
   */
  private async closeDanglingCalls(threadId: string): Promise<void> {
    const conversationId = this.record(threadId).conversationId;
    for (const stored of this.host.store.runs()) {
      if (!stored.awaitingOutputs) continue;
      const state = this.host.driver.state(stored.run.id)!;
      if (!state.awaitingOutputs || isActive(state.run)) continue;
      const items = pendingCalls(state).map((call) => ({
        type: "function_call_output" as const,
        call_id: call.id,
        output: state.outputs[call.id] ?? `No output: the run ended ${state.run.status} before one was submitted.`,
      }));
      await this.host.upstream().addItems(conversationId, items);
      this.host.driver.local(state.run.id, (s) => {
        s.awaitingOutputs = false;
        return [];
      });
      this.host.store.putRun(state);
    }
  }

  private activeRun(): RunState | null {
    for (const stored of this.host.store.runs()) {
      if (!isActive(stored.run)) continue;
      // Read through the driver, which expires a run past its deadline.
      const state = this.host.driver.state(stored.run.id);
      if (state && isActive(state.run)) return state;
    }
    return null;
  }

  private refuseWhileActive(threadId: string, doing: "add messages to" | "delete"): void {
    const active = this.activeRun();
    if (active) throw invalidRequest(`Can't ${doing} ${threadId} while a run ${active.run.id} is active.`);
  }

  startRun(
    threadId: string,
    params: RunParams,
    limits: RunLimits,
    prelude: UpstreamEvent[] = [],
  ): Promise<ReadableStream<Uint8Array>> {
    return this.serial(async () => {
      const record = this.record(threadId);
      const active = this.activeRun();
      if (active) throw invalidRequest(`Thread ${threadId} already has an active run ${active.run.id}.`);
      const assistant = await this.assistantOfRun(params.assistant_id);
      await this.closeDanglingCalls(threadId);
      await this.addMessages(threadId, params.additional_messages ?? []);
      const run = newRun({
        id: newId("run"),
        threadId,
        assistant,
        params,
        now: seconds(Date.now()),
      });
      const state = newRunState(run, record.conversationId, limits);
      // The run exists only once the upstream took its first response: a refusal leaves nothing behind.
      const stream = await this.host.upstream().create(roundRequest(state, []));
      return this.host.driver.follow(state, stream, prelude);
    });
  }

  async startThreadAndRun(
    threadId: string,
    input: CreateThreadAndRunInput,
    limits: RunLimits,
  ): Promise<ReadableStream<Uint8Array>> {
    const { thread: init, tool_resources, ...params } = input;
    const thread = await this.createThread(threadId, {
      ...init,
      tool_resources: tool_resources ?? init?.tool_resources,
    });
    return this.startRun(threadId, params, limits, [{ event: "thread.created", data: thread }]);
  }

  /** The run's assistant; one that does not exist is the Assistants API's 404 naming `assistant_id`. */
  private async assistantOfRun(id: string): Promise<Assistant> {
    try {
      return await this.host.assistant(id);
    } catch (error) {
      if (error instanceof UpstreamError && error.details.status === 404)
        throw invalidRequest(error.message, 404, "assistant_id");
      throw error;
    }
  }

  run(threadId: string, runId: string): RunState {
    this.record(threadId);
    const state = this.host.driver.state(runId);
    if (!state) throw notFound("run", runId);
    return state;
  }

  retrieveRun(threadId: string, runId: string): Run {
    const state = this.run(threadId, runId);
    this.host.driver.ensureFollowed(runId);
    return state.run;
  }

  listRuns(threadId: string, query: PageQuery): ListPage<Run> {
    this.record(threadId);
    const runs = this.host.store
      .runs()
      .map((stored) => (isActive(stored.run) ? this.host.driver.state(stored.run.id)!.run : stored.run));
    return page(runs, query);
  }

  /** Metadata changes are Runcast's: responses take metadata only when created. */
  updateRun(threadId: string, runId: string, metadata: Record<string, string> | null): Run {
    const state = this.run(threadId, runId);
    state.run = { ...state.run, metadata: metadata ?? {} };
    this.host.store.putRun(state);
    return state.run;
  }

  listSteps(threadId: string, runId: string, query: PageQuery): ListPage<RunStep> {
    return page(this.run(threadId, runId).steps, query);
  }

  step(threadId: string, runId: string, stepId: string): RunStep {
    const step = this.run(threadId, runId).steps.find((candidate) => candidate.id === stepId);
    if (!step) throw notFound("run step", stepId);
    return step;
  }

  /** Checked against the pending calls before any upstream call, then answered by the chain's next response. */
  submitToolOutputs(threadId: string, runId: string, outputs: ToolOutput[]): Promise<ReadableStream<Uint8Array>> {
    return this.serial(async () => {
      const state = this.run(threadId, runId);
      const given = checkToolOutputs(state, outputs);
      // Budgets span the chain: with nothing left, the run ends incomplete instead of asking for more.
      const spent = promptBudgetSpent(state.run)
        ? "max_prompt_tokens"
        : outputBudget(state.run) === 0
          ? "max_completion_tokens"
          : null;
      state.outputs = given;
      if (spent) {
        const now = seconds(Date.now());
        const events = this.host.driver.local(runId, (s) => [
          ...completeToolStep(s, now),
          ...endRun(s, now, { status: "incomplete", reason: "max_tokens", run: { reason: spent } }),
        ]);
        return this.host.driver.told(events);
      }
      const input = Object.entries(given).map(([call_id, output]) => ({
        type: "function_call_output" as const,
        call_id,
        output,
      }));
      try {
        const stream = await this.host.upstream().create(roundRequest(state, input));
        return this.host.driver.follow(state, stream);
      } catch (error) {
        // The upstream took nothing: the same outputs can be sent again.
        state.outputs = {};
        throw error;
      }
    });
  }

  /**
   * As the Assistants API answers a cancel: the run `cancelling` at once, and `cancelled` once it has ended. A run
   * waiting for outputs has nothing upstream to cancel and ends here at once; a running response is cancelled upstream
   * after the answer, and whatever the upstream answers (cancelled, or finished first) is told.
   */
  cancelRun(threadId: string, runId: string): Run {
    const { driver } = this.host;
    const state = this.run(threadId, runId);
    if (!isActive(state.run)) throw invalidRequest(`Cannot cancel run with status '${state.run.status}'.`);
    if (state.run.status === "cancelling") return state.run;
    const waiting = state.run.status === "requires_action";
    driver.cancelling(runId);
    const answer = driver.state(runId)!.run;
    const cancelLocally = () =>
      driver.local(runId, (s) =>
        s.run.status === "cancelling" || s.run.status === "requires_action"
          ? endRun(s, seconds(Date.now()), { status: "cancelled" })
          : [],
      );
    if (waiting || !state.current) cancelLocally();
    else {
      const responseId = state.current.responseId;
      const upstream = this.host.upstream();
      this.host.background(
        upstream
          .cancel(responseId)
          .catch(() => upstream.retrieve(responseId))
          .then((final) => {
            driver.apply(runId, snapshotEvents(driver.state(runId)!, final));
            // Still `cancelling` if the upstream's answer ended nothing (its own cancel still under way): ended here.
            cancelLocally();
          })
          .catch((error) => {
            // The caller asked for the run to end and Runcast's record is the run: it ends cancelled here, and
            // whatever the unreachable response still does is ignored (an ended run takes no more events).
            logFailure({ what: "responses.cancel_failed", run: runId, thread: threadId, error });
            cancelLocally();
          }),
      );
    }
    return answer;
  }
}
