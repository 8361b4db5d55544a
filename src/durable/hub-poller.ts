// The hub's polling, for when no stream is open: one poll at a time, planned with backoff, and what each poll
// finds appended as the events a stream would have carried (backfill.ts) unless newer events overtook it.
import type { Run, RunsProvider } from "../providers/provider";
import { backfill } from "./backfill";
import type { HubConfig } from "./hub-config";
import type { HubState } from "./hub-state";
import type { RunRecord } from "./run-record";
import { pollDelay } from "./schedule";

/** Statuses in which the run moves on by itself, so a poll also reads its steps and messages. */
const PROGRESSING = new Set<Run["status"]>(["queued", "in_progress", "cancelling"]);

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

  /** Plans the next poll from now: soon after a change (`fresh`), backing off while polls find nothing new. */
  plan(state: HubState, now: number, fresh = false): void {
    if (fresh) state.poll.attempt = 0;
    state.poll.at = now + pollDelay(this.hub.config, state.poll.attempt, this.hub.subscriberCount(), state.poll.hintMs);
    this.hub.record.put(state);
  }

  /**
   * A subscriber joined: a run polled at the idle pace moves to the watched pace now, not after its next
   * idle poll. True when the plan moved (the hub then reschedules its alarm).
   */
  watched(): boolean {
    const state = this.hub.record.state();
    if (!state || state.stream.open || state.terminalAt !== null || state.settled || state.poll.at === null)
      return false;
    const soonest =
      Date.now() + pollDelay(this.hub.config, state.poll.attempt, this.hub.subscriberCount(), state.poll.hintMs);
    if (soonest >= state.poll.at) return false;
    state.poll.at = soonest;
    this.hub.record.put(state);
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
    const current = record.state()!;
    current.poll.hintMs = pollAfterMs;
    record.put(current);
    const outcome = await this.backfill(state.version, run);
    const after = record.state()!;
    // Quiet polls back off; a change, or an answer overtaken by newer events, brings the next poll close.
    after.poll.attempt = outcome === "quiet" ? after.poll.attempt + 1 : 0;
    this.plan(after, Date.now());
    return outcome === "stale" ? after.run : run;
  }

  /**
   * Appends what an upstream answer implies, unless something newer was logged after `version` (a
   * stream's events, a cancel): that answer is older than what subscribers have, and is dropped.
   */
  async backfill(version: number, run: Run): Promise<"changed" | "quiet" | "stale"> {
    const { record } = this.hub;
    const state = record.state()!;
    const moved = this.hub.record.log.currentView().get(run.id)?.status !== run.status || PROGRESSING.has(run.status);
    const provider = this.hub.provider();
    const [steps, messages] = moved
      ? await Promise.all([
          provider.listSteps(state.thread_id, state.run_id, { order: "asc", limit: 100 }),
          provider.listMessages(state.thread_id, { run_id: state.run_id, order: "asc", limit: 100 }),
        ])
      : [undefined, undefined];
    const current = record.state()!;
    if (current.stream.open || current.version !== version) return "stale";
    const events = backfill(this.hub.record.log.currentView(), { run, steps: steps?.data, messages: messages?.data });
    current.run = run;
    if (events.length === 0) {
      record.put(current);
      return "quiet";
    }
    record.append(current, events, Date.now());
    return "changed";
  }
}
