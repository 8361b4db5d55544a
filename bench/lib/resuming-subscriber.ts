// A subscriber that outlives its sockets, as a frontend's does: when the socket closes before the hub ends the
// subscription (a restart, a deploy, a dropped network), it reconnects and resumes after the last event id it holds.
import { RunSubscriber, type Arrival } from "./subscriber.ts";

export class ResumingSubscriber {
  /** What the sockets before the current one received. */
  private readonly earlier: Arrival[] = [];
  private current: RunSubscriber | null = null;
  /** Sockets opened after the first. */
  reconnects = 0;
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

  /** Follows the run to its end; reconnects (every `retryMs`) until `deadline` (epoch ms), then gives up. */
  async follow(deadline: number, retryMs = 250): Promise<void> {
    for (let opened = 0; ;) {
      if (Date.now() > deadline)
        throw new Error(`gave up on run ${this.ref.run_id} after ${this.arrivals.length} events`);
      const socket = new RunSubscriber(this.url, this.ref);
      try {
        await socket.open();
      } catch {
        await new Promise((resolve) => setTimeout(resolve, retryMs));
        continue;
      }
      if (opened++ > 0) this.reconnects++;
      socket.subscribe(this.lastId);
      this.current = socket;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ended = await Promise.race([
        socket.done.then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now())))),
      ]);
      // A deadline timer left running would keep the process alive for minutes after the work is done.
      clearTimeout(timer);
      this.current = null;
      if (!ended) {
        socket.close();
        throw new Error(`gave up on run ${this.ref.run_id}: still open at the deadline`);
      }
      this.earlier.push(...socket.arrivals);
      if (socket.stopped) {
        socket.close();
        this.finished = true;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
}
