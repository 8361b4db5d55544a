// Who may hold a run's socket, and until when: authentication by connection params, admission to the run, the
// deadlines of sockets that hold no seat, token expiries, and every refusal (an error frame, then the close).
import { TRPCError } from "@trpc/server";
import { toTRPCError } from "../errors/upstream-errors";
import { UpstreamError } from "../errors/upstream-error";
import { CLOSE, type Connections, type SocketPrincipal, type SocketState } from "./connections";
import type { HubConfig } from "./hub-config";
import { socketErrorShape } from "./socket-procedures";
import { errorFrame } from "./ws-protocol";

/** What admission asks of the hub. */
export interface AdmissionHost {
  /** Checks a credential sent as the `token` connection param (and the tenant's request rate). */
  authenticate(token: string | null): Promise<SocketPrincipal>;
  /** Looks the run up for a socket that has just authenticated; NOT_FOUND if the caller may not see it. */
  admit(threadId: string, runId: string, principal: SocketPrincipal): Promise<void>;
  /** A socket now holds its seat: polling may speed up, and its credential's expiry is scheduled. */
  admitted(): Promise<void>;
  /** Whether the caller's tenant may add one more subscriber to this run. */
  hasRoomFor(tenant: string): boolean;
}

export const TOKEN_EXPIRED = "the token has expired; reconnect with a fresh one";

/** Whether a socket's credential has expired by `now`. */
export const tokenExpired = (socket: SocketState, now: number) => {
  const expiresAt = socket.principal?.expiresAt ?? null;
  return expiresAt !== null && expiresAt <= now;
};

/** The tRPC code a client reads in the last frame before each close. */
const REFUSAL_CODES: Record<number, TRPCError["code"]> = {
  [CLOSE.policy]: "TOO_MANY_REQUESTS",
  [CLOSE.tooBig]: "PAYLOAD_TOO_LARGE",
  [CLOSE.tryAgainLater]: "TOO_MANY_REQUESTS",
  [CLOSE.unauthenticated]: "UNAUTHORIZED",
  [CLOSE.notFound]: "NOT_FOUND",
  [CLOSE.tooManySubscribers]: "TOO_MANY_REQUESTS",
};

export class SocketAdmission {
  private deadlineTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly connections: Connections,
    private readonly config: HubConfig,
    private readonly hub: AdmissionHost,
  ) {}

  /** A socket without credentials on its upgrade authenticates with its first message; a wrong one is closed. */
  async authenticate(ws: WebSocket, socket: SocketState, token: string | null): Promise<void> {
    if (socket.principal || socket.authenticating) return;
    // Its credentials came in time: the deadline no longer applies while they are checked (the run may be looked up upstream).
    socket.authenticating = true;
    let principal: SocketPrincipal;
    try {
      principal = await this.hub.authenticate(token);
    } catch (error) {
      const limited = error instanceof TRPCError && error.code === "TOO_MANY_REQUESTS";
      return this.refuse(
        ws,
        limited ? CLOSE.tryAgainLater : CLOSE.unauthenticated,
        error instanceof TRPCError ? error.message.slice(0, 120) : "authentication failed",
      );
    }
    try {
      await this.hub.admit(socket.ref.thread_id, socket.ref.run_id, principal);
    } catch (error) {
      const refusal = error instanceof TRPCError ? error : error instanceof UpstreamError ? toTRPCError(error) : null;
      // The upstream failing while the run is looked up is worth a retry, and the socket says so at once.
      if (refusal?.code !== "NOT_FOUND")
        return this.refuse(
          ws,
          CLOSE.tryAgainLater,
          (refusal?.message ?? "the run could not be looked up").slice(0, 120),
        );
      // Another tenant's run, or none at all: the socket's next call is answered as for a missing run, then it is
      // closed (4004); if it asks nothing, it is closed after the auth timeout.
      socket.denied = true;
      socket.authDeadline = Date.now() + this.config.authTimeoutMs;
    }
    if (!socket.denied && !this.hub.hasRoomFor(principal.tenant))
      return this.refuse(ws, CLOSE.tooManySubscribers, "too many subscribers for this tenant on this run");
    socket.principal = principal;
    socket.authenticating = false;
    if (!socket.denied) socket.authDeadline = null;
    this.connections.persist(ws, socket);
    // A denied socket's new deadline is watched from now on; an admitted one's expiry is on the hub's alarm.
    this.watchDeadlines();
    if (!socket.denied) await this.hub.admitted();
  }

  /**
   * Closes a socket, first telling the client why in a frame with no request id: tRPC's wsLink then backs off
   * before it reconnects, instead of reconnecting at once, again and again. Sockets that fell behind or whose run
   * was retired are closed without it, so they reconnect and resume at once.
   */
  refuse(ws: WebSocket, code: number, reason: string): void {
    this.connections.send(
      ws,
      errorFrame(
        null,
        socketErrorShape(
          new TRPCError({ code: REFUSAL_CODES[code] ?? "BAD_REQUEST", message: reason }),
          {},
          this.connections.get(ws)?.requestId,
        ),
      ),
    );
    this.connections.close(ws, code, reason);
  }

  /** Closes sockets past their deadline: not authenticated in time, refused the run and silent, or holding an expired token. */
  closeOverdue(now: number): void {
    for (const [ws, socket] of [...this.connections.entries()]) {
      // A refused socket keeps to its own deadline below; an admitted one is closed at its token's expiry.
      if (!socket.denied && tokenExpired(socket, now)) {
        this.refuse(ws, CLOSE.unauthenticated, TOKEN_EXPIRED);
        continue;
      }
      if (socket.authDeadline === null || socket.authDeadline > now || socket.authenticating) continue;
      if (!socket.principal) this.refuse(ws, CLOSE.unauthenticated, "no credentials received in time");
      else if (socket.denied) this.refuse(ws, CLOSE.notFound, "no such run for this caller");
    }
  }

  /**
   * Watches the deadlines of sockets that hold no seat (still authenticating, or refused and silent) with one
   * timer, not an alarm: such a socket creates no storage in the hub, and the timer lasts seconds. Token expiries
   * of admitted sockets are on the hub's alarm instead (a timer that long would keep the hub from hibernating).
   */
  watchDeadlines(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    const now = Date.now();
    this.closeOverdue(now);
    const next = this.connections.nextDeadline();
    if (next !== null) this.deadlineTimer = setTimeout(() => this.watchDeadlines(), Math.max(0, next - now) + 5);
  }
}
