// tRPC's WebSocket protocol, spoken inside the hub: one parser for what clients send, builders for what the hub answers.
// tRPC's own WebSocket adapter keeps subscriptions in memory and cannot hibernate, so the hub speaks the protocol itself.
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { parseTRPCMessage, TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";

export type RequestId = string | number;

export type ClientMessage =
  | { type: "ping" }
  | { type: "pong" }
  | { type: "connectionParams"; data: Record<string, string> | null }
  | { type: "stop"; id: RequestId }
  | { type: "call"; id: RequestId; method: "query" | "mutation" | "subscription"; path: string; input: unknown; lastEventId?: string }
  | { type: "invalid"; id: RequestId | null; message: string };

/** Inputs pass through as JSON; tRPC's default transformer is the identity. */
const identity = { input: { serialize: (v: unknown) => v, deserialize: (v: unknown) => v }, output: { serialize: (v: unknown) => v, deserialize: (v: unknown) => v } };

function parseOne(value: unknown): ClientMessage {
  const id = (value as { id?: unknown })?.id;
  const requestId = typeof id === "string" || typeof id === "number" ? id : null;
  if ((value as { method?: unknown })?.method === "connectionParams") {
    const data = (value as { data?: unknown }).data;
    const valid = data === null || (typeof data === "object" && !Array.isArray(data) && Object.values(data as object).every((v) => typeof v === "string"));
    return valid ? { type: "connectionParams", data: data as Record<string, string> | null } : { type: "invalid", id: requestId, message: "connectionParams must be an object of strings" };
  }
  try {
    const message = parseTRPCMessage(value, identity);
    if (message.id === null) return { type: "invalid", id: null, message: "`id` is required" };
    if (message.method === "subscription.stop") return { type: "stop", id: message.id };
    const call: ClientMessage = { type: "call", id: message.id, method: message.method, path: message.params.path, input: message.params.input };
    if (message.params.lastEventId !== undefined) call.lastEventId = message.params.lastEventId;
    return call;
  } catch (error) {
    return { type: "invalid", id: requestId, message: error instanceof Error ? error.message : "invalid message" };
  }
}

/** Parses one text frame: `PING`/`PONG`, or one JSON message, or a JSON array of them (wsLink batches). */
export function parseClientFrame(frame: string): ClientMessage[] {
  if (frame === "PING") return [{ type: "ping" }];
  if (frame === "PONG") return [{ type: "pong" }];
  let parsed: unknown;
  try {
    parsed = JSON.parse(frame);
  } catch {
    return [{ type: "invalid", id: null, message: "frames must be JSON" }];
  }
  return Array.isArray(parsed) ? parsed.map(parseOne) : [parseOne(parsed)];
}

export const startedFrame = (id: RequestId) => JSON.stringify({ id, result: { type: "started" } });
export const stoppedFrame = (id: RequestId) => JSON.stringify({ id, result: { type: "stopped" } });

/** A tracked event: wsLink keeps `id` as the last event id and sends it back when it resubscribes. */
export const eventFrame = (id: RequestId, seq: number, event: string, dataJson: string) =>
  `{"id":${JSON.stringify(id)},"result":{"type":"data","id":"${seq}","data":{"id":"${seq}","data":{"event":${JSON.stringify(event)},"data":${dataJson}}}}}`;

export const resultFrame = (id: RequestId, data: unknown) => JSON.stringify({ id, result: { type: "data", data } });

/** An error in the shape tRPC's errorFormatter gives, so TRPCClientError carries `data.code` and `data.httpStatus`. */
export function errorFrame(id: RequestId | null, error: TRPCError, path?: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    id,
    error: { code: TRPC_ERROR_CODES_BY_KEY[error.code], message: error.message, data: { code: error.code, httpStatus: getHTTPStatusCodeFromError(error), ...(path ? { path } : {}), ...extra } },
  });
}
