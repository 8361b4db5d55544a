// Subscribers over HTTP (SSE through tRPC or REST): each holds an open response the hub writes NDJSON lines into.
import type { LoggedEvent } from "./event-log";
import { isTerminalEvent, SEGMENT_END_EVENTS } from "./hub-state";

export type FollowUntil = "terminal" | "segment";

const encoder = new TextEncoder();
export const ndjsonLine = (event: LoggedEvent) => encoder.encode(`{"seq":${event.seq},"event":${JSON.stringify(event.event)},"data":${event.data}}\n`);

/** Whether `event` ends what a follower asked for: the run's end, or the end of the current segment. */
export const endsFollow = (until: FollowUntil, event: string) => (until === "segment" ? SEGMENT_END_EVENTS.has(event) : isTerminalEvent(event));

export class Follower {
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly response: Response;
  private closed = false;

  constructor(
    private after: number,
    private readonly until: FollowUntil,
    /** Unread events allowed before the follower is dropped (it can resume from its last event id). */
    private readonly maxLag: number,
    private readonly onClose: (follower: Follower) => void,
  ) {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    this.writer = writable.getWriter();
    this.response = new Response(readable, { headers: { "content-type": "application/x-ndjson", "cache-control": "no-cache" } });
  }

  get isClosed() {
    return this.closed;
  }

  /** Writes the events it has not had yet; ends after the event it was waiting for. Never waits for the reader. */
  push(events: LoggedEvent[]): void {
    for (const event of events) {
      if (this.closed) return;
      if (event.seq <= this.after) continue;
      this.after = event.seq;
      this.writer.write(ndjsonLine(event)).catch(() => this.close());
      if (endsFollow(this.until, event.event)) this.close();
      // Each unread line lowers desiredSize by one: a reader this far behind is cut loose.
      else if ((this.writer.desiredSize ?? 0) < -this.maxLag) this.fail("subscriber fell too far behind");
    }
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.abort(new Error(reason)).catch(() => undefined);
    this.onClose(this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.close().catch(() => undefined);
    this.onClose(this);
  }
}
