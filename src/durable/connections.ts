// Hibernatable subscriber sockets: what each one follows lives in its attachment, so it survives the hub sleeping.
import type { RequestId } from "./ws-protocol";

export interface Subscription {
  id: RequestId;
  /** The last event id (sequence number) this subscription was sent. */
  after: number;
}

export interface SocketAttachment {
  subs: Subscription[];
  /** Unanswered PINGs as [sequence number sent after, time sent]: a PONG means everything up to that number was read. */
  pings: Array<[number, number]>;
  /** The highest sequence number the subscriber is known to have read (its PONG came back). */
  acked: number;
  /** tRPC connectionParams, once received. */
  params: Record<string, string> | null;
}

/** Close codes subscribers can act on. */
export const CLOSE = {
  normal: 1000,
  tooBig: 1009,
  tooManySubscribers: 4029,
  fellBehind: 4008,
  retired: 4010,
  protocol: 4400,
} as const;

const EMPTY: SocketAttachment = { subs: [], pings: [], acked: 0, params: null };

/** Takes the platform's socket list only (the state's `getWebSockets`), so it can be tested alone. */
export class Connections {
  constructor(private readonly sockets: () => WebSocket[]) {}

  all(): WebSocket[] {
    return this.sockets();
  }

  count(): number {
    return this.sockets().length;
  }

  attachment(ws: WebSocket): SocketAttachment {
    return (ws.deserializeAttachment() as SocketAttachment | null) ?? structuredClone(EMPTY);
  }

  save(ws: WebSocket, attachment: SocketAttachment): void {
    ws.serializeAttachment(attachment);
  }

  /** Sends unless the socket has gone; a send on a closed socket is the one failure expected here. */
  send(ws: WebSocket, frame: string): boolean {
    if (ws.readyState !== WebSocket.OPEN) return false;
    try {
      ws.send(frame);
      return true;
    } catch (error) {
      if (ws.readyState !== WebSocket.OPEN) return false;
      throw error;
    }
  }

  close(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code, reason);
    } catch {
      // Already closed: nothing left to do.
    }
  }
}
