// Hibernatable subscriber sockets. What must survive the hub sleeping (each socket's subscriptions and connection
// params) lives in the socket's attachment; the rest (read positions, PINGs in flight) lives in memory.
import { TRPCError } from "@trpc/server";
import { logFailure } from "../log/failure-log";
import type { LogHubFailure } from "./hub-log";
import { freshBudget, type Budget, type BudgetLimits } from "./socket-budget";
import { batchFrames, type RequestId } from "./ws-protocol";

export interface Subscription {
  id: RequestId;
  /** The last event id (sequence number) this subscription was sent. */
  after: number;
}

/** Who is on the other end of a socket, as far as the hub needs to know. */
export interface SocketPrincipal {
  tenant: string;
  admin: boolean;
  /** When the credential stops being valid (ms); null for credentials that do not expire (API keys). */
  expiresAt: number | null;
}

/** The part of an authenticated caller a socket keeps (in its attachment, so it survives hibernation). */
export const socketPrincipal = ({ tenant, admin, expiresAt }: SocketPrincipal): SocketPrincipal => ({
  tenant,
  admin,
  expiresAt,
});

/** When an admitted socket's credential expires (null: never, or the socket holds no seat). */
export const admittedExpiry = (state: SocketState): number | null =>
  state.principal && !state.denied ? state.principal.expiresAt : null;

/** The run a socket was opened for. */
export interface RunRef {
  thread_id: string;
  run_id: string;
}

/** What is persisted with the socket. */
export interface SocketAttachment {
  ref: RunRef;
  subs: RequestId[];
  principal: SocketPrincipal | null;
  /** A socket that has not authenticated by this time (ms) is closed. */
  authDeadline: number | null;
  /** Authenticated, but not one who may see this run: every call is answered as for a run that does not exist. */
  denied: boolean;
  /** The subscriber reads frames holding several messages (absent in attachments from before: false). */
  batched?: boolean;
  /** The upgrade's request id (at most 255 characters: routes/request-id.ts), which its error frames carry. */
  requestId?: string | null;
}

/** A socket's live state. */
export interface SocketState {
  ref: RunRef;
  subs: Subscription[];
  /** Unanswered PINGs as [sequence number sent after, time sent]: a PONG means everything up to that number was read. */
  pings: Array<[number, number]>;
  /** The last PING sent, as [sequence number, time]: the next waits for enough events or time after it. */
  lastPing: [number, number];
  /** The highest sequence number the subscriber is known to have read. */
  acked: number;
  principal: SocketPrincipal | null;
  authDeadline: number | null;
  denied: boolean;
  /** The socket's messages are handled one after another, in the order they came. */
  queue: Promise<void>;
  /** What the socket may still send (socket-budget.ts). */
  budget: Budget;
  /** Its credentials arrived and are being checked: its deadline is met. */
  authenticating: boolean;
  /** Messages ready together go in one frame, as a JSON array (the socket asked for it with `?frames=batch`). */
  batched: boolean;
  /** The upgrade's request id: the socket's error frames and log lines carry it. */
  requestId: string | null;
}

/** Close codes subscribers can act on. */
export const CLOSE = {
  normal: 1000,
  /** Too many messages (per second, per frame, or before authenticating with credentials on the upgrade). */
  policy: 1008,
  tooBig: 1009,
  /** Rate-limited, or the upstream failed while the run was looked up: reconnecting later may work. */
  tryAgainLater: 1013,
  unauthenticated: 4001,
  /** Authenticated, but the run is not one this caller may see (or does not exist): closed after answering. */
  notFound: 4004,
  fellBehind: 4008,
  retired: 4010,
  tooManySubscribers: 4029,
} as const;

/**
 * Keeps each socket's state in memory and its attachment in step. Takes the platform's socket list only
 * (the state's `getWebSockets`), so it can be tested alone.
 */
export class Connections {
  private readonly states = new Map<WebSocket, SocketState>();

  /**
   * After a wake from hibernation, every subscription is at `head`: deliveries happen synchronously
   * with each append, so a hub only ever goes idle with every subscriber caught up.
   */
  constructor(
    sockets: WebSocket[],
    head: () => number,
    private readonly limits: BudgetLimits,
    private readonly log: LogHubFailure = logFailure,
  ) {
    for (const ws of sockets) {
      const attachment = ws.deserializeAttachment() as SocketAttachment | null;
      if (!attachment) continue;
      const at = attachment.subs.length > 0 ? head() : 0;
      this.states.set(ws, {
        ref: attachment.ref,
        subs: attachment.subs.map((id) => ({ id, after: at })),
        pings: [],
        lastPing: [0, 0],
        acked: at,
        principal: attachment.principal,
        authDeadline: attachment.authDeadline,
        denied: attachment.denied,
        queue: Promise.resolve(),
        budget: freshBudget(limits, Date.now()),
        authenticating: false,
        batched: attachment.batched === true,
        requestId: attachment.requestId ?? null,
      });
    }
  }

  add(
    ws: WebSocket,
    ref: RunRef,
    principal: SocketPrincipal | null,
    authDeadline: number | null,
    batched = false,
    requestId: string | null = null,
  ): SocketState {
    const state: SocketState = {
      ref,
      subs: [],
      pings: [],
      lastPing: [0, 0],
      acked: 0,
      principal,
      authDeadline,
      denied: false,
      queue: Promise.resolve(),
      budget: freshBudget(this.limits, Date.now()),
      authenticating: false,
      batched,
      requestId,
    };
    this.states.set(ws, state);
    this.persist(ws, state);
    return state;
  }

  get(ws: WebSocket): SocketState | undefined {
    return this.states.get(ws);
  }

  entries(): IterableIterator<[WebSocket, SocketState]> {
    return this.states.entries();
  }

  /** Every open socket, authenticated or not: each holds a connection, so each counts against the run's limit. */
  get size(): number {
    return this.states.size;
  }

  /**
   * Admitted subscribers (of one tenant, or all): a socket still authenticating, or denied, takes no seat,
   * so nobody can fill another tenant's run with sockets that may not watch it.
   */
  count(tenant?: string): number {
    let count = 0;
    for (const state of this.states.values())
      if (state.principal && !state.denied && (tenant === undefined || state.principal.tenant === tenant)) count++;
    return count;
  }

  /** Sockets still authenticating, or refused the run: they hold a connection but no seat. */
  get unadmitted(): number {
    let count = 0;
    for (const state of this.states.values()) if (!state.principal || state.denied) count++;
    return count;
  }

  /** The earliest deadline of a socket still authenticating (or refused and silent): a few seconds away at most. */
  nextDeadline(): number | null {
    return this.earliest((state) => state.authDeadline);
  }

  /** The earliest expiry of an admitted socket's credential (the hub's alarm closes it then). */
  nextExpiry(): number | null {
    return this.earliest(admittedExpiry);
  }

  private earliest(timeOf: (state: SocketState) => number | null): number | null {
    let next: number | null = null;
    for (const state of this.states.values()) {
      const at = timeOf(state);
      if (at !== null && (next === null || at < next)) next = at;
    }
    return next;
  }

  forget(ws: WebSocket): void {
    this.states.delete(ws);
  }

  /**
   * Writes what must survive hibernation: called when subscriptions or params change, not per event. Every
   * string in it is bounded where it enters (ids, tenant), so it fits the platform's attachment limit; if it
   * ever does not, the caller hears of it rather than the socket silently losing its state.
   */
  persist(ws: WebSocket, state: SocketState): void {
    try {
      ws.serializeAttachment({
        ref: state.ref,
        subs: state.subs.map((sub) => sub.id),
        principal: state.principal,
        authDeadline: state.authDeadline,
        denied: state.denied,
        batched: state.batched,
        requestId: state.requestId,
      } satisfies SocketAttachment);
    } catch (error) {
      if (ws.readyState !== WebSocket.OPEN) return; // The socket is gone; nothing to keep.
      throw new TRPCError({
        code: "PAYLOAD_TOO_LARGE",
        message: "This socket's state (subscription ids and credentials) is too large to keep.",
        cause: error,
      });
    }
  }

  /**
   * Sends unless the socket has gone. A send an open socket refuses (the platform throws for a message over its limit)
   * closes that socket alone with 1009: it is called inside the delivery loop of an append, which must reach every
   * other subscriber and stand. The subscriber can resume from its last event id.
   */
  send(ws: WebSocket, frame: string): boolean {
    // A socket whose peer has gone takes a send silently in workerd: its state says so, and it is forgotten.
    if (ws.readyState !== WebSocket.OPEN) {
      this.forget(ws);
      return false;
    }
    try {
      ws.send(frame);
      return true;
    } catch (error) {
      if (ws.readyState !== WebSocket.OPEN) {
        this.forget(ws);
        return false;
      }
      this.log({
        level: "warn",
        what: "hub.socket_refused_message",
        detail: `a message of ${frame.length} characters`,
        error,
      });
      this.close(ws, CLOSE.tooBig, "message refused; reconnect with your last event id to resume");
      return false;
    }
  }

  /**
   * Messages ready together: one frame each, or as few frames as fit for a socket that reads batches (its `state`, which
   * every caller holds already).
   */
  sendAll(ws: WebSocket, state: SocketState, messages: string[]): boolean {
    return this.sendFrames(ws, state.batched ? batchFrames(messages) : messages);
  }

  /** Frames ready to go, in order; stops at the first the socket refuses. */
  sendFrames(ws: WebSocket, frames: string[]): boolean {
    for (const frame of frames) if (!this.send(ws, frame)) return false;
    return true;
  }

  close(ws: WebSocket, code: number, reason: string): void {
    this.forget(ws);
    try {
      ws.close(code, reason);
    } catch {
      // Already closed: nothing left to do.
    }
  }
}
