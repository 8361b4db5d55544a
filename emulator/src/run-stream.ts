// Serves a run segment as the upstream's SSE stream by tailing the run's event log until the segment ends.
import { SEGMENT_END_EVENTS } from "./run-engine";
import type { StoredEvent } from "./object-store";

/** What the stream needs from the thread: a way to apply due operations, read the log, and sleep until something changes. */
export interface StreamSource {
  advance(runId: string): void;
  eventsAfter(runId: string, seq: number): StoredEvent[];
  nextChangeAt(runId: string): number | null;
  waitForChange(runId: string, until: number | null): Promise<void>;
}

export interface StreamFaults {
  /** Drop the connection after this many events, with no terminal event and no `[DONE]`. */
  cut_after: number | null;
}

const encoder = new TextEncoder();
const frame = (event: string, data: string) => encoder.encode(`event: ${event}\ndata: ${data}\n\n`);

export function sseResponse(source: StreamSource, runId: string, fromSeq: number, faults: StreamFaults): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  pump(source, runId, fromSeq, faults, writer).catch((error: unknown) => {
    // A reader that went away makes writes reject; that ends this stream and nothing else.
    if (!(error instanceof Error && /cancel|closed|disconnect/i.test(error.message)))
      console.error("emulator: stream failed", error);
  });
  return new Response(readable, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
  });
}

async function pump(
  source: StreamSource,
  runId: string,
  fromSeq: number,
  faults: StreamFaults,
  writer: WritableStreamDefaultWriter<Uint8Array>,
) {
  let seq = fromSeq;
  let sent = 0;
  for (;;) {
    source.advance(runId);
    for (const row of source.eventsAfter(runId, seq)) {
      await writer.write(frame(row.event, row.data));
      seq = row.seq;
      sent++;
      if (faults.cut_after !== null && sent >= faults.cut_after) {
        await writer.abort(new Error(`emulator fault: stream cut after ${sent} events`));
        return;
      }
      if (SEGMENT_END_EVENTS.has(row.event)) {
        await writer.write(frame("done", "[DONE]"));
        await writer.close();
        return;
      }
    }
    await source.waitForChange(runId, source.nextChangeAt(runId));
  }
}
