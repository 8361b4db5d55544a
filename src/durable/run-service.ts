// What a run's hub does, behind its Durable Object shell (run-hub.ts): takes the run up (from its creation or from
// the upstream), answers reads and changes, collects tool outputs, and decides on every alarm what happens next.
// It changes the run only through its record, and reaches the platform (alarms, storage) only through `platform`.
import { toUpstreamError, UpstreamError } from "../errors/upstream-error";
import type { Run, RunsProvider, UpstreamEvent } from "../providers/provider";
import type { ToolAnswer } from "../schemas/runs";
import { backfill } from "./backfill";
import type { BeginInput, Submitted } from "./hub-contract";
import type { HubConfig } from "./hub-config";
import type { LogHubFailure } from "./hub-log";
import type { HubPoller } from "./hub-poller";
import { expiresAtMs, newHubState, type HubState } from "./hub-state";
import type { HubStreams } from "./hub-streams";
import type { RunRecord } from "./run-record";
import { alarmAction, nextAlarm, type ScheduleState } from "./schedule";
import type { ToolSubmission } from "./tool-submission";

/** What only the Durable Object may do. */
export interface HubPlatform {
  setAlarm(at: number): Promise<void>;
  /** After retention: subscribers are told, storage is deleted, the record starts empty. */
  retire(): Promise<void>;
  /** The earliest token expiry of an admitted socket, met by the same alarm. */
  nextExpiry(): number | null;
  /** Closes sockets past their deadline to authenticate. */
  closeOverdue(now: number): void;
}

/** The upstream's own answer for a run that does not exist, field for field, so either reads the same on every surface. */
export const runNotFound = (runId: string) =>
  new UpstreamError(`No run found with id '${runId}'.`, "http", {
    status: 404,
    type: "invalid_request_error",
    param: null,
    code: null,
  });

const scheduleState = (state: HubState): ScheduleState => ({
  terminalAt: state.terminalAt,
  streamOpen: state.stream.open,
  lastEventAt: state.stream.lastEventAt,
  pollAt: state.poll.at,
  expiresAt: expiresAtMs(state.run),
  settled: state.settled,
});

export class RunService {
  constructor(
    private readonly record: RunRecord,
    private readonly poller: HubPoller,
    private readonly streams: HubStreams,
    private readonly submission: ToolSubmission,
    private readonly config: HubConfig,
    private readonly provider: () => RunsProvider,
    private readonly platform: HubPlatform,
    private readonly log: LogHubFailure,
  ) {}

  /** The run was just created upstream; its first events arrive here, and the rest follow through `ingest`. */
  async begin(input: BeginInput): Promise<number> {
    const existing = this.record.state();
    if (existing) {
      // The hub took the run up first (a subscriber or a retrieve was quicker): the creator's slot is still this hub's to free.
      this.record.claimSlot(input.slotTenant);
      return existing.stream.generation;
    }
    const state = newHubState(input.run, input.thread_id, { streamOpen: true, slotTenant: input.slotTenant });
    this.record.hold(state, input.events);
    await this.schedule();
    return state.stream.generation;
  }

  ingest(generation: number, events: UpstreamEvent[]): boolean {
    return this.streams.ingest(generation, events);
  }

  streamEnded(generation: number): Promise<void> {
    return this.streams.ended(generation);
  }

  /** The run as the hub knows it while its stream is live (or it has ended); otherwise fresh from upstream. */
  async retrieve(threadId: string, runId: string): Promise<{ run: Run; pollAfterMs: number }> {
    const state = await this.ready(threadId, runId);
    // Pollers of the gateway get a hint too: the upstream's last one, or the hub's own quickest poll.
    const pollAfterMs = state.poll.hintMs ?? this.config.pollMinMs;
    if (state.stream.open || state.terminalAt !== null) return { run: state.run, pollAfterMs };
    return { run: await this.poller.pollOnce(), pollAfterMs: this.record.state()?.poll.hintMs ?? pollAfterMs };
  }

  async submitToolOutputs(threadId: string, runId: string, outputs: ToolAnswer[]): Promise<Submitted> {
    return this.submission.submit(await this.ready(threadId, runId), outputs);
  }

  /** Changes the metadata upstream and in the hub's copy, so every later read (from the hub or upstream) agrees. */
  async update(threadId: string, runId: string, metadata: Record<string, string> | null): Promise<Run> {
    await this.ready(threadId, runId);
    const updated = await this.provider().updateRun(threadId, runId, metadata);
    this.record.updateMetadata(updated.metadata);
    return updated;
  }

  /** Cancels upstream; the stream (if open) or the next polls bring `cancelling` and `cancelled` to subscribers. */
  async cancel(threadId: string, runId: string): Promise<Run> {
    const state = await this.ready(threadId, runId);
    const run = await this.provider().cancelRun(state.thread_id, state.run_id);
    const current = this.record.state()!;
    if (current.stream.open) return run;
    // Only when nothing newer was logged meanwhile (a stream's or a poll's `cancelled`, say) is `cancelling` news.
    if (current.version === state.version)
      this.record.append(backfill(this.record.log.currentView(), { run }), Date.now());
    this.poller.plan(Date.now(), true);
    await this.schedule();
    return run;
  }

  /** The hub's state for the run, adopting it from upstream if the hub has none (created elsewhere, or retired). */
  async ready(threadId: string, runId: string): Promise<HubState> {
    const state = this.record.state();
    if (state) {
      // Worded as the upstream words a run that does not exist: a caller learns nothing of runs on other threads.
      if (!this.record.holds({ thread_id: threadId, run_id: runId })) throw runNotFound(runId);
      return state;
    }
    const { run, pollAfterMs } = await this.provider()
      .retrieveRun(threadId, runId)
      .catch((error: unknown) => {
        // Worded and shaped as for a run on another thread, request id included (none): the two read the same.
        if (error instanceof UpstreamError && error.details.status === 404) throw runNotFound(runId);
        throw error;
      });
    // Another call may have taken the run up while the upstream answered: it holds it now.
    if (this.record.has()) return this.ready(threadId, runId);
    const adopted = newHubState(run, threadId, { streamOpen: false, slotTenant: null, hintMs: pollAfterMs });
    this.record.hold(adopted);
    await this.poller.backfill(adopted.version, run);
    this.poller.plan(Date.now(), true);
    await this.schedule();
    return this.record.state()!;
  }

  /** A subscriber joined: polling (if the run is being polled) moves to the watched pace. */
  async watched(): Promise<void> {
    if (this.poller.watched()) await this.schedule();
  }

  /** The next alarm, from the run's own schedule; a hub that holds no run sets none (and so stores nothing). */
  async schedule(): Promise<void> {
    const state = this.record.state();
    if (!state) return;
    const expiry = this.platform.nextExpiry();
    await this.platform.setAlarm(
      Math.min(nextAlarm(scheduleState(state), Date.now(), this.config), expiry ?? Infinity),
    );
  }

  /** What an alarm does, decided from the state and the time (schedule.ts). */
  async alarm(): Promise<void> {
    const now = Date.now();
    this.platform.closeOverdue(now);
    const state = this.record.state();
    if (!state) return;
    const action = alarmAction(scheduleState(state), now, this.config);
    switch (action) {
      case "retire":
        return this.platform.retire();
      case "loseStream":
        return this.streams.lost();
      case "wait":
        return this.schedule();
      case "poll":
      case "finalPoll": {
        let gone = false;
        try {
          await this.poller.pollOnce();
        } catch (error) {
          gone = this.pollFailed(error, now);
        }
        // The last poll (expiry has come) or a run gone upstream: nothing more will happen to it.
        if ((action === "finalPoll" || gone) && this.record.state()!.terminalAt === null) this.record.settle();
        return this.schedule();
      }
    }
  }

  /**
   * Every failed poll backs off, whatever failed (an upstream refusal, an answer of an unexpected shape, a
   * provider that cannot be built): the next poll is planned later, never in the past, so an alarm cannot spin.
   * True when the run is gone upstream (404): nothing more will happen to it.
   */
  private pollFailed(error: unknown, now: number): boolean {
    this.backOff(now);
    let failure = error;
    try {
      failure = toUpstreamError(error);
    } catch {
      // Not an upstream failure: logged as it is.
    }
    this.log({ level: "warn", what: "hub.poll_failed", error: failure });
    return failure instanceof UpstreamError && failure.details.status === 404;
  }

  /** A poll (or an alarm) failed: the next poll comes later, by one more step of the backoff, never in the past. */
  backOff(now: number): void {
    const state = this.record.state();
    if (!state || state.stream.open || state.terminalAt !== null || state.settled) return;
    this.poller.plan(now, false);
  }
}
