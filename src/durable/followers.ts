// Subscribers over HTTP (SSE through tRPC or REST). Each reads the log at its own pace: its response pulls the next
// events from SQLite when the reader is ready, so a slow reader holds a position, not a growing buffer.
import type { EventLog, LoggedEvent } from "./event-log";
import { isTerminalEvent, SEGMENT_END_EVENTS } from "./hub-state";

export type FollowUntil = "terminal" | "segment";

const encoder = new TextEncoder();
const ndjsonLine = (event: LoggedEvent) => encoder.encode(`{"seq":${event.seq},"event":${JSON.stringify(event.event)},"data":${event.data}}\n`);

/** Whether `event` ends what a follower asked for: the run's end, or the end of the current segment. */
export const endsFollow = (until: FollowUntil, event: string) => (until === "segment" ? SEGMENT_END_EVENTS.has(event) : isTerminalEvent(event));

interface FollowOptions {
  after: number;
  until: FollowUntil;
  /** The subscriber's tenant, for the per-tenant subscriber limit. */
  tenant: string;
  log: () => EventLog;
  /** True once the run has ended: a follower that has read everything then ends too. */
  runEnded: () => boolean;
  onClose: (follower: Follower) => void;
}

const PAGE = 100;

export class Follower {
  readonly response: Response;
  private after: number;
  private wake: (() => void) | null = null;
  private closed = false;
  private controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  /** When this follower first fell too far behind the log's head (null while it keeps up). */
  private behindSince: number | null = null;

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
      { highWaterMark: 8 },
    );
    this.response = new Response(stream, { headers: { "content-type": "application/x-ndjson", "cache-control": "no-cache" } });
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
    else if (now - this.behindSince > lag.lagGraceMs) this.fail("subscriber fell too far behind; resume with its last event id");
  }

  /** Drops a follower that fell too far behind; it can resume from its last event id. */
  fail(reason: string): void {
    if (this.closed) return;
    this.controller?.error(new Error(reason));
    this.finish();
  }

  private async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    while (!this.closed) {
      const events = this.options.log().after(this.after, PAGE);
      for (const event of events) {
        controller.enqueue(ndjsonLine(event));
        this.after = event.seq;
        if (endsFollow(this.options.until, event.event)) return this.end(controller);
      }
      if (events.length > 0) return;
      if (this.options.runEnded()) return this.end(controller);
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

  constructor(
    private readonly shared: Pick<FollowOptions, "log" | "runEnded">,
    private readonly lag: { maxLagEvents: number; lagGraceMs: number },
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
    const follower = new Follower({ ...this.shared, after, until, tenant, onClose: (done) => this.all.delete(done) });
    this.all.add(follower);
    return follower;
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
