// A subscriber that outlives its sockets, as a frontend's does: when the socket closes before the hub ends the
// subscription (a restart, a deploy, a dropped network), it reconnects and resumes after the last event id it holds.
import { RunSubscriber, type Arrival } from "./subscriber.ts";

export class ResumingSubscriber {
  /** What the sockets before the current one received. */
  private readonly earlier: Arrival[] = [];
  private current: RunSubscriber | null = null;
  /** Sockets opened after the first. */
  reconnects = 0;
  /** How each socket ended (stopped by the hub, closed with a code, or still open) and its error frames: why it reconnected. */
  private readonly ends: string[] = [];
  finished = false;
  private readonly url: string;
  private readonly ref: { thread_id: string; run_id: string };

  constructor(url: string, ref: { thread_id: string; run_id: string }) {
    this.url = url;
    this.ref = ref;
  }

  /** Every event received so far, the current socket's included. */
  get arrivals(): Arrival[] {
    return this.current ? [...this.earlier, ...this.current.arrivals] : this.earlier;
  }

  get lastId(): number | undefined {
    return this.arrivals.at(-1)?.id;
  }

  /** What it got, for a report: events, the last one, reconnects. */
  seen(): string {
    const last = this.arrivals.at(-1);
    return `${this.arrivals.length} events (last ${last ? `${last.id} ${last.event}` : "none"}), ${this.reconnects} reconnects, sockets: ${this.ends.join("; ") || "none"}`;
  }

  /**
   * Follows the run to its end; reconnects (every `retryMs`) until `deadline` (epoch ms), then gives up. With
   * `silenceMs` it also gives up once nothing has come for that long: a stuck run is told from a slow one by its
   * silence, not by how long it takes (an overloaded gateway is slow, and still must lose nothing).
   */
  async follow(deadline: number, { retryMs = 250, silenceMs = Infinity } = {}): Promise<void> {
    let news = Date.now();
    const overdue = () =>
      Date.now() > deadline || Date.now() - Math.max(news, this.arrivals.at(-1)?.at ?? 0) > silenceMs;
    for (let opened = 0; ;) {
      if (overdue()) throw new Error(`gave up on run ${this.ref.run_id}: no socket opened, ${this.seen()}`);
      const socket = new RunSubscriber(this.url, this.ref);
      try {
        await socket.open();
      } catch {
        await new Promise((resolve) => setTimeout(resolve, retryMs));
        continue;
      }
      news = Date.now();
      if (opened++ > 0) this.reconnects++;
      socket.subscribe(this.lastId);
      this.current = socket;
      let timer: ReturnType<typeof setInterval> | undefined;
      const ended = await Promise.race([
        socket.done.then(() => true),
        new Promise<false>((resolve) => (timer = setInterval(() => overdue() && resolve(false), 1000))),
      ]);
      // A watchdog left running would keep the process alive after the work is done.
      clearInterval(timer);
      this.current = null;
      this.earlier.push(...socket.arrivals);
      const end = socket.stopped ? "stopped" : socket.closeCode === null ? "open" : `closed ${socket.closeCode}`;
      this.ends.push(`${end}${socket.other.length ? ` ${socket.other.join(" ")}` : ""}`);
      if (!ended) {
        socket.close();
        const why = Date.now() > deadline ? "at the deadline" : `after ${silenceMs / 1000} s without an event`;
        throw new Error(`gave up on run ${this.ref.run_id}: still open ${why}, ${this.seen()}`);
      }
      if (socket.stopped) {
        socket.close();
        this.finished = true;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
}
