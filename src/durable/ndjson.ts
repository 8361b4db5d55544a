// Reads the hub's NDJSON event stream on the Worker's side, one logged event per line.

export interface StreamedEvent {
  seq: number;
  event: string;
  /** The event's data, as parsed JSON. */
  data: unknown;
}

/** The hub's blank heartbeat line: nothing to deliver, but a sign to pass on so a vanished reader is noticed. */
export const HEARTBEAT = Symbol("heartbeat");

/** Bytes of the hub's NDJSON into events (and heartbeats), however the lines fall across chunks. */
export function parseEvents(): TransformStream<Uint8Array, StreamedEvent | typeof HEARTBEAT> {
  const decoder = new TextDecoder();
  let buffer = "";
  return new TransformStream({
    transform(chunk, controller) {
      buffer += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        controller.enqueue(line.trim() ? (JSON.parse(line) as StreamedEvent) : HEARTBEAT);
      }
    },
  });
}

/** The events only: tRPC's SSE sends its own pings (init.ts), which find a vanished reader the same way. */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamedEvent> {
  const reader = body.pipeThrough(parseEvents()).getReader();
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) if (next.value !== HEARTBEAT) yield next.value;
  } finally {
    // Stopping early (the subscriber left) releases the hub's response.
    await reader.cancel().catch(() => undefined);
  }
}
