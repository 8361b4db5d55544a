// The Durable Object that holds one emulated thread: its messages, runs, steps and event logs, in SQLite.
import { DurableObject } from "cloudflare:workers";
import { toErrorResponse } from "./api-error";
import type { Hono } from "hono";
import { foundryHostedTools } from "./foundry/foundry-hosted-tools";
import { FOUNDRY_PREFIX } from "./foundry/paths";
import { foundryThreadRoutes } from "./foundry/thread-routes";
import { ChangeWaiters } from "./change-waiters";
import { ObjectStore } from "./object-store";
import { ThreadService, type Directory } from "./thread-service";
import { threadRoutes } from "./thread-routes";

export class EmulatorThread extends DurableObject<EmulatorEnv> {
  private readonly app: Hono;
  /** The same thread and runs, reached through Foundry's paths: its validation, tool types and approvals. */
  private readonly foundry: Hono;
  /** Streams waiting for a run to change; in memory only, since an open stream keeps the object alive. */
  private readonly waiters = new ChangeWaiters();

  constructor(ctx: DurableObjectState, env: EmulatorEnv) {
    super(ctx, env);
    const directory = env.DIRECTORY.get(env.DIRECTORY.idFromName("directory")) as unknown as Directory;
    const host = {
      changed: (runId: string) => this.waiters.wake(runId),
      waitForChange: (runId: string, until: number | null) => this.waiters.next(runId, until),
      wipe: () => ctx.storage.deleteAll(),
    };
    // Hosted tools only ever appear in runs made through Foundry's paths: the Assistants schemas refuse their types.
    const service = new ThreadService(new ObjectStore(ctx.storage.sql), directory, host, foundryHostedTools);
    this.app = threadRoutes(service);
    this.foundry = foundryThreadRoutes(service);
  }

  override async fetch(request: Request): Promise<Response> {
    try {
      const foundry = new URL(request.url).pathname.startsWith(`${FOUNDRY_PREFIX}/`);
      return await (foundry ? this.foundry : this.app).fetch(request);
    } catch (error) {
      console.error("EmulatorThread.fetch", error);
      return toErrorResponse(error);
    }
  }
}
