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
const frame = (event: string, data: string) => `event: ${event}\ndata: ${data}\n\n`;

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
    // The events ready now go out in one write, as a network read would carry them.
    let text = "";
    let ending: "cut" | "done" | null = null;
    for (const row of source.eventsAfter(runId, seq)) {
      text += frame(row.event, row.data);
      seq = row.seq;
      sent++;
      if (faults.cut_after !== null && sent >= faults.cut_after) ending = "cut";
      else if (SEGMENT_END_EVENTS.has(row.event)) ending = "done";
      if (ending) break;
    }
    if (ending === "done") text += frame("done", "[DONE]");
    if (text) await writer.write(encoder.encode(text));
    if (ending === "cut") return writer.abort(new Error(`emulator fault: stream cut after ${sent} events`));
    if (ending === "done") return writer.close();
    await source.waitForChange(runId, source.nextChangeAt(runId));
  }
}
