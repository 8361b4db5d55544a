// Subscribers over HTTP (SSE through tRPC or REST). Each reads the log at its own pace: its response pulls the next
// events from SQLite when the reader is ready, so a slow reader holds a position, not a growing buffer.
import type { EventLog } from "./event-log";
import { eventLine, HEARTBEAT_LINE, type FollowUntil } from "./hub-contract";
import { isTerminalEvent, SEGMENT_END_EVENTS } from "./hub-state";

/** Whether `event` ends what a follower asked for: the run's end, or the end of the current segment. */
export const endsFollow = (until: FollowUntil, event: string) =>
  until === "segment" ? SEGMENT_END_EVENTS.has(event) : isTerminalEvent(event);

/** What followers read: the run's log, and whether the run will log anything more (the run's record, run-record.ts). */
export interface FollowSource {
  readonly log: EventLog;
  /** True once the run has ended (or polling gave up on it): a follower that has read everything then ends too. */
  finished(): boolean;
}

interface FollowOptions {
  after: number;
  until: FollowUntil;
  /** The subscriber's tenant, for the per-tenant subscriber limit. */
  tenant: string;
  source: FollowSource;
  onClose: (follower: Follower) => void;
}

const PAGE = 100;
/** Chunks a follower's response buffers before it waits for its reader. */
const HIGH_WATER_MARK = 8;
/** Heartbeats in a row that find unread data and no read since the last one: the reader has gone. */
const STALE_HEARTBEATS = 2;

export class Follower {
  readonly response: Response;
  private after: number;
  private wake: (() => void) | null = null;
  private closed = false;
  private controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  /** When this follower first fell too far behind the log's head (null while it keeps up). */
  private behindSince: number | null = null;
  /** Whether the reader asked for more since the last heartbeat, and how many heartbeats in a row it did not. */
  private pulled = false;
  private staleHeartbeats = 0;
  /** Whether events were written since the last heartbeat. */
  private wrote = false;

  readonly tenant: string;

  constructor(private readonly options: FollowOptions) {
    this.after = options.after;
    this.tenant = options.tenant;
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: (controller) => this.pull(controller),
        cancel: () => this.finish(),
      },
      { highWaterMark: HIGH_WATER_MARK },
    );
    this.response = new Response(stream, {
      headers: { "content-type": "application/x-ndjson", "cache-control": "no-cache" },
    });
  }

  /** New events were appended: a follower waiting for them reads on. */
  notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Drops this follower once it has stayed more than the allowed lag behind the head for longer than the grace. */
  checkLag(head: number, now: number, lag: { maxLagEvents: number; lagGraceMs: number }): void {
    if (head - this.after <= lag.maxLagEvents) this.behindSince = null;
    else if (this.behindSince === null) this.behindSince = now;
    else if (now - this.behindSince > lag.lagGraceMs)
      this.fail("subscriber fell too far behind; resume with its last event id");
  }

  /**
   * A disconnected HTTP reader is not reported to the hub: only a write into its response can fail (which
   * cancels the stream), or back up. So each heartbeat writes a blank line, and a reader that has left data
   * unread through STALE_HEARTBEATS heartbeats in a row, reading nothing, is taken for gone and dropped.
   */
  heartbeat(): void {
    const controller = this.controller;
    if (this.closed || !controller) return;
    const unread = (controller.desiredSize ?? 0) < HIGH_WATER_MARK;
    this.staleHeartbeats = unread && !this.pulled ? this.staleHeartbeats + 1 : 0;
    this.pulled = false;
    if (this.staleHeartbeats >= STALE_HEARTBEATS) return this.fail("subscriber stopped reading");
    // Only an idle stream needs one: events written since the last heartbeat found the reader just as well.
    if (!this.wrote && (controller.desiredSize ?? 0) > 0) controller.enqueue(HEARTBEAT_LINE);
    this.wrote = false;
  }

  /** Drops a follower that fell too far behind; it can resume from its last event id. */
  fail(reason: string): void {
    if (this.closed) return;
    this.controller?.error(new Error(reason));
    this.finish();
  }

  private async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    this.pulled = true;
    while (!this.closed) {
      const events = this.options.source.log.after(this.after, PAGE);
      for (const event of events) {
        controller.enqueue(eventLine(event));
        this.wrote = true;
        this.after = event.seq;
        if (endsFollow(this.options.until, event.event)) return this.end(controller);
      }
      if (events.length > 0) return;
      if (this.options.source.finished()) return this.end(controller);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private end(controller: ReadableStreamDefaultController<Uint8Array>): void {
    controller.close();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.notify();
    this.options.onClose(this);
  }
}

/** A run's HTTP followers, and the lag rule they share with sockets: too far behind for too long, and a follower is cut loose. */
export class Followers {
  private readonly all = new Set<Follower>();
  private heartbeats: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly source: FollowSource,
    private readonly lag: { maxLagEvents: number; lagGraceMs: number; followHeartbeatMs: number },
  ) {}

  get size(): number {
    return this.all.size;
  }

  count(tenant: string): number {
    let count = 0;
    for (const follower of this.all) if (follower.tenant === tenant) count++;
    return count;
  }

  /** A new follower reading after `after`; its response streams the log until `until`. */
  add(after: number, until: FollowUntil, tenant: string): Follower {
    const follower = new Follower({ source: this.source, after, until, tenant, onClose: (done) => this.closed(done) });
    this.all.add(follower);
    // While anyone follows over HTTP (an open response keeps the hub awake anyway), heartbeats find readers that left.
    this.heartbeats ??= setInterval(() => {
      for (const each of [...this.all]) each.heartbeat();
    }, this.lag.followHeartbeatMs);
    return follower;
  }

  private closed(follower: Follower): void {
    this.all.delete(follower);
    if (this.all.size > 0 || !this.heartbeats) return;
    clearInterval(this.heartbeats);
    this.heartbeats = null;
  }

  /** New events up to `head`: every follower reads on; one that stays too far behind past the grace is dropped. */
  appended(head: number, now: number): void {
    for (const follower of this.all) {
      follower.notify();
      follower.checkLag(head, now, this.lag);
    }
  }

  /** The run will log nothing more: followers that have read everything end. */
  wakeAll(): void {
    for (const follower of this.all) follower.notify();
  }

  failAll(reason: string): void {
    for (const follower of this.all) follower.fail(reason);
  }
}
