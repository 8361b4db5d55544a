// Run events in the upstream's exact SSE format (`event:`/`data:` lines, `[DONE]` at the end), for the REST surface.
import { followRequest, hubFor, hubRefusal } from "../durable/hub-client";
import { parseEvents, type StreamedEvent } from "../durable/ndjson";
import type { GatewayEnv } from "../env";
import { toRestError } from "./rest-errors";

const encoder = new TextEncoder();

/**
 * Turns the hub's NDJSON lines into SSE frames, each with its event id (`id:`, which the SDKs ignore
 * and EventSource uses to resume), and ends with `event: done` / `data: [DONE]` once the hub has
 * sent all it was asked for. If the hub's stream breaks, so does this one: no `[DONE]` is faked.
 * Runcast's own events (`runcast.*`) are left out, since the SDKs know only the upstream's.
 */
export function ndjsonToSse(): { writable: WritableStream<Uint8Array>; readable: ReadableStream<Uint8Array> } {
  const events = parseEvents();
  const frames = new TransformStream<StreamedEvent, Uint8Array>({
    transform({ seq, event, data }, controller) {
      if (event.startsWith("runcast.")) return;
      controller.enqueue(encoder.encode(`id: ${seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
    },
    flush(controller) {
      controller.enqueue(encoder.encode("event: done\ndata: [DONE]\n\n"));
    },
  });
  return { writable: events.writable, readable: events.readable.pipeThrough(frames) };
}

export async function sseFromHub(env: GatewayEnv, threadId: string, runId: string, after: number, until: "terminal" | "segment", tenant: string, signal?: AbortSignal): Promise<Response> {
  const response = await hubFor(env, runId).fetch(followRequest(threadId, runId, after, until, tenant, signal));
  if (!response.ok || !response.body) return toRestError(await hubRefusal(response));
  return new Response(response.body.pipeThrough(ndjsonToSse()), { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } });
}
