// The upstream streams a run's hub takes events from: the first segment, relayed by the creation step over RPC
// (run-starter.ts), and the continuations after tool outputs, which the hub reads itself. Whichever it is, events
// count only from the stream that is open now (its generation, kept by the record); a stream that ends or is lost
// hands the run to polling.
import type { Run, UpstreamEvent, UpstreamStream } from "../providers/provider";
import type { LogHubFailure } from "./hub-log";
import type { HubPoller } from "./hub-poller";
import { isRunEvent } from "./hub-state";
import type { RunRecord } from "./run-record";
import { pump, readUntil } from "./stream-pump";

export class HubStreams {
  /** The stream this hub reads itself (a continuation after tool outputs); in memory, so lost on restart. */
  private own: UpstreamStream | null = null;

  constructor(
    private readonly record: RunRecord,
    private readonly poller: HubPoller,
    /** Sets the hub's next alarm from the run's state, after a stream opened, ended or was lost. */
    private readonly timer: { schedule(): Promise<void> },
    private readonly log: LogHubFailure,
  ) {}

  /** Events of an open stream; false when that stream was given up (the sender then stops). */
  ingest(generation: number, events: UpstreamEvent[]): boolean {
    if (!this.record.isOpen(generation)) return false;
    this.record.append(events, Date.now());
    return true;
  }

  /** The stream of `generation` ended (normally after its segment, or cut); polling takes over if the run is not done. */
  async ended(generation: number): Promise<void> {
    if (!this.record.endStream(generation)) return;
    this.poller.plan(Date.now(), true);
    await this.timer.schedule();
  }

  /** The open stream went silent or was lost: it is given up (events from it are refused from now on), and polled. */
  async lost(): Promise<void> {
    this.record.loseStream();
    this.poller.plan(Date.now(), true);
    this.own?.abort();
    this.own = null;
    await this.timer.schedule();
  }

  /**
   * Reads a continuation the upstream answered tool outputs with: until its first run event (answered: the run as
   * the upstream's own answer would show it, queued), then the rest in the background.
   */
  async continueWith(stream: UpstreamStream): Promise<Run> {
    const generation = this.record.openStream("hub");
    this.own = stream;
    const iterator = stream[Symbol.asyncIterator]();
    const { head, found, error } = await readUntil(iterator, (event) => isRunEvent(event.event));
    this.ingest(generation, head);
    if (error) {
      // The upstream took the outputs, then the stream broke: polling carries on, and the caller gets the run as known.
      this.log({ level: "warn", what: "hub.continuation_broke_off", error });
      if (this.record.state()?.stream.generation === generation) await this.lost();
      return this.record.state()!.run;
    }
    if (!found) {
      await this.ended(generation);
      return this.record.state()!.run;
    }
    void this.consume(stream, iterator, generation);
    await this.timer.schedule();
    return found.data as Run;
  }

  /** The rest of a continuation, read as the creation step reads the first segment (stream-pump.ts). */
  private async consume(stream: UpstreamStream, iterator: AsyncIterator<UpstreamEvent>, generation: number) {
    await pump(stream, iterator, async (events) => this.ingest(generation, events), "RunHub", this.log);
    // Only this stream's own slot is cleared: a newer one may have replaced it.
    if (this.own === stream) this.own = null;
    await this.ended(generation);
  }
}
