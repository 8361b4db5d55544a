// Reads the hub's NDJSON event stream on the Worker's side, one logged event per line.

export interface StreamedEvent {
  seq: number;
  event: string;
  /** The event's data, as parsed JSON. */
  data: unknown;
}

export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamedEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.trim()) yield JSON.parse(line) as StreamedEvent;
      }
    }
  } finally {
    // Stopping early (the subscriber left) releases the hub's response.
    await reader.cancel().catch(() => undefined);
  }
}
