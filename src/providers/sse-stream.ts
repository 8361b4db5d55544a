// An upstream's SSE answer read straight from its body: one decoder and one parser per stream, and a batch of events
// per network read. The openai SDK's Stream reads the same bytes through four nested async generators per event,
// which was the largest CPU cost of a live run (`node bench/profile.ts 1 2000`); its meaning is kept here.
import { createParser } from "eventsource-parser";
import { streamBrokeOff, UpstreamError } from "../errors/upstream-error";
import type { UpstreamEvent, UpstreamStream } from "./provider";

/**
 * The events of an Assistants stream, as the SDK gives them: `{event, data}` with `data` parsed; `[DONE]` ends the
 * stream; an `error` event, or another non-`thread.*` event carrying `error`, fails it with the upstream's message;
 * a body that breaks or is not JSON fails it as a network failure.
 */
export function readSseEvents(body: ReadableStream<Uint8Array>): UpstreamStream {
  const reader = body.getReader();
  let aborted = false;
  return {
    abort: () => {
      aborted = true;
      reader.cancel().catch(() => {});
    },
    async *[Symbol.asyncIterator]() {
      const decoder = new TextDecoder();
      const parsed: UpstreamEvent[] = [];
      let done = false;
      let failure: UpstreamError | null = null;
      const parser = createParser({
        onEvent({ event, data }) {
          if (done || failure) return;
          if (data === "[DONE]") {
            done = true;
            return;
          }
          let value: unknown;
          try {
            value = JSON.parse(data);
          } catch {
            failure = streamBrokeOff();
            return;
          }
          // As the SDK: a run's own events pass whatever they hold; any other event carrying `error` is a failure.
          const error = event?.startsWith("thread.") ? undefined : (value as { error?: unknown } | null)?.error;
          if (event === "error" || error) {
            failure = new UpstreamError(errorMessage(error ?? value), "network");
            return;
          }
          parsed.push({ event: event ?? "message", data: value });
        },
      });
      try {
        while (!done && !failure) {
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            chunk = await reader.read();
          } catch {
            if (aborted) return;
            throw streamBrokeOff();
          }
          if (chunk.done) break;
          parser.feed(decoder.decode(chunk.value, { stream: true }));
          // Events parsed before a failure are the upstream's all the same: they go first.
          yield* parsed.splice(0);
        }
        if (failure) throw failure;
      } finally {
        // Releases the connection when the reader stops early; after the end it does nothing.
        reader.cancel().catch(() => {});
      }
    },
  };
}

function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" && message ? message : "The upstream reported an error in its stream.";
}
