// The run hub: one Durable Object per run (named by its run id). It holds the run's upstream stream, keeps every event in
// its SQLite log, fans them out to WebSocket and HTTP subscribers, collects tool outputs, and polls on alarms when no stream is open.
import { DurableObject } from "cloudflare:workers";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import type { GatewayEnv } from "../env";
import type { Run, RunsProvider, UpstreamEvent, UpstreamStream } from "../providers/provider";
import { providerFor } from "../providers/provider-for-env";
import { describeFailure, UpstreamError, toUpstreamError } from "../errors/upstream-error";
import { toTRPCError } from "../errors/upstream-errors";
import type { ToolOutput } from "../schemas/runs";
import { backfill } from "./backfill";
import { authenticate } from "../auth/authenticate";
import { assertThreadAccess } from "../auth/access";
import { enforceRate, releaseRunSlot } from "../auth/limits";
import { CLOSE, Connections, socketPrincipal, type SocketPrincipal } from "./connections";
import { Followers } from "./followers";
import { parseHubRequest, type BeginInput, type FollowQuery, type Submitted } from "./hub-contract";
import { hubConfig, type HubConfig } from "./hub-config";
import { asResult, type HubResult } from "./hub-result";
import { isRunEvent, newHubState, type HubState } from "./hub-state";
import { HubSockets } from "./hub-sockets";
import { SocketAdmission } from "./socket-admission";
import { HubPoller } from "./hub-poller";
import { alarmAction, nextAlarm, type ScheduleState } from "./schedule";
import { pump, readUntil } from "./stream-pump";
import { roundOf, type Collected } from "./tool-outputs";
import { RunRecord } from "./run-record";

/** The upstream's own answer for a run that does not exist, field for field, so either reads the same on every surface. */
const runNotFound = (runId: string) =>
  new UpstreamError(`No run found with id '${runId}'.`, "http", {
    status: 404,
    type: "invalid_request_error",
    param: null,
    code: null,
  });

export class RunHub extends DurableObject<GatewayEnv> {
  /** The run's state, log and tool rounds: their one writer. */
  private readonly record: RunRecord;
  private readonly config: HubConfig;
  private readonly perTenantLimit: number;
  private readonly connections: Connections;
  private readonly sockets: HubSockets;
  private readonly admission: SocketAdmission;
  private readonly followers: Followers;
  private readonly poller: HubPoller;
  /** The tool-output round being submitted upstream right now; in memory, so a restart mid-call does not block a retry. */
  private submitting: string | null = null;
  /** The stream this hub reads itself (a continuation after tool outputs); in memory, so lost on restart. */
  private ownStream: UpstreamStream | null = null;

  constructor(ctx: DurableObjectState, env: GatewayEnv) {
    super(ctx, env);
    this.record = new RunRecord(ctx.storage, {
      appended: (events, now) => {
        this.sockets.deliver(events);
        this.followers.appended(events.at(-1)!.seq, now);
      },
      ended: (state) => this.releaseSlot(state),
    });
    this.config = hubConfig(env);
    this.perTenantLimit = Number(env.RUNCAST_MAX_SUBSCRIBERS_PER_TENANT ?? 50);
    this.connections = new Connections(ctx.getWebSockets(), () => this.record.log.lastSeq(), this.config);
    this.followers = new Followers(
      {
        log: () => this.record.log,
        // A run that ended, or that polling gave up on, will log nothing more.
        runEnded: () => {
          const state = this.record.state();
          return state?.terminalAt != null || state?.settled === true;
        },
      },
      this.config,
    );
    this.poller = new HubPoller({
      record: this.record,
      config: this.config,
      provider: () => this.provider(),
      subscriberCount: () => this.subscriberCount(),
    });
    this.admission = new SocketAdmission(this.connections, this.config, {
      authenticate: async (token) => {
        const principal = await authenticate(this.env, token);
        await enforceRate(this.env, principal);
        return socketPrincipal(principal);
      },
      admit: (threadId, runId, principal) => this.admit(threadId, runId, principal),
      admitted: async () => {
        await this.watched();
        await this.schedule();
      },
      hasRoomFor: (tenant) => this.hasRoomFor(tenant),
    });
    this.sockets = new HubSockets(
      this.connections,
      this.record,
      this.config,
      {
        enforceRate: (principal) => enforceRate(this.env, { ...principal, override: false, assistants: null }),
        submit: (threadId, runId, outputs) => this.submitToolOutputs(threadId, runId, outputs),
        cancel: (threadId, runId) => this.cancel(threadId, runId),
        retrieve: (threadId, runId) => this.retrieve(threadId, runId),
      },
      this.admission,
    );
    // Sockets restored from hibernation that were still authenticating keep their deadlines.
    this.admission.watchDeadlines();
    const state = this.record.state();
    // A stream the hub read itself cannot have survived a restart: fall back to polling now, not after the silence timeout.
    if (state?.stream.open && state.stream.source === "hub") ctx.blockConcurrencyWhile(() => this.streamLost(state));
  }

  // ---- Platform entry points: thin, each catching and logging with its name. ----

  override async fetch(request: Request): Promise<Response> {
    try {
      const asked = parseHubRequest(request);
      switch (asked.kind) {
        case "socket":
          return await this.acceptSocket(asked.thread_id, asked.run_id, asked.principal);
        case "follow":
          return await this.follow(asked);
        case "unknown":
          return new Response("not found", { status: 404 });
      }
    } catch (error) {
      return this.failed("fetch", error);
    }
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    try {
      await this.sockets.message(ws, message);
    } catch (error) {
      console.error(`RunHub.webSocketMessage: ${describeFailure(error)}`);
    }
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      this.connections.close(ws, code === 1005 || code === 1006 ? CLOSE.normal : code, "closed");
      await this.schedule();
    } catch (error) {
      console.error(`RunHub.webSocketClose: ${describeFailure(error)}`);
    }
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    try {
      // A socket that failed is gone: its seat is given back, as on a close.
      console.warn(`RunHub.webSocketError: ${describeFailure(error)}`);
      this.connections.forget(ws);
      await this.schedule();
    } catch (failure) {
      console.error(`RunHub.webSocketError: ${describeFailure(failure)}`);
    }
  }

  override async alarm(): Promise<void> {
    try {
      await this.onAlarm();
    } catch (error) {
      console.error(`RunHub.alarm: ${describeFailure(error)}`);
      // A failed alarm must not stop the schedule, nor fire again at once: back off, then try again.
      this.backOff(Date.now());
      await this.schedule();
    }
  }

  /** A refused request, answered with the tRPC code it stands for (upstream refusals mapped as everywhere else). */
  private failed(method: string, error: unknown): Response {
    const refusal = error instanceof TRPCError ? error : error instanceof UpstreamError ? toTRPCError(error) : null;
    if (!refusal) {
      console.error(`RunHub.${method}: ${describeFailure(error)}`);
      return Response.json(
        { error: "The run's hub failed to handle this request.", code: "INTERNAL_SERVER_ERROR" },
        { status: 500 },
      );
    }
    // An upstream that refuses the gateway's credentials or fails is the operator's business: logged, safely.
    if (refusal.code === "BAD_GATEWAY" || refusal.code === "GATEWAY_TIMEOUT")
      console.warn(`RunHub.${method}: ${describeFailure(error)}`);
    const retryAfter = error instanceof UpstreamError ? error.details.retryAfter : null;
    return Response.json(
      { error: refusal.message, code: refusal.code, ...(retryAfter != null ? { retry_after: retryAfter } : {}) },
      { status: getHTTPStatusCodeFromError(refusal) },
    );
  }

  // ---- RPC from the creation step (run-starter.ts) and the Worker. ----

  /** The run was just created upstream; its first events arrive here, and the rest follow through `ingest`. */
  async begin(input: BeginInput): Promise<number> {
    const now = Date.now();
    const existing = this.record.state();
    if (existing) {
      // The hub took the run up first (a subscriber or a retrieve was quicker): the creator's slot is still this hub's to free.
      if (existing.slotTenant === null) {
        existing.slotTenant = input.slotTenant;
        this.record.put(existing);
        if (existing.terminalAt !== null || existing.settled) this.releaseSlot(existing);
      }
      return existing.stream.generation;
    }
    const state = newHubState(input.run, input.thread_id, { streamOpen: true, slotTenant: input.slotTenant });
    this.record.hold(state);
    this.record.append(state, input.events, now);
    await this.schedule();
    return state.stream.generation;
  }

  /** Events of an open stream; false when that stream was given up (the sender then stops). */
  async ingest(generation: number, events: UpstreamEvent[]): Promise<boolean> {
    const state = this.record.state();
    if (!state || state.stream.generation !== generation || !state.stream.open) return false;
    this.record.append(state, events, Date.now());
    return true;
  }

  /** The stream of `generation` ended (normally after its segment, or cut); polling takes over if the run is not done. */
  async streamEnded(generation: number): Promise<void> {
    const state = this.record.state();
    if (!state || state.stream.generation !== generation || !state.stream.open) return;
    state.stream.open = false;
    this.poller.plan(state, Date.now(), true);
    await this.schedule();
  }

  /**
   * The run as the hub knows it when its stream is live (or it has ended); otherwise fresh from upstream,
   * which also updates the log. Null when the hub holds no run: the caller then asks the upstream itself.
   */
  retrieve(threadId: string, runId: string): Promise<HubResult<{ run: Run; pollAfterMs: number } | null>> {
    return asResult(async () => {
      if (!this.record.has()) return null;
      const state = await this.ready(threadId, runId);
      // Pollers of the gateway get a hint too: the upstream's last one, or the hub's own quickest poll.
      const pollAfterMs = state.poll.hintMs ?? this.config.pollMinMs;
      if (state.stream.open || state.terminalAt !== null) return { run: state.run, pollAfterMs };
      return { run: await this.poller.pollOnce(), pollAfterMs: this.record.state()?.poll.hintMs ?? pollAfterMs };
    });
  }

  /** How many subscribers watch the run now (sockets and SSE streams); 0 when the hub holds no run. */
  watchers(threadId: string, runId: string): number {
    const state = this.record.state();
    if (!state || state.thread_id !== threadId || state.run_id !== runId) return 0;
    return this.subscriberCount();
  }

  /**
   * Collects outputs by tool_call_id from any caller and submits upstream once every call has one:
   * exactly one submission per requires_action, whatever the races.
   */
  submitToolOutputs(threadId: string, runId: string, outputs: ToolOutput[]): Promise<HubResult<Submitted>> {
    return asResult(async () => {
      let state = await this.ready(threadId, runId);
      const round = roundOf(state.run);
      const closed = this.submitting === round || state.submittedRound === round;
      // A complete round neither on its way nor submitted was orphaned by a restart mid-submission (the marker
      // of a submission in flight lives in memory): the upstream took nothing we know of, so it is collected anew.
      if (!closed && state.run.status === "requires_action" && this.record.outputs.collected(state.run).complete)
        this.record.outputs.clear(state.run);
      const collected = this.record.outputs.add(state.run, outputs, closed);
      this.announceRound(state, collected);
      const fromSeq = this.record.log.lastSeq();
      if (!collected.complete) return { run: state.run, fromSeq, pending: collected.pending };

      this.submitting = round;
      let stream: UpstreamStream;
      try {
        stream = await this.provider().streamSubmitToolOutputs(state.thread_id, state.run_id, collected.complete);
      } catch (error) {
        // The upstream took nothing: this request's outputs come back out, so the same outputs can be sent again.
        state = this.record.state()!;
        const reopened = this.record.outputs.remove(
          state.run,
          outputs.map((output) => output.tool_call_id),
        );
        this.announceRound(state, reopened);
        throw toUpstreamError(error);
      } finally {
        this.submitting = null;
      }
      // Stored only once the upstream has taken the outputs, so a hub that dies mid-call does not refuse the retry.
      state = this.record.state()!;
      state.submittedRound = round;
      state = this.openStream(state, "hub");
      // Answer with the run as the continuation's first run event shows it (queued), as the upstream's own answer would.
      const run = await this.readUntilRunEvent(stream, state.stream.generation);
      return { run, fromSeq, pending: [] };
    });
  }

  /** Tells every subscriber which calls of the round have their outputs and which are still open. */
  private announceRound(state: HubState, { received, pending }: Collected): void {
    this.record.append(
      state,
      [{ event: "runcast.tool_outputs", data: { run_id: state.run_id, received, pending } }],
      Date.now(),
    );
  }

  /**
   * Changes the run's metadata upstream and in the hub's copy, so every later read (from the hub or the
   * upstream) agrees; subscribers of a live run get `runcast.run_updated`. Null when the hub holds no run:
   * the caller then updates upstream itself.
   */
  update(threadId: string, runId: string, metadata: Record<string, string> | null): Promise<HubResult<Run | null>> {
    return asResult(async () => {
      if (!this.record.has()) return null;
      await this.ready(threadId, runId);
      const updated = await this.provider().updateRun(threadId, runId, metadata);
      const state = this.record.state()!;
      state.run = { ...state.run, metadata: updated.metadata };
      // A finished (or settled) run's subscribers have all been stopped: its log is closed, and only reads see the change.
      if (state.terminalAt === null && !state.settled)
        this.record.append(
          state,
          [{ event: "runcast.run_updated", data: { run_id: state.run_id, metadata: updated.metadata } }],
          Date.now(),
        );
      else this.record.put(state);
      return updated;
    });
  }

  /**
   * Cancels upstream; the stream (if open) or the next polls bring `cancelling` and `cancelled` to
   * subscribers. Null when the hub holds no run: the caller then cancels upstream itself.
   */
  cancel(threadId: string, runId: string): Promise<HubResult<Run | null>> {
    return asResult(async () => {
      if (!this.record.has()) return null;
      const state = await this.ready(threadId, runId);
      const version = state.version;
      const run = await this.provider().cancelRun(state.thread_id, state.run_id);
      const current = this.record.state()!;
      // Only when nothing newer was logged meanwhile (a stream's or a poll's `cancelled`, say) is `cancelling` news.
      if (!current.stream.open && current.version === version)
        this.record.append(current, backfill(this.record.log.currentView(), { run }), Date.now());
      if (!current.stream.open) {
        this.poller.plan(current, Date.now(), true);
        await this.schedule();
      }
      return run;
    });
  }

  // ---- Subscribers. ----

  /**
   * A subscriber's socket. With credentials on the upgrade, the Worker has authenticated it and checked
   * access (the principal header); otherwise it must send them as its first message within AUTH_TIMEOUT_MS.
   */
  private async acceptSocket(threadId: string, runId: string, principal: SocketPrincipal | null): Promise<Response> {
    // Before authentication nothing is looked up (no upstream call, no hint whether the run exists) and nothing is
    // stored: a socket without credentials is admitted to the run only once it has authenticated.
    if (principal) await this.ready(threadId, runId);
    const full = this.refusal(principal?.tenant ?? null);
    if (full) return Response.json({ error: full, code: "TOO_MANY_REQUESTS" }, { status: 429 });
    const pair = new WebSocketPair();
    // Hibernation: the hub may sleep while sockets stay open; what each follows is in its attachment.
    this.ctx.acceptWebSocket(pair[1]);
    this.connections.add(
      pair[1],
      { thread_id: threadId, run_id: runId },
      principal,
      principal ? null : Date.now() + this.config.authTimeoutMs,
    );
    if (!principal) {
      this.admission.watchDeadlines();
      return new Response(null, { status: 101, webSocket: pair[0] });
    }
    await this.watched();
    await this.schedule();
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  private async follow({ thread_id: threadId, run_id: runId, after, until, tenant }: FollowQuery): Promise<Response> {
    await this.ready(threadId, runId);
    this.record.log.assertIssued(after);
    const full = this.refusal(tenant);
    if (full) return Response.json({ error: full, code: "TOO_MANY_REQUESTS" }, { status: 429 });
    const follower = this.followers.add(after, until, tenant);
    await this.watched();
    await this.schedule();
    return follower.response;
  }

  /**
   * A socket authenticated by its first message: the run is looked up (adopted if need be) and the
   * caller must own its thread or be an admin; anyone else learns nothing (NOT_FOUND).
   */
  private async admit(threadId: string, runId: string, principal: SocketPrincipal): Promise<void> {
    await assertThreadAccess(this.env, { ...principal, override: false, assistants: null }, threadId);
    await this.ready(threadId, runId);
  }

  private subscriberCount(): number {
    return this.connections.count() + this.followers.size;
  }

  /** Subscribers per tenant per run are bounded too, so one tenant cannot take every seat. */
  private hasRoomFor(tenant: string): boolean {
    return this.connections.count(tenant) + this.followers.count(tenant) < this.perTenantLimit;
  }

  /**
   * Why one more subscriber (of `tenant`, if known yet) cannot join, or null if it can. Every open socket counts,
   * authenticated or not, so sockets that never take a seat cannot pile up either.
   */
  private refusal(tenant: string | null): string | null {
    this.admission.closeOverdue(Date.now());
    if (this.connections.size + this.followers.size >= this.config.maxSubscribers)
      return `This run already has ${this.config.maxSubscribers} subscribers, the most it accepts.`;
    // Sockets that hold no seat yet get only a share of them, so they cannot lock out those that authenticate.
    if (tenant === null && this.connections.unadmitted >= this.config.maxUnauthenticatedSockets)
      return `This run already has ${this.config.maxUnauthenticatedSockets} sockets waiting to authenticate, the most it accepts.`;
    if (tenant !== null && !this.hasRoomFor(tenant))
      return `Tenant ${tenant} already has ${this.perTenantLimit} subscribers on this run, the most one tenant may have.`;
    return null;
  }

  /** The run no longer counts against its tenant's active runs. */
  private releaseSlot(state: HubState): void {
    if (state.slotTenant)
      releaseRunSlot(this.env, state.slotTenant, state.run_id).catch((error: unknown) =>
        console.warn(`RunHub: could not release a run slot: ${describeFailure(error)}`),
      );
  }

  // ---- Streams the hub reads itself. ----

  private openStream(state: HubState, source: HubState["stream"]["source"]): HubState {
    state.stream = { generation: state.stream.generation + 1, open: true, source, lastEventAt: Date.now() };
    this.record.put(state);
    return state;
  }

  /** Reads the continuation until its first run event (returned), then keeps reading it in the background. */
  private async readUntilRunEvent(stream: UpstreamStream, generation: number): Promise<Run> {
    this.ownStream = stream;
    const iterator = stream[Symbol.asyncIterator]();
    const { head, found, error } = await readUntil(iterator, (event) => isRunEvent(event.event));
    await this.ingest(generation, head);
    if (error) {
      // The upstream took the outputs, then the stream broke: polling carries on, and the caller gets the run as known.
      console.warn(`RunHub: continuation of ${this.record.state()?.run_id} broke off: ${describeFailure(error)}`);
      const state = this.record.state()!;
      if (state.stream.generation === generation) await this.streamLost(state);
      return this.record.state()!.run;
    }
    if (!found) {
      await this.streamEnded(generation);
      return this.record.state()!.run;
    }
    void this.consume(stream, iterator, generation);
    await this.schedule();
    return found.data as Run;
  }

  /** The rest of a continuation, read as the creation step reads the first segment (stream-pump.ts). */
  private async consume(
    stream: UpstreamStream,
    iterator: AsyncIterator<UpstreamEvent>,
    generation: number,
  ): Promise<void> {
    await pump(stream, iterator, (events) => this.ingest(generation, events), "RunHub");
    // Only this stream's own slot is cleared: a newer one may have replaced it.
    if (this.ownStream === stream) this.ownStream = null;
    await this.streamEnded(generation);
  }

  /** The open stream went silent or was lost: give it up (events from it are refused from now on) and poll. */
  private async streamLost(state: HubState): Promise<void> {
    state.stream = { ...state.stream, generation: state.stream.generation + 1, open: false };
    this.poller.plan(state, Date.now(), true);
    this.ownStream?.abort();
    this.ownStream = null;
    await this.schedule();
  }

  // ---- Polling, alarms, retention. ----

  /** The hub's state for the run, adopting it from upstream if the hub has none (created elsewhere, or retired). */
  private async ready(threadId: string, runId: string): Promise<HubState> {
    const state = this.record.state();
    if (state) {
      // Worded as the upstream words a run that does not exist: a caller learns nothing of runs on other threads.
      if (state.thread_id !== threadId || state.run_id !== runId) throw runNotFound(runId);
      return state;
    }
    const { run, pollAfterMs } = await this.provider()
      .retrieveRun(threadId, runId)
      .catch((error: unknown) => {
        // Worded and shaped as for a run on another thread, request id included (none): the two read the same.
        if (error instanceof UpstreamError && error.details.status === 404) throw runNotFound(runId);
        throw error;
      });
    // Another call may have taken the run up while the upstream answered: it holds it now.
    if (this.record.has()) return this.ready(threadId, runId);
    const adopted = newHubState(run, threadId, { streamOpen: false, slotTenant: null, hintMs: pollAfterMs });
    this.record.hold(adopted);
    await this.poller.backfill(adopted.version, run);
    this.poller.plan(this.record.state()!, Date.now(), true);
    await this.schedule();
    return this.record.state()!;
  }

  /** A subscriber joined: polling (if the run is being polled) moves to the watched pace. */
  private async watched(): Promise<void> {
    if (this.poller.watched()) await this.schedule();
  }

  private scheduleState(state: HubState): ScheduleState {
    return {
      terminalAt: state.terminalAt,
      streamOpen: state.stream.open,
      lastEventAt: state.stream.lastEventAt,
      pollAt: state.poll.at,
      expiresAt: state.run.expires_at === null ? null : state.run.expires_at * 1000,
      settled: state.settled,
    };
  }

  /** The next alarm, from the run's own schedule; a hub that holds no run sets none (and so stores nothing). */
  private async schedule(): Promise<void> {
    const state = this.record.state();
    if (!state) return;
    // An admitted socket's token expiry is met by the same alarm (admitted sockets exist only where a run is held).
    const expiry = this.connections.nextExpiry();
    await this.ctx.storage.setAlarm(
      Math.min(nextAlarm(this.scheduleState(state), Date.now(), this.config), expiry ?? Infinity),
    );
  }

  private async onAlarm(): Promise<void> {
    const now = Date.now();
    this.admission.closeOverdue(now);
    const state = this.record.state();
    if (!state) return;
    const action = alarmAction(this.scheduleState(state), now, this.config);
    switch (action) {
      case "retire":
        return this.retire();
      case "loseStream":
        return this.streamLost(state);
      case "wait":
        return this.schedule();
      case "poll":
      case "finalPoll": {
        let gone = false;
        try {
          await this.poller.pollOnce();
        } catch (error) {
          gone = this.pollFailed(error, now);
        }
        const current = this.record.state()!;
        // The last poll (expiry has come) or a run gone upstream: nothing more will happen to it.
        if ((action === "finalPoll" || gone) && current.terminalAt === null) this.settle(current);
        return this.schedule();
      }
    }
  }

  /**
   * Every failed poll backs off, whatever failed (an upstream refusal, an answer of an unexpected shape, a
   * provider that cannot be built): the next poll is planned later, never in the past, so an alarm cannot spin.
   * True when the run is gone upstream (404): nothing more will happen to it.
   */
  private pollFailed(error: unknown, now: number): boolean {
    this.backOff(now);
    let failure = error;
    try {
      failure = toUpstreamError(error);
    } catch {
      // Not an upstream failure: logged as it is.
    }
    console.warn(`RunHub: poll of ${this.record.state()?.run_id} failed: ${describeFailure(failure)}`);
    return failure instanceof UpstreamError && failure.details.status === 404;
  }

  /** A poll (or an alarm) failed: the next poll comes later, by one more step of the backoff, never in the past. */
  private backOff(now: number): void {
    const state = this.record.state();
    if (!state || state.stream.open || state.terminalAt !== null || state.settled) return;
    state.poll.attempt++;
    this.poller.plan(state, now);
  }

  /** Polling stops for good without a terminal event: subscribers are told the run will not move again. */
  private settle(state: HubState): void {
    state.settled = true;
    this.record.put(state);
    // Expired or gone upstream: the run no longer counts as active.
    this.releaseSlot(state);
    this.sockets.endAll();
    this.followers.wakeAll();
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
    if (!provider) throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "No upstream is configured." });
    return provider;
  }
}
