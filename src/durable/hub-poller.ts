// The hub's polling, for when no stream is open: one poll at a time, planned with backoff, and what each poll
// finds appended as the events a stream would have carried (backfill.ts) unless newer events overtook it.
import type { Run, RunsProvider } from "../providers/provider";
import { backfill } from "./backfill";
import type { HubConfig } from "./hub-config";
import { expiresAtMs, type HubState } from "./hub-state";
import type { RunRecord } from "./run-record";
import { plannedPollAt, pollDelay } from "./schedule";
import { roundOf } from "./tool-outputs";

/** Statuses in which the run moves on by itself, so its steps and messages are read again now and then. */
const PROGRESSING = new Set<Run["status"]>(["queued", "in_progress", "cancelling"]);

/** A run that has never started has no steps or messages of its own yet: reading them would find nothing. */
const neverStarted = (run: Run) => run.status === "queued" && run.started_at == null;

/** Between two answers, both waiting for tool outputs, the run asked for a new set of calls. */
const newRound = (before: Run, after: Run) =>
  before.status === "requires_action" && after.status === "requires_action" && roundOf(before) !== roundOf(after);

/** What the poller needs: the run's record (state, log, and its one way to append), its pace, and the upstream. */
export interface PollerHost {
  record: RunRecord;
  config: HubConfig;
  provider(): RunsProvider;
  subscriberCount(): number;
}

export class HubPoller {
  private polling: Promise<Run> | null = null;

  constructor(private readonly hub: PollerHost) {}

  /**
   * Plans the next poll from now: soon after a change (`fresh`), one step further back otherwise (nothing new, a
   * failure); and no later than the run's `expires_at`, where one poll reads what the upstream made of it.
   */
  plan(now: number, fresh: boolean): void {
    const { poll, run } = this.hub.record.state()!;
    const attempt = fresh ? 0 : poll.attempt + 1;
    const at = plannedPollAt(now, this.delay(attempt), expiresAtMs(run));
    this.hub.record.planPolls({ attempt, at });
  }

  private delay(attempt: number): number {
    const { poll, run } = this.hub.record.state()!;
    const waiting = run.status === "requires_action";
    return pollDelay(this.hub.config, attempt, this.hub.subscriberCount(), poll.hintMs, waiting);
  }

  /**
   * A subscriber joined: a run polled at the idle pace moves to the watched pace now, not after its next
   * idle poll. True when the plan moved (the hub then reschedules its alarm).
   */
  watched(): boolean {
    const state = this.hub.record.state();
    if (!state || state.stream.open || state.terminalAt !== null || state.settled || state.poll.at === null)
      return false;
    const soonest = Date.now() + this.delay(state.poll.attempt);
    if (soonest >= state.poll.at) return false;
    this.hub.record.planPolls({ at: soonest });
    return true;
  }

  /** One poll at a time, whoever asks (the alarm, a retrieve): two answers of different ages never race to the log. */
  pollOnce(): Promise<Run> {
    this.polling ??= this.poll().finally(() => (this.polling = null));
    return this.polling;
  }

  /** The run from upstream, plus its steps and messages when it may have moved, appended as the events they imply. */
  private async poll(): Promise<Run> {
    const { record } = this.hub;
    const state = record.state()!;
    const { run, pollAfterMs } = await this.hub.provider().retrieveRun(state.thread_id, state.run_id);
    record.planPolls({ hintMs: pollAfterMs });
    const outcome = await this.backfill(state.version, run);
    // Polls that find the status unchanged back off (new text of a message it writes included); a change of status,
    // or an answer overtaken by newer events, brings the next poll close.
    this.plan(Date.now(), outcome !== "quiet");
    return outcome === "stale" ? record.state()!.run : run;
  }

  /**
   * Appends what an upstream answer implies, unless something newer was logged after `version` (a
   * stream's events, a cancel): that answer is older than what subscribers have, and is dropped.
   * `changed`: the status moved; `quiet`: it did not (new steps or text may still have been appended).
   */
  async backfill(version: number, run: Run): Promise<"changed" | "quiet" | "stale"> {
    const { record } = this.hub;
    const state = record.state()!;
    // A new round of tool calls (the run went on and asked again between two polls) is a move too.
    const anotherRound = newRound(state.run, run);
    const statusMoved = record.log.currentView().get(run.id)?.status !== run.status || anotherRound;
    const readContent = !neverStarted(run) && (statusMoved || this.contentDue(state, run));
    const provider = this.hub.provider();
    const [steps, messages] = readContent
      ? await Promise.all([
          provider.listSteps(state.thread_id, state.run_id, { order: "asc", limit: 100 }),
          provider.listMessages(state.thread_id, { run_id: state.run_id, order: "asc", limit: 100 }),
        ])
      : [undefined, undefined];
    const current = record.state()!;
    if (current.stream.open || current.version !== version) return "stale";
    const events = backfill(record.log.currentView(), {
      run,
      steps: steps?.data,
      messages: messages?.data,
      newRound: anotherRound,
    });
    record.observe(run, events);
    if (readContent) record.planPolls({ contentAt: Date.now() });
    return statusMoved ? "changed" : "quiet";
  }

  /**
   * Whether a poll that found the status unchanged reads the steps and messages too: only while the run moves by
   * itself, and then when a stream carried events since they were last read (it may have dropped mid-message) or
   * every `pollContentMs`. A status read alone costs the upstream one request instead of three.
   */
  private contentDue(state: HubState, run: Run): boolean {
    if (!PROGRESSING.has(run.status)) return false;
    // From expires_at on, a poll may be the last: what the run wrote is read, not left out of the log for good.
    if (Date.now() >= (expiresAtMs(run) ?? Infinity)) return true;
    const readAt = state.poll.contentAt ?? -Infinity;
    return state.stream.lastEventAt > readAt || Date.now() - readAt >= this.hub.config.pollContentMs;
  }
}
