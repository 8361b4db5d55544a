// The creation step. A run's hub is named by the run id, which exists only once the upstream's stream says
// `thread.run.created`; so a short-lived object (unique id) opens the stream, learns the id, hands the first
// events to the run's hub, answers with the run at once, and forwards the rest of the first segment into the hub.
import { DurableObject } from "cloudflare:workers";
import { claimThread } from "../auth/access";
import { bindRunSlot } from "../auth/limits";
import type { GatewayEnv } from "../env";
import type { Run, RunParams, UpstreamEvent, UpstreamStream } from "../providers/provider";
import { providerFor } from "../providers/provider-for-env";
import { UpstreamError } from "../errors/upstream-error";
import { logFailure, type Failure } from "../log/failure-log";
import { hubFor } from "./hub-client";
import type { StartRequest } from "./hub-contract";
import { asResult, type HubResult } from "./hub-result";
import { pump, readUntil } from "./stream-pump";

/** An open fetch stream does not keep an object alive; a heartbeat alarm does, while forwarding lasts. */
const HEARTBEAT_MS = 10_000;
/** Which run's stream this object forwards, kept while it does: a restarted object finds it and tells the hub. */
const FORWARDING_KEY = "forwarding";

export interface Forwarding {
  runId: string;
  generation: number;
  /** The creating request's id, which the lines logged about this stream carry. */
  requestId?: string | null;
}

/** The stream a creation step's storage says it forwards, or null once it is done (read by tests, too). */
export const forwardingIn = (storage: DurableObjectStorage): Forwarding | null =>
  storage.kv.get<Forwarding>(FORWARDING_KEY) ?? null;

type Hub = ReturnType<GatewayEnv["RUN_HUB"]["get"]>;

export class RunStarter extends DurableObject<GatewayEnv> {
  private forwarding = false;

  /** `requestId` is the creating request's: the hub hears it with the run, and this object's log lines carry it. */
  start(request: StartRequest, requestId: string | null = null): Promise<HubResult<Run>> {
    return asResult(async () => {
      const provider = providerFor(this.env);
      if (!provider) throw new UpstreamError("No upstream is configured.", "network");
      const stream =
        request.kind === "run"
          ? await provider.streamRun(request.thread_id, request.params)
          : await provider.streamThreadAndRun(request.params);
      const iterator = stream[Symbol.asyncIterator]();
      let run: Run;
      let generation: number;
      try {
        const { head, found, error } = await readUntil(iterator, (event) => event.event === "thread.run.created");
        if (error) throw error;
        if (!found) throw new UpstreamError("The upstream's stream ended before the run was created.", "network");
        run = found.data as Run;
        // A new thread is its creator's before anyone can learn its id.
        if (request.kind === "threadAndRun") await claimThread(this.env, run.thread_id, request.tenant);
        // The slot is bound to the run before the hub can see the run end and free it.
        await bindRunSlot(this.env, request.tenant, request.reservation, run);
        generation = await hubFor(this.env, run.id).begin({
          thread_id: run.thread_id,
          run,
          events: head,
          slotTenant: request.tenant,
          requestId,
        });
      } catch (error) {
        // Nobody will read this stream: the upstream connection is released.
        stream.abort();
        throw error;
      }
      void this.forward(stream, iterator, hubFor(this.env, run.id), { runId: run.id, generation, requestId });
      return run;
    });
  }

  override async alarm(): Promise<void> {
    if (this.forwarding) return this.ctx.storage.setAlarm(Date.now() + HEARTBEAT_MS);
    // The object restarted (a crash, a deploy) while it forwarded: the stream went with it. Told now, the hub polls at
    // once instead of waiting out its silence limit (45 s) for events that will never come.
    const lost = forwardingIn(this.ctx.storage);
    if (!lost) return;
    await this.streamEnded(lost);
  }

  /** Forwards the rest of the first segment into the hub (in batches, stream-pump.ts), then tells it the stream ended. */
  private async forward(
    stream: UpstreamStream,
    iterator: AsyncIterator<UpstreamEvent>,
    hub: Hub,
    forwarding: Forwarding,
  ): Promise<void> {
    this.forwarding = true;
    this.ctx.storage.kv.put<Forwarding>(FORWARDING_KEY, forwarding);
    await this.ctx.storage.setAlarm(Date.now() + HEARTBEAT_MS);
    await pump(
      stream,
      iterator,
      (events) => hub.ingest(forwarding.generation, events),
      "RunStarter",
      (failure) => this.failed(forwarding, failure),
    );
    this.forwarding = false;
    await this.streamEnded(forwarding);
  }

  /** Tells the hub its first segment's stream is over, then forgets it. */
  private async streamEnded(forwarding: Forwarding): Promise<void> {
    const { runId, generation } = forwarding;
    // A fresh stub, since the one used so far may be broken: the hub then polls at once rather than waiting out the silence.
    await hubFor(this.env, runId)
      .streamEnded(generation)
      .catch((error: unknown) => this.failed(forwarding, { what: "starter.hub_unreachable", error }));
    this.ctx.storage.kv.delete(FORWARDING_KEY);
    await this.ctx.storage.deleteAlarm();
  }

  /** A line about the stream this object forwards: its run, and the request that created the run. */
  private failed({ runId, requestId = null }: Forwarding, failure: Failure): void {
    logFailure({ run: runId, requestId, ...failure });
  }
}
