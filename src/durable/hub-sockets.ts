// What the hub does with its WebSockets: tRPC messages in, tracked events out, and who has fallen too far behind.
import { TRPCError } from "@trpc/server";
import { CLOSE, type Connections, type SocketPrincipal, type SocketState } from "./connections";
import type { LoggedEvent } from "./event-log";
import type { HubConfig } from "./hub-config";
import type { LogHubFailure } from "./hub-log";
import { isTerminalEvent } from "./hub-state";
import type { RunRecord } from "./run-record";
import { TOKEN_EXPIRED, tokenExpired, type SocketAdmission } from "./socket-admission";
import { frameCost, spend } from "./socket-budget";
import {
  callOnSocket,
  eventsInput,
  notServedHere,
  servesCall,
  socketErrorShape,
  type HubActions,
} from "./socket-procedures";
import {
  batchFrames,
  errorFrame,
  exceedsBytes,
  parseClientFrame,
  resultFrame,
  socketEventFrame,
  startedFrame,
  stoppedFrame,
  type ClientMessage,
  type RequestId,
} from "./ws-protocol";

type Call = Extract<ClientMessage, { type: "call" }>;

const MAX_SUBSCRIPTIONS_PER_SOCKET = 8;
/** A subscription's replay costs one message of the socket's budget per this many events it sends. */
const REPLAYED_EVENTS_PER_MESSAGE = 100;
/**
 * How often a subscriber's read position is measured: a PING (its PONG proves what was read) goes out when none is in
 * flight and this many events or this long have passed since the last one. The lag limit needs no finer measure, and
 * a PING per delivery doubled the frames a live run sends (and brought as many PONGs back).
 */
const PING_EVERY_EVENTS = 32;
const PING_EVERY_MS = 250;

const decoder = new TextDecoder();

export class HubSockets {
  constructor(
    private readonly connections: Connections,
    /** The run's state and log, read here; only the record writes them. */
    private readonly record: RunRecord,
    private readonly config: HubConfig,
    private readonly hub: HubActions & {
      /** Counts a call made over the socket against the tenant's request rate. */
      enforceRate(principal: SocketPrincipal): Promise<void>;
    },
    /** Who may hold a socket, and until when; every refusal goes through it. */
    private readonly admission: SocketAdmission,
    private readonly log: LogHubFailure,
  ) {}

  async message(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const socket = this.connections.get(ws);
    if (!socket) return;
    // In bytes, as documented.
    const tooBig =
      typeof raw === "string"
        ? exceedsBytes(raw, this.config.maxFrameBytes)
        : raw.byteLength > this.config.maxFrameBytes;
    if (tooBig)
      return this.admission.refuse(ws, CLOSE.tooBig, `frames are limited to ${this.config.maxFrameBytes} bytes`);
    const frame = parseClientFrame(
      typeof raw === "string" ? raw : decoder.decode(raw),
      this.config.maxMessagesPerFrame,
    );
    // Every message counts against the socket's budget, except the PONGs the hub itself asked for.
    const solicited = frame.messages[0]?.type === "pong" && socket.pings.length > 0;
    const spent = solicited
      ? "ok"
      : spend(socket.budget, frameCost(frame), socket.principal !== null, this.config, Date.now());
    if (spent === "beforeAuth")
      return this.admission.refuse(
        ws,
        CLOSE.unauthenticated,
        `authenticate first: at most ${this.config.maxMessagesBeforeAuth} messages before the token`,
      );
    if (spent === "rate")
      return this.admission.refuse(
        ws,
        CLOSE.policy,
        `too many messages: at most ${this.config.socketMessagesPerSecond} per second (a tenth as many that are not the protocol)`,
      );
    // A batch longer than a frame may carry: no client within the limits sends one, and the requests in it cannot be answered.
    if (frame.count > this.config.maxMessagesPerFrame)
      return this.admission.refuse(
        ws,
        CLOSE.policy,
        `a frame may carry at most ${this.config.maxMessagesPerFrame} messages`,
      );
    // In order, one at a time: a subscription sent right behind its connection params waits for them to be checked.
    const handled = socket.queue.then(async () => {
      for (const message of frame.messages) await this.handle(ws, socket, message);
      // A socket that may not see the run has had its answer: it is closed rather than left holding a connection.
      if (socket.denied && frame.messages.some((message) => message.type === "call"))
        this.admission.refuse(ws, CLOSE.notFound, "no such run for this caller");
    });
    socket.queue = handled.catch(() => undefined);
    await handled;
  }

  private async handle(ws: WebSocket, socket: SocketState, message: ClientMessage): Promise<void> {
    switch (message.type) {
      case "ping":
        this.connections.send(ws, "PONG");
        return;
      case "pong": {
        const answered = socket.pings.shift();
        if (answered) socket.acked = Math.max(socket.acked, answered[0]);
        return;
      }
      case "connectionParams":
        return this.admission.authenticate(ws, socket, message.data?.token ?? null);
      case "stop":
        socket.subs = socket.subs.filter((sub) => sub.id !== message.id);
        this.connections.persist(ws, socket);
        this.connections.send(ws, stoppedFrame(message.id));
        return;
      case "invalid":
        this.connections.send(
          ws,
          errorFrame(
            message.id,
            socketErrorShape(new TRPCError({ code: "PARSE_ERROR", message: message.message }), {}, socket.requestId),
          ),
        );
        return;
      case "call":
        try {
          await this.call(ws, socket, message);
        } catch (error) {
          // tRPC's caller wraps what a procedure throws: a failure of the hub's own is INTERNAL_SERVER_ERROR with a cause.
          const own = !(error instanceof TRPCError)
            ? error
            : error.code === "INTERNAL_SERVER_ERROR" && error.cause && !(error.cause instanceof TRPCError)
              ? error.cause
              : null;
          if (own)
            this.log({
              what: "hub.socket_call_failed",
              tenant: socket.principal?.tenant ?? null,
              requestId: socket.requestId,
              error: own,
            });
          this.connections.send(ws, errorFrame(message.id, socketErrorShape(error, message, socket.requestId)));
        }
        return;
    }
  }

  /** Who may call, then the call: the event subscription here, everything else through the socket's tRPC router. */
  private async call(ws: WebSocket, socket: SocketState, message: Call): Promise<void> {
    if (!socket.principal)
      throw new TRPCError({
        code: "UNAUTHORIZED",
        message: "Authenticate first: send the `token` connection param (wsLink's connectionParams).",
      });
    // A socket lives longer than its token may: each call is checked against the credential's expiry.
    if (tokenExpired(socket, Date.now())) {
      this.connections.send(
        ws,
        errorFrame(
          message.id,
          socketErrorShape(
            new TRPCError({ code: "UNAUTHORIZED", message: "The token has expired." }),
            message,
            socket.requestId,
          ),
        ),
      );
      return this.admission.refuse(ws, CLOSE.unauthenticated, TOKEN_EXPIRED);
    }
    await this.hub.enforceRate(socket.principal);
    if (socket.denied)
      throw new TRPCError({ code: "NOT_FOUND", message: `No thread found with id '${socket.ref.thread_id}'.` });
    if (!servesCall(message.method, message.path))
      throw new TRPCError({
        code: "METHOD_NOT_SUPPORTED",
        message: `A run's socket serves runs.events, runs.submitToolOutputs, runs.cancel and runs.retrieve, not ${message.method} ${message.path}.`,
      });
    if (message.method !== "subscription") {
      const data = await callOnSocket(message, { hub: this.hub, serves: (ref) => this.serves(ref) });
      this.connections.send(ws, resultFrame(message.id, data));
      return;
    }
    const input = eventsInput(
      message.lastEventId === undefined
        ? message.input
        : { ...(message.input as object), lastEventId: message.lastEventId },
    );
    if (!this.serves(input)) throw notServedHere(input);
    const after = Number(input.lastEventId ?? 0);
    // A replay sends the whole backlog at once: it is paid for from the socket's budget, so a frame of
    // subscriptions to a long log cannot make the hub send without bound.
    const backlog = Math.max(0, this.record.log.lastSeq() - after);
    if (
      spend(socket.budget, Math.ceil(backlog / REPLAYED_EVENTS_PER_MESSAGE), true, this.config, Date.now()) === "rate"
    )
      return this.admission.refuse(
        ws,
        CLOSE.policy,
        `too many replayed events: at most ${this.config.socketMessagesPerSecond * REPLAYED_EVENTS_PER_MESSAGE} per second`,
      );
    return this.subscribe(ws, socket, message.id, after);
  }

  /** Whether `ref` names the run this hub (and so every socket on it) serves. */
  private serves(ref: { thread_id: string; run_id: string }): boolean {
    return this.record.holds(ref);
  }

  /** Backlog, then live: the replay and the registration happen with no await between, so no event falls in a gap. */
  private subscribe(ws: WebSocket, socket: SocketState, id: RequestId, after: number): void {
    if (socket.subs.some((sub) => sub.id === id))
      throw new TRPCError({ code: "BAD_REQUEST", message: `Duplicate id ${id}` });
    if (socket.subs.length >= MAX_SUBSCRIPTIONS_PER_SOCKET)
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `At most ${MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions per socket.`,
      });
    const log = this.record.log;
    log.assertIssued(after);
    this.connections.send(ws, startedFrame(id));
    let last = after;
    for (let page = log.after(last); page.length > 0; page = log.after(last)) {
      // A page at a time: one frame per event, or a few frames of many for a socket that reads batches.
      const messages: string[] = [];
      let ended = false;
      for (const event of page) {
        messages.push(socketEventFrame(id, event.seq, event.event, event.data));
        last = event.seq;
        if (isTerminalEvent(event.event)) {
          messages.push(stoppedFrame(id));
          ended = true;
          break;
        }
      }
      this.connections.sendAll(ws, socket, messages);
      if (ended) {
        this.ping(ws, socket, last);
        return;
      }
    }
    // Resumed after the run's end, or after polling gave up on it: nothing more will come.
    if (this.record.finished()) {
      this.connections.send(ws, stoppedFrame(id));
      return;
    }
    if (socket.subs.length === 0) socket.acked = Math.max(socket.acked, after);
    socket.subs.push({ id, after: last });
    this.connections.persist(ws, socket);
    if (last > after) this.ping(ws, socket, last);
  }

  /** Sends new events to every subscribed socket; never waits for any of them. */
  deliver(events: LoggedEvent[]): void {
    if (events.length === 0) return;
    const now = Date.now();
    // Subscriptions stop at the run's end, if it is among these events.
    const end = events.findIndex((event) => isTerminalEvent(event.event));
    const through = end === -1 ? events.length : end + 1;
    const lastSeq = events[through - 1]!.seq;
    // The frames are written once per subscription id (most sockets share id 1), not once per socket; the arrays are
    // shared between sockets, so they are never changed after.
    const frames = new Map<RequestId, string[]>();
    const framesOf = (id: RequestId) => {
      let written = frames.get(id);
      if (written === undefined) {
        written = events.slice(0, through).map((event) => socketEventFrame(id, event.seq, event.event, event.data));
        if (end !== -1) written.push(stoppedFrame(id));
        frames.set(id, written);
      }
      return written;
    };
    const batches = new Map<string[], string[]>();
    const batchedOf = (messages: string[]) => {
      let batched = batches.get(messages);
      if (batched === undefined) batches.set(messages, (batched = batchFrames(messages)));
      return batched;
    };
    for (const [ws, socket] of this.connections.entries()) {
      if (socket.subs.length === 0) continue;
      let messages: string[] = [];
      for (const sub of socket.subs) {
        // A subscription that is caught up (the usual case) gets them all; one that resumed mid-read, those after its id.
        const from = sub.after < events[0]!.seq ? 0 : events.findIndex((event) => event.seq > sub.after);
        if (from === -1 || from >= through) continue;
        const written = framesOf(sub.id);
        const sent = from === 0 ? written : written.slice(from);
        messages = messages.length === 0 ? sent : [...messages, ...sent];
        sub.after = lastSeq;
      }
      if (messages.length === 0) continue;
      // The events of one read go out together: a socket that reads batches gets them in one frame (made once for
      // all the sockets given the same messages).
      this.connections.sendFrames(ws, socket.batched ? batchedOf(messages) : messages);
      if (end !== -1) {
        socket.subs = socket.subs.filter((sub) => sub.after < lastSeq);
        this.connections.persist(ws, socket);
      }
      this.ping(ws, socket, lastSeq, now);
      const oldest = socket.pings[0];
      if (lastSeq - socket.acked > this.config.maxLagEvents && oldest && now - oldest[1] > this.config.lagGraceMs)
        this.connections.close(
          ws,
          CLOSE.fellBehind,
          "subscriber fell too far behind; reconnect with your last event id to resume",
        );
    }
  }

  /** The run will not move again (polling gave up without a terminal event): every subscription is stopped. */
  endAll(): void {
    for (const [ws, socket] of this.connections.entries()) {
      if (socket.subs.length === 0) continue;
      for (const sub of socket.subs) this.connections.send(ws, stoppedFrame(sub.id));
      socket.subs = [];
      this.connections.persist(ws, socket);
    }
  }

  /** A PING after a batch, now and then: its PONG proves the subscriber read up to `seq` (tRPC's wsLink answers PINGs). */
  private ping(ws: WebSocket, socket: SocketState, seq: number, now = Date.now()): void {
    if (socket.pings.length > 0) return;
    const [lastSeq, lastAt] = socket.lastPing;
    if (seq - lastSeq < PING_EVERY_EVENTS && now - lastAt < PING_EVERY_MS) return;
    if (!this.connections.send(ws, "PING")) return;
    socket.pings.push([seq, now]);
    socket.lastPing = [seq, now];
  }
}
