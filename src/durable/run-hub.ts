// The run hub: one Durable Object per run (named by its run id). It holds the run's upstream stream, keeps every event in
// its SQLite log, fans them out to WebSocket and HTTP subscribers, collects tool outputs, and polls on alarms when no
// stream is open. This class is the platform's side only: requests, sockets, alarms, storage, and the wiring of the
// parts; what the hub does is run-service.ts, and the run's one record is run-record.ts (README maps the rest).
import { DurableObject } from "cloudflare:workers";
import { TRPCError } from "@trpc/server";
import type { GatewayEnv } from "../env";
import type { Run, RunsProvider, UpstreamEvent } from "../providers/provider";
import { providerFor, unavailable } from "../providers/provider-for-env";
import type { ToolAnswer } from "../schemas/runs";
import { authenticate } from "../auth/authenticate";
import { assertThreadAccess } from "../auth/access";
import { enforceRate, releaseRunSlot } from "../auth/limits";
import { CLOSE, Connections, socketPrincipal, type SocketPrincipal } from "./connections";
import { Followers } from "./followers";
import {
  parseHubRequest,
  refusalResponse,
  type BeginInput,
  type FollowQuery,
  type HubRequest,
  type Submitted,
} from "./hub-contract";
import { hubConfig, type HubConfig } from "./hub-config";
import { HubLog } from "./hub-log";
import { asResult, type HubResult } from "./hub-result";
import type { HubState } from "./hub-state";
import { HubSockets } from "./hub-sockets";
import { HubStreams } from "./hub-streams";
import { SocketAdmission } from "./socket-admission";
import { HubPoller } from "./hub-poller";
import { RunRecord } from "./run-record";
import { RunService } from "./run-service";
import { Seats } from "./seats";
import { ToolSubmission } from "./tool-submission";

export class RunHub extends DurableObject<GatewayEnv> {
  /** The run's state, log and tool rounds: their one writer. */
  private readonly record: RunRecord;
  private readonly service: RunService;
  private readonly connections: Connections;
  private readonly sockets: HubSockets;
  private readonly admission: SocketAdmission;
  private readonly followers: Followers;
  private readonly seats: Seats;
  private readonly config: HubConfig;
  /** The hub's failure lines, with its run and the request that last reached it. */
  private readonly log: HubLog;

  constructor(ctx: DurableObjectState, env: GatewayEnv) {
    super(ctx, env);
    const config = (this.config = hubConfig(env));
    this.log = new HubLog(() => this.record.state());
    const log = this.log.failed;
    this.record = new RunRecord(ctx.storage, {
      appended: (events, now) => {
        this.sockets.deliver(events);
        this.followers.appended(events.at(-1)!.seq, now);
      },
      ended: (state) => this.releaseSlot(state),
      settled: () => {
        this.sockets.endAll();
        this.followers.wakeAll();
      },
    });
    this.connections = new Connections(ctx.getWebSockets(), () => this.record.log.lastSeq(), config, log);
    this.followers = new Followers(this.record, config);
    const provider = () => this.provider();
    this.admission = new SocketAdmission(this.connections, config, {
      authenticate: async (token) => {
        const principal = await authenticate(this.env, token);
        await enforceRate(this.env, principal);
        return socketPrincipal(principal);
      },
      admit: (threadId, runId, principal) => this.admit(threadId, runId, principal),
      admitted: async () => {
        await this.service.watched();
        await this.service.schedule();
      },
      hasRoomFor: (tenant) => this.seats.hasRoomFor(tenant),
    });
    this.seats = new Seats(
      this.connections,
      this.followers,
      config,
      Number(env.RUNCAST_MAX_SUBSCRIBERS_PER_TENANT ?? 50),
      (now) => this.admission.closeOverdue(now),
    );
    const poller = new HubPoller({
      record: this.record,
      config,
      provider,
      subscriberCount: () => this.seats.watching(),
    });
    const streams = new HubStreams(this.record, poller, { schedule: () => this.service.schedule() }, log);
    this.service = new RunService(
      this.record,
      poller,
      streams,
      new ToolSubmission(this.record, streams, provider),
      config,
      provider,
      {
        setAlarm: (at) => ctx.storage.setAlarm(at),
        retire: () => this.retire(),
        nextExpiry: () => this.connections.nextExpiry(),
        closeOverdue: (now) => this.admission.closeOverdue(now),
      },
      log,
    );
    this.sockets = new HubSockets(
      this.connections,
      this.record,
      config,
      {
        enforceRate: (principal) => enforceRate(this.env, this.callerOf(principal)),
        submit: (threadId, runId, outputs) => this.submitToolOutputs(threadId, runId, outputs),
        cancel: (threadId, runId) => this.cancel(threadId, runId),
        retrieve: (threadId, runId) => this.retrieve(threadId, runId),
      },
      this.admission,
      log,
    );
    // Sockets restored from hibernation that were still authenticating keep their deadlines.
    this.admission.watchDeadlines();
    const state = this.record.state();
    // A stream the hub read itself cannot have survived a restart: fall back to polling now, not after the silence timeout.
    if (state?.stream.open && state.stream.source === "hub") ctx.blockConcurrencyWhile(() => streams.lost());
  }

  // ---- Platform entry points: thin, each catching and logging with its name. ----

  override async fetch(request: Request): Promise<Response> {
    let run: string | undefined;
    try {
      const asked = parseHubRequest(request);
      this.log.heard(asked.requestId);
      if (asked.kind !== "unknown") run = asked.run_id;
      switch (asked.kind) {
        case "socket":
          return await this.acceptSocket(asked);
        case "follow":
          return await this.follow(asked);
        case "unknown":
          return new Response("not found", { status: 404 });
      }
    } catch (error) {
      return this.refused(error, run);
    }
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // What a socket asks is logged with its upgrade's request id.
    this.log.heard(this.connections.get(ws)?.requestId);
    try {
      await this.sockets.message(ws, message);
    } catch (error) {
      this.log.failed({ what: "hub.websocket_message_failed", error });
    }
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      this.connections.close(ws, code === 1005 || code === 1006 ? CLOSE.normal : code, "closed");
      await this.service.schedule();
    } catch (error) {
      this.log.failed({ what: "hub.websocket_close_failed", error });
    }
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    try {
      // A socket that failed is gone: its seat is given back, as on a close.
      this.log.failed({ level: "warn", what: "hub.websocket_error", error });
      this.connections.forget(ws);
      await this.service.schedule();
    } catch (failure) {
      this.log.failed({ what: "hub.websocket_error_failed", error: failure });
    }
  }

  override async alarm(): Promise<void> {
    try {
      await this.service.alarm();
    } catch (error) {
      this.log.failed({ what: "hub.alarm_failed", error });
      // A failed alarm must not stop the schedule, nor fire again at once: back off, then try again.
      this.service.backOff(Date.now());
      await this.service.schedule();
    }
  }

  /** A refused request, answered with the tRPC code it stands for; the hub's own failures and upstream ones logged. */
  private refused(error: unknown, run: string | undefined): Response {
    const { response, log } = refusalResponse(error);
    if (log)
      this.log.failed({
        level: log,
        what: log === "error" ? "hub.request_failed" : "hub.upstream_failed",
        ...(run ? { run } : {}),
        error,
      });
    return response;
  }

  // ---- RPC from the creation step (run-starter.ts) and the Worker (hub-client.ts). ----
  // Calls that may find no run here answer null when the hub holds none: the caller then asks the upstream itself.

  /** The run was just created upstream; its first events arrive here, and the rest follow through `ingest`. */
  begin(input: BeginInput): Promise<number> {
    this.log.heard(input.requestId);
    return this.service.begin(input);
  }

  /** Events of an open stream; false when that stream was given up (the sender then stops). */
  async ingest(generation: number, events: UpstreamEvent[]): Promise<boolean> {
    return this.service.ingest(generation, events);
  }

  /** The stream of `generation` ended (normally after its segment, or cut); polling takes over if the run is not done. */
  streamEnded(generation: number): Promise<void> {
    return this.service.streamEnded(generation);
  }

  // The calls below take the id of the request that made them (the Worker's), or none (a socket's, already heard).

  retrieve(
    threadId: string,
    runId: string,
    requestId: string | null = null,
  ): Promise<HubResult<{ run: Run; pollAfterMs: number } | null>> {
    this.log.heard(requestId);
    return asResult(() => (this.record.has() ? this.service.retrieve(threadId, runId) : null));
  }

  /** How many subscribers watch the run now (sockets and SSE streams); 0 when the hub holds no run. */
  watchers(threadId: string, runId: string): number {
    return this.record.holds({ thread_id: threadId, run_id: runId }) ? this.seats.watching() : 0;
  }

  submitToolOutputs(
    threadId: string,
    runId: string,
    outputs: ToolAnswer[],
    requestId: string | null = null,
  ): Promise<HubResult<Submitted>> {
    this.log.heard(requestId);
    return asResult(() => this.service.submitToolOutputs(threadId, runId, outputs));
  }

  update(
    threadId: string,
    runId: string,
    metadata: Record<string, string> | null,
    requestId: string | null = null,
  ): Promise<HubResult<Run | null>> {
    this.log.heard(requestId);
    return asResult(() => (this.record.has() ? this.service.update(threadId, runId, metadata) : null));
  }

  cancel(threadId: string, runId: string, requestId: string | null = null): Promise<HubResult<Run | null>> {
    this.log.heard(requestId);
    return asResult(() => (this.record.has() ? this.service.cancel(threadId, runId) : null));
  }

  // ---- Subscribers. ----

  /**
   * A subscriber's socket. With credentials on the upgrade, the Worker has authenticated it and checked
   * access (the principal header); otherwise it must send them as its first message within AUTH_TIMEOUT_MS.
   */
  private async acceptSocket({
    thread_id: threadId,
    run_id: runId,
    principal,
    batched,
    requestId,
  }: Extract<HubRequest, { kind: "socket" }>): Promise<Response> {
    // Before authentication nothing is looked up (no upstream call, no hint whether the run exists) and nothing is
    // stored: a socket without credentials is admitted to the run only once it has authenticated.
    if (principal) await this.service.ready(threadId, runId);
    const full = this.seats.refusal(principal?.tenant ?? null);
    if (full) return refusalResponse(new TRPCError({ code: "TOO_MANY_REQUESTS", message: full })).response;
    const pair = new WebSocketPair();
    // Hibernation: the hub may sleep while sockets stay open; what each follows is in its attachment.
    this.ctx.acceptWebSocket(pair[1]);
    const deadline = principal ? null : Date.now() + this.config.authTimeoutMs;
    this.connections.add(pair[1], { thread_id: threadId, run_id: runId }, principal, deadline, batched, requestId);
    if (principal) {
      await this.service.watched();
      await this.service.schedule();
    } else this.admission.watchDeadlines();
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  private async follow({ thread_id: threadId, run_id: runId, after, until, tenant }: FollowQuery): Promise<Response> {
    await this.service.ready(threadId, runId);
    this.record.log.assertIssued(after);
    const full = this.seats.refusal(tenant);
    if (full) return refusalResponse(new TRPCError({ code: "TOO_MANY_REQUESTS", message: full })).response;
    const follower = this.followers.add(after, until, tenant);
    await this.service.watched();
    await this.service.schedule();
    return follower.response;
  }

  /**
   * A socket authenticated by its first message: the run is looked up (adopted if need be) and the
   * caller must own its thread or be an admin; anyone else learns nothing (NOT_FOUND).
   */
  private async admit(threadId: string, runId: string, principal: SocketPrincipal): Promise<void> {
    await assertThreadAccess(this.env, this.callerOf(principal), threadId);
    await this.service.ready(threadId, runId);
  }

  /** A socket's principal as access checks and rate limits take one: it never overrides, manages or names assistants. */
  private callerOf(principal: SocketPrincipal) {
    return { ...principal, override: false, manageAssistants: false, assistants: null };
  }

  /** The run no longer counts against its tenant's active runs. */
  private releaseSlot(state: HubState): void {
    if (state.slotTenant)
      releaseRunSlot(this.env, state.slotTenant, state.run_id).catch((error: unknown) =>
        this.log.failed({ level: "warn", what: "hub.slot_release_failed", tenant: state.slotTenant, error }),
      );
  }

  /** After retention: subscribers are told, storage is deleted; later calls fall back to the upstream. */
  private async retire(): Promise<void> {
    for (const [ws] of [...this.connections.entries()])
      this.connections.close(ws, CLOSE.retired, "run retired: its log was deleted after the retention period");
    this.followers.failAll("run retired: its log was deleted after the retention period");
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.record.reset();
  }

  private provider(): RunsProvider {
    const provider = providerFor(this.env);
    if (!provider) throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: unavailable(this.env) });
    return provider;
  }
}
