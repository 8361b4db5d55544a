// tRPC's WebSocket protocol, spoken inside the hub: one parser for what clients send, builders for what the hub answers.
// tRPC's own WebSocket adapter keeps subscriptions in memory and cannot hibernate, so the hub speaks the protocol itself.
import { parseTRPCMessage } from "@trpc/server/rpc";

export type RequestId = string | number;

export type ClientMessage =
  | { type: "ping" }
  | { type: "pong" }
  | { type: "connectionParams"; data: Record<string, string> | null }
  | { type: "stop"; id: RequestId }
  | {
      type: "call";
      id: RequestId;
      method: "query" | "mutation" | "subscription";
      path: string;
      input: unknown;
      lastEventId?: string;
    }
  | { type: "invalid"; id: RequestId | null; message: string };

/** Inputs pass through as JSON; tRPC's default transformer is the identity. */
const identity = {
  input: { serialize: (v: unknown) => v, deserialize: (v: unknown) => v },
  output: { serialize: (v: unknown) => v, deserialize: (v: unknown) => v },
};

/** Request ids are kept in the socket's hibernation attachment, which the platform bounds: long ones are refused. */
export const MAX_REQUEST_ID_LENGTH = 128;

function parseOne(value: unknown): ClientMessage {
  const id = (value as { id?: unknown })?.id;
  if (typeof id === "string" && id.length > MAX_REQUEST_ID_LENGTH)
    return { type: "invalid", id: null, message: `\`id\` is limited to ${MAX_REQUEST_ID_LENGTH} characters` };
  const requestId = typeof id === "string" || typeof id === "number" ? id : null;
  if ((value as { method?: unknown })?.method === "connectionParams") {
    const data = (value as { data?: unknown }).data;
    const valid =
      data === null ||
      (typeof data === "object" &&
        !Array.isArray(data) &&
        Object.values(data as object).every((v) => typeof v === "string"));
    return valid
      ? { type: "connectionParams", data: data as Record<string, string> | null }
      : { type: "invalid", id: requestId, message: "connectionParams must be an object of strings" };
  }
  try {
    const message = parseTRPCMessage(value, identity);
    if (message.id === null) return { type: "invalid", id: null, message: "`id` is required" };
    if (message.method === "subscription.stop") return { type: "stop", id: message.id };
    const call: ClientMessage = {
      type: "call",
      id: message.id,
      method: message.method,
      path: message.params.path,
      input: message.params.input,
    };
    if (message.params.lastEventId !== undefined) call.lastEventId = message.params.lastEventId;
    return call;
  } catch (error) {
    return { type: "invalid", id: requestId, message: error instanceof Error ? error.message : "invalid message" };
  }
}

export interface ClientFrame {
  messages: ClientMessage[];
  /** How many messages the frame carried (an array's length, even when refused): what rate limits count. */
  count: number;
}

/**
 * Parses one text frame: `PING`/`PONG`, or one JSON message, or a JSON array of at most `maxMessages` of
 * them (wsLink batches). A batch is answered as a whole: one that is too long, or holds a message that is
 * not valid, becomes a single `invalid` message, so no frame can make the hub answer more than it carries.
 */
export function parseClientFrame(frame: string, maxMessages: number): ClientFrame {
  if (frame === "PING") return { messages: [{ type: "ping" }], count: 1 };
  if (frame === "PONG") return { messages: [{ type: "pong" }], count: 1 };
  let parsed: unknown;
  try {
    parsed = JSON.parse(frame);
  } catch {
    return { messages: [{ type: "invalid", id: null, message: "frames must be JSON" }], count: 1 };
  }
  if (!Array.isArray(parsed)) return { messages: [parseOne(parsed)], count: 1 };
  const count = Math.max(1, parsed.length);
  if (parsed.length === 0)
    return { messages: [{ type: "invalid", id: null, message: "a batch must hold at least one message" }], count };
  if (parsed.length > maxMessages)
    return {
      messages: [
        {
          type: "invalid",
          id: null,
          message: `a frame may carry at most ${maxMessages} messages; this one has ${parsed.length}`,
        },
      ],
      count,
    };
  const messages = parsed.map(parseOne);
  const index = messages.findIndex((message) => message.type === "invalid");
  if (index < 0) return { messages, count };
  const invalid = messages[index] as Extract<ClientMessage, { type: "invalid" }>;
  return {
    messages: [
      { type: "invalid", id: null, message: `batch item ${index}: ${invalid.message}; nothing in this batch was done` },
    ],
    count,
  };
}

/** The platform's limit on one WebSocket message: a Worker reading a socket closes it (1009) at a message past it. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

const byteLength = (text: string) => new TextEncoder().encode(text).byteLength;

/** Whether `text` is longer than `maxBytes` in UTF-8: at most 3 bytes per UTF-16 unit, so only long text is encoded. */
export const exceedsBytes = (text: string, maxBytes: number): boolean =>
  text.length * 3 > maxBytes && (text.length > maxBytes || byteLength(text) > maxBytes);

/**
 * Several messages in one frame, for a socket that asked for it (`?frames=batch`): a JSON array of the messages, each
 * exactly as it would be sent alone. Kept well under the platform's message limit (MAX_MESSAGE_BYTES).
 */
export function batchFrames(messages: string[], maxBytes = 256 * 1024): string[] {
  const frames: string[] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const message of messages) {
    if (batch.length > 0 && bytes + message.length > maxBytes) {
      frames.push(batch.length === 1 ? batch[0]! : `[${batch.join(",")}]`);
      batch = [];
      bytes = 0;
    }
    batch.push(message);
    bytes += message.length + 1;
  }
  if (batch.length > 0) frames.push(batch.length === 1 ? batch[0]! : `[${batch.join(",")}]`);
  return frames;
}

export const startedFrame = (id: RequestId) => JSON.stringify({ id, result: { type: "started" } });
export const stoppedFrame = (id: RequestId) => JSON.stringify({ id, result: { type: "stopped" } });

/** A tracked event: wsLink keeps `id` as the last event id and sends it back when it resubscribes. */
export const eventFrame = (id: RequestId, seq: number, event: string, dataJson: string) =>
  `{"id":${JSON.stringify(id)},"result":{"type":"data","id":"${seq}","data":{"id":"${seq}","data":{"event":${JSON.stringify(event)},"data":${dataJson}}}}}`;

/**
 * A tracked event as a socket carries it. One too large for a message (a long reply's `thread.message.completed`, say) is
 * sent as a small `runcast.event_too_large` under the same id, naming the event and its object: closing the socket
 * would not help, since a resume would meet the same event again, and this way the subscriber moves on and knows what
 * to read over REST (SSE carries the event whole).
 */
export function socketEventFrame(id: RequestId, seq: number, event: string, dataJson: string): string {
  const frame = eventFrame(id, seq, event, dataJson);
  if (!exceedsBytes(frame, MAX_MESSAGE_BYTES)) return frame;
  const object = (JSON.parse(dataJson) as { id?: unknown } | null)?.id;
  const standIn = { event, id: typeof object === "string" ? object : null, bytes: byteLength(dataJson) };
  return eventFrame(id, seq, "runcast.event_too_large", JSON.stringify(standIn));
}

export const resultFrame = (id: RequestId, data: unknown) => JSON.stringify({ id, result: { type: "data", data } });

/** An error answer: `shape` is tRPC's error shape as /trpc gives it (socket-procedures.ts); `id` null for no request. */
export const errorFrame = (id: RequestId | null, shape: unknown) => JSON.stringify({ id, error: shape });
