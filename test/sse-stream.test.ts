// The upstream's SSE body read into events (src/providers/sse-stream.ts): what the hub relies on from any cut of the
// bytes, the end marker, the upstream's error event, a broken body and an abort.
import { describe, expect, it } from "vitest";
import { UpstreamError } from "../src/errors/upstream-error";
import type { UpstreamEvent } from "../src/providers/provider";
import { readSseEvents } from "../src/providers/sse-stream";

const encoder = new TextEncoder();

/** A body that hands out `text` cut into the given byte-sized pieces, then ends, breaks, or stays open. */
function body(chunks: Uint8Array[], end: "close" | "error" | "open" = "close") {
  let cancelled = false;
  let index = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (index < chunks.length) return controller.enqueue(chunks[index++]!);
      if (end === "close") controller.close();
      else if (end === "error") controller.error(new Error("connection reset"));
      else return new Promise<void>(() => {});
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

function cutEvery(text: string, size: number): Uint8Array[] {
  const bytes = encoder.encode(text);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.slice(at, at + size));
  return chunks;
}

const sse = (event: string, data: unknown) =>
  `event: ${event}\ndata: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;

async function collect(stream: AsyncIterable<UpstreamEvent>) {
  const events: UpstreamEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
  } catch (error) {
    return { events, error };
  }
  return { events, error: null };
}

const delta = (index: number) => ({
  id: "msg_1",
  object: "thread.message.delta",
  delta: { content: [{ index: 0, type: "text", text: { value: `wörd ${index} ✓ ` } }] },
});

describe("reading an upstream's SSE body", () => {
  const text =
    sse("thread.run.created", { id: "run_1", status: "queued" }) +
    ": keep-alive comment\n\n" +
    Array.from({ length: 20 }, (_, index) => sse("thread.message.delta", delta(index))).join("") +
    sse("thread.run.completed", { id: "run_1", status: "completed" }) +
    sse("done", "[DONE]") +
    sse("thread.run.created", { id: "run_after_done" });

  it.each([1, 3, 7, 64, 100_000])(
    "gives every event once, in order, parsed, whatever the cut (%i-byte reads, split inside characters)",
    async (size) => {
      const { events, error } = await collect(readSseEvents(body(cutEvery(text, size)).stream));
      expect(error).toBeNull();
      expect(events.map((event) => event.event)).toEqual([
        "thread.run.created",
        ...Array.from({ length: 20 }, () => "thread.message.delta"),
        "thread.run.completed",
      ]);
      expect(events[1]!.data).toEqual(delta(0));
      expect(events[20]!.data).toEqual(delta(19));
    },
  );

  it("a body that ends without [DONE] ends the events there (the hub then sees no terminal event)", async () => {
    const { events, error } = await collect(
      readSseEvents(body(cutEvery(sse("thread.run.created", { id: "run_1" }), 5)).stream),
    );
    expect(error).toBeNull();
    expect(events.map((event) => event.event)).toEqual(["thread.run.created"]);
  });

  it("the upstream's error event (wrapped, as observed) fails the stream with its message, after the events before it", async () => {
    const failing =
      sse("thread.run.created", { id: "run_1" }) +
      sse("error", { error: { message: "The server had an error processing your request.", type: "server_error" } }) +
      sse("thread.run.completed", { id: "run_1" });
    const { events, error } = await collect(readSseEvents(body([encoder.encode(failing)]).stream));
    expect(events.map((event) => event.event)).toEqual(["thread.run.created"]);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).message).toBe("The server had an error processing your request.");
    expect((error as UpstreamError).failure).toBe("network");
  });

  it("an error event in the spec's bare form fails it the same way; a run's own event carrying `error` passes, as in the SDK", async () => {
    const bare = await collect(
      readSseEvents(body([encoder.encode(sse("error", { message: "bare", type: "x" }))]).stream),
    );
    expect((bare.error as UpstreamError).message).toBe("bare");
    const other = await collect(
      readSseEvents(body([encoder.encode(sse("response.failed", { error: { message: "inside" } }))]).stream),
    );
    expect((other.error as UpstreamError).message).toBe("inside");
    const own = await collect(
      readSseEvents(
        body([encoder.encode(sse("thread.run.failed", { id: "run_1", error: { message: "kept" } }))]).stream,
      ),
    );
    expect(own.error).toBeNull();
    expect(own.events).toEqual([{ event: "thread.run.failed", data: { id: "run_1", error: { message: "kept" } } }]);
  });

  it("data that is not JSON, or a body that breaks, is a broken stream, after the events read before it", async () => {
    const garbled = await collect(
      readSseEvents(
        body([encoder.encode(sse("thread.run.created", { id: "run_1" }) + sse("thread.message.delta", "{not json"))])
          .stream,
      ),
    );
    expect(garbled.events).toHaveLength(1);
    expect(garbled.error).toBeInstanceOf(UpstreamError);
    expect((garbled.error as UpstreamError).failure).toBe("network");

    const broken = await collect(
      readSseEvents(body(cutEvery(sse("thread.run.created", { id: "run_1" }), 9), "error").stream),
    );
    expect(broken.events.map((event) => event.event)).toEqual(["thread.run.created"]);
    expect((broken.error as UpstreamError).message).toMatch(/broke off/);
  });

  it("abort() ends a reader waiting on an open body without an error, and releases the body", async () => {
    const source = body([encoder.encode(sse("thread.run.created", { id: "run_1" }))], "open");
    const stream = readSseEvents(source.stream);
    const events: string[] = [];
    const reading = collect({
      async *[Symbol.asyncIterator]() {
        for await (const event of stream) {
          events.push(event.event);
          yield event;
        }
      },
    });
    await expect.poll(() => events).toEqual(["thread.run.created"]);
    stream.abort();
    const { error } = await reading;
    expect(error).toBeNull();
    expect(source.cancelled()).toBe(true);
  });

  it("a reader that stops early releases the body", async () => {
    const source = body([encoder.encode(sse("thread.run.created", { id: "run_1" }))], "open");
    for await (const event of readSseEvents(source.stream)) {
      expect(event.event).toBe("thread.run.created");
      break;
    }
    expect(source.cancelled()).toBe(true);
  });
});
