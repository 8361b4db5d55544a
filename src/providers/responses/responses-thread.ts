// The Durable Object of one thread for the Responses provider (named by the thread id): the Platform's side only,
// each RPC answering an outcome (thread-service.ts does the work), and an alarm that keeps open rounds followed.
import { DurableObject } from "cloudflare:workers";
import type { GatewayEnv } from "../../env";
import { UpstreamError } from "../../errors/upstream-error";
import { logFailure } from "../../log/failure-log";
import type { CreateThreadAndRunInput, ToolOutput } from "../../schemas/runs";
import { createClient } from "../assistants-provider";
import type { RunParams } from "../provider";
import { selectUpstream } from "../upstream";
import { ASSISTANTS_OBJECT } from "./responses-assistants";
import { ResponsesUpstream } from "./responses-upstream";
import type { PageQuery } from "./pages";
import { RunDriver, roundOpen } from "./run-driver";
import type { RunLimits } from "./run-objects";
import { outcome, unwrap } from "./rpc-outcome";
import type { MessageInput } from "./thread-messages";
import { ThreadService, type ThreadInit } from "./thread-service";
import { ThreadStore } from "./thread-store";

/** An open stream does not keep an object alive; this alarm does while a round is followed, and restarts followers. */
const HEARTBEAT_MS = 10_000;

export class ResponsesThread extends DurableObject<GatewayEnv> {
  private readonly store = new ThreadStore(this.ctx.storage.sql);
  private client: ResponsesUpstream | null = null;
  private readonly driver = new RunDriver({
    store: this.store,
    upstream: () => this.upstream(),
    settings: { pollMinMs: 250, pollMaxMs: 5_000 },
    busy: () => void this.heartbeat(),
    background: (work) => this.ctx.waitUntil(work),
  });
  private readonly service = new ThreadService({
    store: this.store,
    driver: this.driver,
    upstream: () => this.upstream(),
    assistant: async (id) =>
      unwrap(
        await this.env.RESPONSES_ASSISTANTS.get(this.env.RESPONSES_ASSISTANTS.idFromName(ASSISTANTS_OBJECT)).retrieve(
          id,
        ),
      ),
    background: (work) => this.ctx.waitUntil(work),
  });

  /** OpenAI (or a compatible base URL) with a key, else the emulator; Azure's Responses surface is not wired yet. */
  private upstream(): ResponsesUpstream {
    if (this.client) return this.client;
    const upstream = selectUpstream(this.env);
    if (upstream.kind !== "openai" && upstream.kind !== "emulator")
      throw new UpstreamError(`The responses provider cannot use the ${upstream.kind} upstream.`, "network");
    return (this.client = new ResponsesUpstream(createClient(upstream)));
  }

  private async heartbeat(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + HEARTBEAT_MS);
  }

  override async alarm(): Promise<void> {
    try {
      const open = this.store.runs().filter((state) => roundOpen(state));
      for (const state of open) this.driver.ensureFollowed(state.run.id);
      if (open.length) await this.ctx.storage.setAlarm(Date.now() + HEARTBEAT_MS);
    } catch (error) {
      logFailure({ what: "responses.alarm_failed", error });
    }
  }

  createThread(threadId: string, init: ThreadInit) {
    return outcome(() => this.service.createThread(threadId, init));
  }
  retrieveThread(threadId: string) {
    return outcome(() => this.service.record(threadId).thread);
  }
  updateThread(threadId: string, metadata: Record<string, string> | null) {
    return outcome(() => this.service.updateThread(threadId, metadata));
  }
  deleteThread(threadId: string) {
    return outcome(() => this.service.deleteThread(threadId));
  }
  createMessage(threadId: string, input: MessageInput) {
    return outcome(() => this.service.createMessage(threadId, input));
  }
  retrieveMessage(threadId: string, messageId: string) {
    return outcome(() => this.service.message(threadId, messageId));
  }
  listMessages(threadId: string, query: PageQuery & { run_id?: string }) {
    return outcome(() => this.service.listMessages(threadId, query));
  }
  startRun(threadId: string, params: RunParams, limits: RunLimits) {
    return outcome(() => this.service.startRun(threadId, params, limits));
  }
  startThreadAndRun(threadId: string, input: CreateThreadAndRunInput, limits: RunLimits) {
    return outcome(() => this.service.startThreadAndRun(threadId, input, limits));
  }
  retrieveRun(threadId: string, runId: string) {
    return outcome(() => this.service.retrieveRun(threadId, runId));
  }
  listRuns(threadId: string, query: PageQuery) {
    return outcome(() => this.service.listRuns(threadId, query));
  }
  updateRun(threadId: string, runId: string, metadata: Record<string, string> | null) {
    return outcome(() => this.service.updateRun(threadId, runId, metadata));
  }
  submitToolOutputs(threadId: string, runId: string, outputs: ToolOutput[]) {
    return outcome(() => this.service.submitToolOutputs(threadId, runId, outputs));
  }
  cancelRun(threadId: string, runId: string) {
    return outcome(() => this.service.cancelRun(threadId, runId));
  }
  listSteps(threadId: string, runId: string, query: PageQuery) {
    return outcome(() => this.service.listSteps(threadId, runId, query));
  }
  retrieveStep(threadId: string, runId: string, stepId: string) {
    return outcome(() => this.service.step(threadId, runId, stepId));
  }
}
