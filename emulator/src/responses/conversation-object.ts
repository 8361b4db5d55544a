// The Durable Object that holds one home: a conversation, or a chain of responses, with their items and event logs in SQLite.
import { DurableObject } from "cloudflare:workers";
import type { Hono } from "hono";
import { toErrorResponse } from "../api-error";
import { ChangeWaiters } from "../change-waiters";
import type { Settings } from "../settings";
import { ConversationService } from "./conversation-service";
import { conversationRoutes } from "./conversation-routes";
import { ResponseService } from "./response-service";
import { ResponseStore } from "./response-store";

export class EmulatorConversation extends DurableObject<EmulatorEnv> {
  private readonly app: Hono;
  /** Streams and requests waiting for a response to change; in memory only, since an open request keeps the object alive. */
  private readonly waiters = new ChangeWaiters();

  constructor(ctx: DurableObjectState, env: EmulatorEnv) {
    super(ctx, env);
    const directory = env.DIRECTORY.get(env.DIRECTORY.idFromName("directory")) as unknown as {
      currentSettings(): Promise<Settings>;
    };
    const store = new ResponseStore(ctx.storage.sql);
    const conversations = new ConversationService(store);
    const responses = new ResponseService(store, conversations, {
      settings: () => directory.currentSettings(),
      changed: (id) => this.waiters.wake(id),
      waitForChange: (id, until) => this.waiters.next(id, until),
    });
    this.app = conversationRoutes({ responses, conversations });
  }

  override async fetch(request: Request): Promise<Response> {
    try {
      return await this.app.fetch(request);
    } catch (error) {
      console.error("EmulatorConversation.fetch", error);
      return toErrorResponse(error);
    }
  }
}
