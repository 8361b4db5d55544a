// What the hub does with its WebSockets: tRPC messages in, tracked events out, and who has fallen too far behind.
import { TRPCError } from "@trpc/server";
import type { Run } from "../providers/provider";
import { runEventsInput, runRef, submitToolOutputsInput } from "../schemas/runs";
import { describeIssues, inputIssues } from "../errors/input-issues";
import { toTRPCError, upstreamData } from "../errors/upstream-errors";
import { describeFailure } from "../errors/upstream-error";
import { CLOSE, type Connections, type SocketPrincipal, type SocketState } from "./connections";
import type { LoggedEvent } from "./event-log";
import type { HubConfig } from "./hub-config";
import { toError, type HubResult } from "./hub-result";
import { isTerminalEvent } from "./hub-state";
import type { RunRecord } from "./run-record";
import type { Submitted } from "./hub-contract";
import { TOKEN_EXPIRED, tokenExpired, type SocketAdmission } from "./socket-admission";
import { spend } from "./socket-budget";
import {
  errorFrame,
  eventFrame,
  parseClientFrame,
  resultFrame,
  startedFrame,
  stoppedFrame,
  type ClientMessage,
  type RequestId,
} from "./ws-protocol";

/** What the sockets may ask of the hub (beyond admission, socket-admission.ts). */
export interface HubActions {
  /** Counts a call made over the socket against the tenant's request rate. */
  enforceRate(principal: SocketPrincipal): Promise<void>;
  submit(
    threadId: string,
    runId: string,
    outputs: Array<{ tool_call_id: string; output: string }>,
  ): Promise<HubResult<Submitted>>;
  cancel(threadId: string, runId: string): Promise<HubResult<Run | null>>;
  retrieve(threadId: string, runId: string): Promise<HubResult<{ run: Run } | null>>;
}

const MAX_SUBSCRIPTIONS_PER_SOCKET = 8;
/** A subscription's replay costs one message of the socket's budget per this many events it sends. */
const REPLAYED_EVENTS_PER_MESSAGE = 100;
const MAX_PINGS = 16;

const decoder = new TextDecoder();

function validated<T>(
  schema: { safeParse(input: unknown): { success: true; data: T } | { success: false; error: unknown } },
  input: unknown,
): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new TRPCError({
    code: "BAD_REQUEST",
    message: describeIssues(inputIssues(parsed.error) ?? []),
    cause: parsed.error,
  });
}

export class HubSockets {
  constructor(
    private readonly connections: Connections,
    /** The run's state and log, read here; only the record writes them. */
    private readonly record: RunRecord,
    private readonly config: HubConfig,
    private readonly hub: HubActions,
    /** Who may hold a socket, and until when; every refusal goes through it. */
    private readonly admission: SocketAdmission,
  ) {}

  async message(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const socket = this.connections.get(ws);
    if (!socket) return;
    // In bytes, as documented: a string can be up to 3 bytes per UTF-16 unit, so only long ones are encoded to measure.
    const size =
      typeof raw !== "string"
        ? raw.byteLength
        : raw.length * 3 <= this.config.maxFrameBytes
          ? raw.length
          : new TextEncoder().encode(raw).byteLength;
    if (size > this.config.maxFrameBytes)
      return this.admission.refuse(ws, CLOSE.tooBig, `frames are limited to ${this.config.maxFrameBytes} bytes`);
    const frame = parseClientFrame(
      typeof raw === "string" ? raw : decoder.decode(raw),
      this.config.maxMessagesPerFrame,
    );
    // Every message counts against the socket's budget, except the PONGs the hub itself asked for.
    const solicited = frame.messages[0]?.type === "pong" && socket.pings.length > 0;
    const spent = solicited
      ? "ok"
      : spend(socket.budget, frame.count, socket.principal !== null, this.config, Date.now());
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
        `too many messages: at most ${this.config.socketMessagesPerSecond} per second`,
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
          errorFrame(message.id, new TRPCError({ code: "PARSE_ERROR", message: message.message })),
        );
        return;
      case "call":
        try {
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
                new TRPCError({ code: "UNAUTHORIZED", message: "The token has expired." }),
                message.path,
              ),
            );
            return this.admission.refuse(ws, CLOSE.unauthenticated, TOKEN_EXPIRED);
          }
          await this.call(ws, socket, message);
        } catch (error) {
          const trpcError =
            error instanceof TRPCError
              ? error
              : new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "The hub failed to handle this message." });
          if (!(error instanceof TRPCError)) console.error(`RunHub socket call: ${describeFailure(error)}`);
          this.connections.send(
            ws,
            errorFrame(message.id, trpcError, message.path, {
              fields: inputIssues(trpcError.cause),
              upstream: upstreamData(trpcError.cause),
            }),
          );
        }
        return;
    }
  }

  private async call(
    ws: WebSocket,
    socket: SocketState,
    message: Extract<ClientMessage, { type: "call" }>,
  ): Promise<void> {
    const route = `${message.method} ${message.path}`;
    await this.hub.enforceRate(socket.principal!);
    if (socket.denied)
      throw new TRPCError({ code: "NOT_FOUND", message: `No thread found with id '${socket.ref.thread_id}'.` });
    switch (route) {
      case "subscription runs.events": {
        const input = validated(
          runEventsInput,
          message.lastEventId === undefined
            ? message.input
            : { ...(message.input as object), lastEventId: message.lastEventId },
        );
        this.ownRun(input);
        const after = Number(input.lastEventId ?? 0);
        // A replay sends the whole backlog at once: it is paid for from the socket's budget, so a frame of
        // subscriptions to a long log cannot make the hub send without bound.
        const backlog = Math.max(0, this.record.log.lastSeq() - after);
        if (
          spend(socket.budget, Math.ceil(backlog / REPLAYED_EVENTS_PER_MESSAGE), true, this.config, Date.now()) ===
          "rate"
        )
          return this.admission.refuse(
            ws,
            CLOSE.policy,
            `too many replayed events: at most ${this.config.socketMessagesPerSecond * REPLAYED_EVENTS_PER_MESSAGE} per second`,
          );
        return this.subscribe(ws, socket, message.id, after);
      }
      case "mutation runs.submitToolOutputs": {
        const input = validated(submitToolOutputsInput, message.input);
        this.ownRun(input);
        return this.answer(
          ws,
          message.id,
          this.hub.submit(input.thread_id, input.run_id, input.tool_outputs),
          (submitted) => submitted.run,
        );
      }
      case "mutation runs.cancel": {
        const input = validated(runRef, message.input);
        this.ownRun(input);
        return this.answer(ws, message.id, this.hub.cancel(input.thread_id, input.run_id), (run) => run);
      }
      case "query runs.retrieve": {
        const input = validated(runRef, message.input);
        this.ownRun(input);
        return this.answer(
          ws,
          message.id,
          this.hub.retrieve(input.thread_id, input.run_id),
          (found) => found?.run ?? null,
        );
      }
      default:
        throw new TRPCError({
          code: "METHOD_NOT_SUPPORTED",
          message: `A run's socket serves runs.events, runs.submitToolOutputs, runs.cancel and runs.retrieve, not ${route}.`,
        });
    }
  }

  /** A socket belongs to one run: input naming another run is NOT_FOUND, as it would be anywhere else. */
  private ownRun(input: { thread_id: string; run_id: string }): void {
    const state = this.record.state();
    if (!state || state.thread_id !== input.thread_id || state.run_id !== input.run_id)
      throw new TRPCError({
        code: "NOT_FOUND",
        message: `Run ${input.run_id} on thread ${input.thread_id} is not served by this socket.`,
      });
  }

  private async answer<T>(
    ws: WebSocket,
    id: RequestId,
    result: Promise<HubResult<T>>,
    output: (value: T) => unknown,
  ): Promise<void> {
    const settled = await result;
    if (!settled.ok) {
      const error = toError(settled.error);
      // The same mapping as over HTTP: an upstream 400 stays BAD_REQUEST, with its details.
      throw error instanceof TRPCError ? error : toTRPCError(error);
    }
    this.connections.send(ws, resultFrame(id, output(settled.value)));
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
      for (const event of page) {
        this.connections.send(ws, eventFrame(id, event.seq, event.event, event.data));
        last = event.seq;
        if (isTerminalEvent(event.event)) {
          this.connections.send(ws, stoppedFrame(id));
          this.ping(ws, socket, last);
          return;
        }
      }
    }
    // Resumed after the run's end, or after polling gave up on it: nothing more will come.
    const state = this.record.state();
    if (state?.terminalAt != null || state?.settled) {
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
    for (const [ws, socket] of this.connections.entries()) {
      if (socket.subs.length === 0) continue;
      let last = 0;
      const before = socket.subs.length;
      socket.subs = socket.subs.filter((sub) => {
        for (const event of events) {
          if (event.seq <= sub.after) continue;
          this.connections.send(ws, eventFrame(sub.id, event.seq, event.event, event.data));
          sub.after = last = event.seq;
          if (isTerminalEvent(event.event)) {
            this.connections.send(ws, stoppedFrame(sub.id));
            return false;
          }
        }
        return true;
      });
      if (socket.subs.length !== before) this.connections.persist(ws, socket);
      if (last > 0) this.ping(ws, socket, last);
      const oldest = socket.pings[0];
      if (last - socket.acked > this.config.maxLagEvents && oldest && now - oldest[1] > this.config.lagGraceMs)
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

  /** A PING after a batch: its PONG proves the subscriber read up to `seq` (tRPC's wsLink answers PINGs). */
  private ping(ws: WebSocket, socket: SocketState, seq: number): void {
    if (socket.pings.length >= MAX_PINGS || (socket.pings.at(-1)?.[0] ?? 0) >= seq) return;
    if (this.connections.send(ws, "PING")) socket.pings.push([seq, Date.now()]);
  }
}
