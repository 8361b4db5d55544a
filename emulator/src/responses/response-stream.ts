// Serves a response's event log as the upstream's SSE stream: replay after a sequence number, then live until it ends.
import { obfuscation } from "./response-objects";
import { TERMINAL_EVENTS } from "./response-engine";
import type { StoredEvent } from "./response-store";

/** What the stream needs from its home: apply due operations, read the log, reserve a keepalive's number, sleep. */
export interface ResponseStreamSource {
  advance(responseId: string): void;
  eventsAfter(responseId: string, seq: number): StoredEvent[];
  /** True once the response will change no more (ended, cancelled or deleted). */
  settled(responseId: string): boolean;
  nextChangeAt(responseId: string): number | null;
  waitForChange(responseId: string, until: number | null): Promise<void>;
  /** Takes the response's next sequence number for a keepalive, so the log shows a gap where it was sent. */
  reserveKeepalive(responseId: string): number;
}

export interface ResponseStreamOptions {
  /** Send events after this sequence number (-1: from the start). */
  after: number;
  /** Drop the connection after this many events, with no terminal event (the `cut_after` fault). */
  cut_after: number | null;
  /** A `keepalive` event after this long without an event (0: never). */
  keepalive_ms: number;
  /** Pad delta events with `obfuscation`, as the upstream does unless asked not to. */
  obfuscate: boolean;
}

const encoder = new TextEncoder();
const frame = (event: string, data: string) => encoder.encode(`event: ${event}\ndata: ${data}\n\n`);

const DELTA_EVENTS = new Set(["response.output_text.delta", "response.function_call_arguments.delta"]);

function wireData(row: StoredEvent, obfuscate: boolean): string {
  if (!obfuscate || !DELTA_EVENTS.has(row.type)) return row.data;
  const event = JSON.parse(row.data) as { delta: string };
  return JSON.stringify({ ...event, obfuscation: obfuscation(event.delta) });
}

export function responseSse(
  source: ResponseStreamSource,
  responseId: string,
  options: ResponseStreamOptions,
): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  pump(source, responseId, options, writer).catch((error: unknown) => {
    // A reader that went away makes writes reject; that ends this stream and nothing else.
    if (!(error instanceof Error && /cancel|closed|disconnect/i.test(error.message)))
      console.error("emulator: response stream failed", error);
  });
  return new Response(readable, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
  });
}

async function pump(
  source: ResponseStreamSource,
  responseId: string,
  options: ResponseStreamOptions,
  writer: WritableStreamDefaultWriter<Uint8Array>,
) {
  let seq = options.after;
  let sent = 0;
  let lastWrite = Date.now();
  for (;;) {
    source.advance(responseId);
    for (const row of source.eventsAfter(responseId, seq)) {
      await writer.write(frame(row.type, wireData(row, options.obfuscate)));
      seq = row.seq;
      sent++;
      lastWrite = Date.now();
      if (options.cut_after !== null && sent >= options.cut_after) {
        await writer.abort(new Error(`emulator fault: stream cut after ${sent} events`));
        return;
      }
      if (TERMINAL_EVENTS.has(row.type)) {
        await writer.close();
        return;
      }
    }
    // Cancelled or deleted: nothing more will come, and no event says so.
    if (source.settled(responseId)) {
      await writer.close();
      return;
    }
    const keepaliveAt = options.keepalive_ms > 0 ? lastWrite + options.keepalive_ms : null;
    const due = source.nextChangeAt(responseId);
    const until = keepaliveAt === null ? due : due === null ? keepaliveAt : Math.min(due, keepaliveAt);
    await source.waitForChange(responseId, until);
    if (keepaliveAt !== null && Date.now() >= keepaliveAt) {
      source.advance(responseId);
      if (source.eventsAfter(responseId, seq).length === 0) {
        const number = source.reserveKeepalive(responseId);
        await writer.write(frame("keepalive", JSON.stringify({ type: "keepalive", sequence_number: number })));
        lastWrite = Date.now();
      }
    }
  }
}
