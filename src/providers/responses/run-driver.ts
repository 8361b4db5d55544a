// Follows a run's current response to the end of its round, inside the thread's Durable Object: reads the upstream
// stream, re-attaches after a drop (`starting_after`), falls back to polling when re-attaching is refused, and gives up
// on a response stuck `queued`. It is the one writer of its runs' state: every change is saved, then told to the
// reader of the run's stream (if one reads), and the thread's store stays the source of truth for every later read.
import { UpstreamError } from "../../errors/upstream-error";
import { logFailure, type Failure } from "../../log/failure-log";
import type { UpstreamEvent } from "../provider";
import { EventSink } from "./event-stream";
import { newId } from "./ids";
import { seconds, type RunState } from "./run-objects";
import { endRun, isActive, runEvent } from "./run-transitions";
import type { ResponsesStream, ResponsesUpstream } from "./responses-upstream";
import { snapshotEvents, type ResponsesEvent } from "./snapshot";
import type { ThreadStore } from "./thread-store";
import { translate } from "./translate";

export interface DriverSettings {
  /** The first and the longest pause between polls of a response whose stream could not be re-attached. */
  pollMinMs: number;
  pollMaxMs: number;
}

export interface DriverHost {
  store: ThreadStore;
  upstream(): ResponsesUpstream;
  settings: DriverSettings;
  /** A run is being followed: the object must stay alive (an open stream alone does not keep it so). */
  busy(): void;
  background(work: Promise<unknown>): void;
}

/** The round is still the upstream's to finish (requires_action and the end states are not). */
export const roundOpen = (state: Pick<RunState, "run">) =>
  ["queued", "in_progress", "cancelling"].includes(state.run.status);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class RunDriver {
  private readonly live = new Map<string, RunState>();
  private readonly sinks = new Map<string, EventSink>();
  /** The follower of each run; a newer round's follower supersedes the old one, which then stops. */
  private readonly followers = new Map<string, object>();
  private readonly queuedSince = new Map<string, number>();

  constructor(private readonly host: DriverHost) {}

  /** The run's state, expired first if its deadline for tool outputs has passed. */
  state(runId: string): RunState | null {
    const state = this.raw(runId);
    if (
      state?.run.status === "requires_action" &&
      state.run.expires_at !== null &&
      seconds(Date.now()) >= state.run.expires_at
    )
      this.local(runId, (s) => endRun(s, seconds(Date.now()), { status: "expired" }));
    return this.raw(runId);
  }

  private raw(runId: string): RunState | null {
    let state = this.live.get(runId);
    if (!state) {
      const stored = this.host.store.run(runId);
      if (!stored) return null;
      this.live.set(runId, (state = stored));
    }
    return state;
  }

  /** Saves a new round's start and follows its stream; the events go to the stream answered here. */
  follow(state: RunState, stream: ResponsesStream, prelude: UpstreamEvent[] = []): ReadableStream<Uint8Array> {
    this.live.set(state.run.id, state);
    this.host.store.putRun(state);
    const sink = new EventSink();
    this.sinks.set(state.run.id, sink);
    sink.write(prelude);
    this.queuedSince.set(state.run.id, Date.now());
    this.host.background(this.drive(state.run.id, stream, sink));
    return sink.readable;
  }

  /** A stream answered without any upstream call (the run ended locally): the events, then the end. */
  told(events: UpstreamEvent[]): ReadableStream<Uint8Array> {
    const sink = new EventSink();
    sink.write(events);
    sink.close();
    return sink.readable;
  }

  /** After a restart or a lost follower: a round still open is followed again (re-attached, or polled). */
  ensureFollowed(runId: string): void {
    const state = this.state(runId);
    if (!state || !roundOpen(state) || this.followers.has(runId)) return;
    this.host.background(this.drive(runId, null, null));
  }

  /** Responses events into the run: translated, saved, told. Nothing more happens to a run that has ended. */
  apply(runId: string, events: ResponsesEvent[]): UpstreamEvent[] {
    return this.local(runId, (state) => {
      const ctx = {
        now: seconds(Date.now()),
        newStepId: () => newId("step"),
        expiresInSeconds: state.limits.expiresInSeconds,
      };
      return events.flatMap((event) => (isActive(state.run) ? translate(state, event, ctx) : []));
    });
  }

  /** A change made here (cancel, expiry, a limit): saved, then told to the run's reader. */
  local(runId: string, change: (state: RunState) => UpstreamEvent[]): UpstreamEvent[] {
    const state = this.raw(runId);
    if (!state) return [];
    const events = change(state);
    if (events.length === 0) return events;
    const messages = events
      .filter((e) => e.event.startsWith("thread.message."))
      .map((e) => (e.data as { id: string }).id);
    this.host.store.putRun(state, messages);
    this.sinks.get(runId)?.write(events);
    return events;
  }

  private async drive(runId: string, first: ResponsesStream | null, sink: EventSink | null): Promise<void> {
    const token = {};
    this.followers.set(runId, token);
    const current = () => this.followers.get(runId) === token;
    this.host.busy();
    let stream = first;
    let stalls = 0;
    try {
      for (;;) {
        if (stream) {
          const before = this.raw(runId)?.current?.lastSeq ?? -2;
          await this.read(runId, stream, current);
          stalls = (this.raw(runId)?.current?.lastSeq ?? -2) > before ? 0 : stalls + 1;
        }
        const state = this.raw(runId);
        if (!current() || !state || !roundOpen(state)) return;
        if (!state.current) {
          this.fail(runId, "The upstream's stream ended before it created the response.");
          return;
        }
        // A stream that keeps ending without news is not worth re-attaching to: polling finishes the round.
        stream = stalls < 3 ? await this.reattach(state) : null;
        if (!stream) return await this.poll(runId, current);
      }
    } catch (error) {
      this.failed(runId, { what: "responses.follow_failed", error });
    } finally {
      sink?.close();
      if (this.sinks.get(runId) === sink) this.sinks.delete(runId);
      if (current()) this.followers.delete(runId);
    }
  }

  private async read(runId: string, stream: ResponsesStream, current: () => boolean): Promise<void> {
    const iterator = stream[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await this.nextOrGiveUp(runId, iterator);
        if (next === "queued too long") {
          stream.abort();
          return await this.giveUpQueued(runId);
        }
        if (next.done) return;
        if (!current()) return stream.abort();
        this.apply(runId, [next.value]);
        const state = this.raw(runId);
        if (next.value.type === "response.in_progress") this.queuedSince.delete(runId);
        if (!state || !roundOpen(state)) return stream.abort();
      }
    } catch (error) {
      // A dropped connection: the caller re-attaches.
      this.failed(runId, { level: "warn", what: "responses.stream_broke_off", error });
    }
  }

  /**
   * The next event, unless the response has been queued past the bound first. The bound's timer is cleared as soon as
   * the event comes: a pending timer keeps the thread's Durable Object active (in memory, and billed) until it fires.
   */
  private nextOrGiveUp(runId: string, iterator: AsyncIterator<ResponsesEvent>) {
    const next = iterator.next();
    const since = this.queuedSince.get(runId);
    if (since === undefined || this.raw(runId)?.run.status !== "queued") return next;
    next.catch(() => {});
    const left = since + this.raw(runId)!.limits.queuedTimeoutMs - Date.now();
    let bound: ReturnType<typeof setTimeout> | undefined;
    const tooLong = new Promise<"queued too long">(
      (resolve) => (bound = setTimeout(() => resolve("queued too long"), Math.max(0, left))),
    );
    return Promise.race([next, tooLong]).finally(() => clearTimeout(bound));
  }

  private async reattach(state: RunState): Promise<ResponsesStream | null> {
    try {
      return await this.host.upstream().resume(state.current!.responseId, state.current!.lastSeq);
    } catch (error) {
      // Refused (older than the window, not a background stream) or unreachable: polling takes over.
      this.failed(state.run.id, {
        level: "warn",
        what: "responses.reattach_failed",
        detail: `response ${state.current!.responseId}`,
        error,
      });
      return null;
    }
  }

  /** Polls the response until the round ends, telling what each answer implies (snapshot.ts). */
  private async poll(runId: string, current: () => boolean): Promise<void> {
    const { pollMinMs, pollMaxMs } = this.host.settings;
    for (let delay = pollMinMs; ; delay = Math.min(delay * 2, pollMaxMs)) {
      const state = this.raw(runId);
      if (!current() || !state?.current || !roundOpen(state)) return;
      try {
        this.apply(runId, snapshotEvents(state, await this.host.upstream().retrieve(state.current.responseId)));
      } catch (error) {
        if (error instanceof UpstreamError && error.details.status === 404)
          return this.fail(runId, `The upstream response ${state.current.responseId} no longer exists.`);
        this.failed(runId, { level: "warn", what: "responses.poll_failed", error });
      }
      const after = this.raw(runId)!;
      if (!roundOpen(after)) return;
      if (after.run.status === "in_progress") this.queuedSince.delete(runId);
      const since = this.queuedSince.get(runId);
      if (since !== undefined && after.run.status === "queued" && Date.now() - since > after.limits.queuedTimeoutMs)
        return this.giveUpQueued(runId);
      await sleep(delay);
    }
  }

  /** Stuck in `queued` (an upstream bug, PROVIDERS-NOTES §1.4): cancelled upstream, and the run fails saying why. */
  private async giveUpQueued(runId: string): Promise<void> {
    const responseId = this.raw(runId)?.current?.responseId;
    if (responseId)
      await this.host
        .upstream()
        .cancel(responseId)
        .catch(() => {});
    const limit = Math.round((this.raw(runId)?.limits.queuedTimeoutMs ?? 0) / 1000);
    this.fail(
      runId,
      `The upstream response ${responseId ?? ""} stayed queued for more than ${limit} s; Runcast cancelled it.`,
    );
  }

  fail(runId: string, message: string): void {
    this.local(runId, (state) =>
      isActive(state.run)
        ? endRun(state, seconds(Date.now()), { status: "failed", error: { code: "server_error", message } })
        : [],
    );
  }

  /** `cancelling`, told at once while the upstream is asked. */
  cancelling(runId: string): void {
    this.local(runId, (state) => [runEvent(state, { status: "cancelling" })]);
  }

  /** A line about one of this thread's runs (the thread is the object's; a request id it never hears). */
  private failed(runId: string, failure: Failure): void {
    logFailure({ run: runId, thread: this.raw(runId)?.run.thread_id ?? null, ...failure });
  }
}
