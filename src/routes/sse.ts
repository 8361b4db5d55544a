// Run events in the upstream's exact SSE format (`event:`/`data:` lines, `[DONE]` at the end), for the REST surface.
import { hubFor } from "../durable/hub-client";
import {
  followRequest,
  HEARTBEAT,
  hubRefusal,
  parseEvents,
  type FollowQuery,
  type StreamedEvent,
} from "../durable/hub-contract";
import type { GatewayEnv } from "../env";
import { toRestError } from "./rest-errors";

const encoder = new TextEncoder();
const PING = encoder.encode(": ping\n\n");

/**
 * Turns the hub's NDJSON lines into SSE frames, each with its event id (`id:`, which the SDKs ignore
 * and EventSource uses to resume), and ends with `event: done` / `data: [DONE]` once the hub has
 * sent all it was asked for. If the hub's stream breaks, so does this one: no `[DONE]` is faked.
 * Runcast's own events (`runcast.*`) are left out, since the SDKs know only the upstream's. The hub's
 * heartbeats become SSE comments (`: ping`), which every SSE reader skips: writing them is how a reader
 * that vanished is noticed, and they keep an idle stream from being closed by proxies along the way.
 */
export function ndjsonToSse(): { writable: WritableStream<Uint8Array>; readable: ReadableStream<Uint8Array> } {
  const events = parseEvents();
  const frames = new TransformStream<StreamedEvent | typeof HEARTBEAT, Uint8Array>({
    transform(line, controller) {
      if (line === HEARTBEAT) return controller.enqueue(PING);
      const { seq, event, data } = line;
      if (event.startsWith("runcast.")) return;
      controller.enqueue(encoder.encode(`id: ${seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
    },
    flush(controller) {
      controller.enqueue(encoder.encode("event: done\ndata: [DONE]\n\n"));
    },
  });
  return { writable: events.writable, readable: events.readable.pipeThrough(frames) };
}

/** The run's events from its hub, as SSE; `requestId` goes with the request into the hub, and on a refusal's body. */
export async function sseFromHub(
  env: GatewayEnv,
  query: FollowQuery,
  { signal, requestId }: { signal: AbortSignal; requestId: string },
): Promise<Response> {
  const response = await hubFor(env, query.run_id).fetch(followRequest(query, { signal, requestId }));
  if (!response.ok || !response.body) return toRestError(await hubRefusal(response), requestId);
  return new Response(response.body.pipeThrough(ndjsonToSse()), {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
  });
}
