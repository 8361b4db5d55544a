// A run's Assistants events between the thread's object (which writes them) and the provider (which reads them):
// NDJSON bytes over Durable Object RPC, one `{event, data}` a line.
import { streamBrokeOff } from "../../errors/upstream-error";
import type { UpstreamEvent, UpstreamStream } from "../provider";

/** The writing side: events are sent while someone reads; once the reader has gone, writes are dropped. */
export class EventSink {
  readonly readable: ReadableStream<Uint8Array>;
  private writer: WritableStreamDefaultWriter<Uint8Array> | null;
  private readonly encoder = new TextEncoder();

  constructor() {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    this.readable = readable;
    this.writer = writable.getWriter();
  }

  get open(): boolean {
    return this.writer !== null;
  }

  write(events: UpstreamEvent[]): void {
    if (!this.writer || events.length === 0) return;
    const text = events.map((event) => JSON.stringify(event) + "\n").join("");
    // The run goes on whether or not anyone reads: a reader that went away only stops the writing.
    this.writer.write(this.encoder.encode(text)).catch(() => (this.writer = null));
  }

  close(): void {
    this.writer?.close().catch(() => {});
    this.writer = null;
  }
}

/** The reading side, as the hub reads any upstream stream; a broken stream is a network failure, as upstream's are. */
export function readEvents(readable: ReadableStream<Uint8Array>): UpstreamStream {
  const reader = readable.getReader();
  return {
    abort: () => void reader.cancel().catch(() => {}),
    async *[Symbol.asyncIterator]() {
      const decoder = new TextDecoder();
      let buffered = "";
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch {
          throw streamBrokeOff();
        }
        if (chunk.done) break;
        buffered += decoder.decode(chunk.value, { stream: true });
        const lines = buffered.split("\n");
        buffered = lines.pop()!;
        for (const line of lines) if (line) yield JSON.parse(line) as UpstreamEvent;
      }
      // A last line without its newline is still an event.
      if (buffered.trim()) yield JSON.parse(buffered) as UpstreamEvent;
    },
  };
}
