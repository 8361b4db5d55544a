// The Durable Object that holds what is global to the emulator: assistants, the settings and faults set through the admin
// endpoint, and the counts of what the emulator served.
import { DurableObject } from "cloudflare:workers";
import { Hono } from "hono";
import { ApiError, notFound, toErrorResponse } from "./api-error";
import { DEFAULT_ENTRA_SETTINGS, patchEntraSettings, type EntraSettings } from "./foundry/entra-settings";
import { validateFoundryBody } from "./foundry/request-rules";
import { FOUNDRY_PREFIX } from "./foundry/paths";
import { newId } from "./ids";
import { seconds, type Assistant } from "./objects";
import { ObjectStore } from "./object-store";
import { parsePageParams } from "./pagination";
import { readJson, validateBody, validateMetadata, validateTools, type BodyValidator } from "./request-validation";
import type { ServedRequest } from "./served-request";
import { ServedStats } from "./served-stats";
import { patchSettings, settingsFromEnv, type HttpErrorFault, type Settings } from "./settings";

const SETTINGS_KEY = "settings";
const ENTRA_SETTINGS_KEY = "entra_settings";
export const DEMO_ASSISTANT_ID = "asst_RuncastDemo";

/** The faults the Worker applies to one incoming request. */
export interface RequestFaults {
  http_error: Pick<HttpErrorFault, "status" | "retry_after"> | null;
  first_byte_ms: number;
}

export class EmulatorDirectory extends DurableObject<EmulatorEnv> {
  private readonly store: ObjectStore;
  private readonly stats: ServedStats;
  private readonly app: Hono;

  constructor(ctx: DurableObjectState, env: EmulatorEnv) {
    super(ctx, env);
    this.store = new ObjectStore(ctx.storage.sql);
    this.store.create();
    this.stats = new ServedStats(ctx.storage.sql);
    this.stats.create();
    if (env.EMULATOR_SEED_DEMO === "true") this.seedDemo();
    this.app = this.routes();
  }

  /** `npm start` greets a newcomer with one assistant that has a function tool, so the demo works at once. */
  private seedDemo(): void {
    if (this.store.get<Assistant>("assistant", DEMO_ASSISTANT_ID)) return;
    const demo: Assistant = {
      id: DEMO_ASSISTANT_ID,
      object: "assistant",
      created_at: seconds(Date.now()),
      name: "Runcast demo",
      description: "Answers by echoing you; ask it to get_weather for a city to see a tool call.",
      model: "gpt-4o",
      instructions: "Answer briefly. Use get_weather when asked about the weather.",
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Current weather for a city",
            parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
          },
        },
      ],
      tool_resources: {},
      metadata: {},
      temperature: 1,
      top_p: 1,
      response_format: "auto",
    };
    this.store.insert("assistant", demo);
  }

  override async fetch(request: Request): Promise<Response> {
    try {
      return await this.app.fetch(request);
    } catch (error) {
      console.error("EmulatorDirectory.fetch", error);
      return toErrorResponse(error);
    }
  }

  /** RPC from a thread starting a run: the assistant (or null) and the settings the run's knobs start from. */
  async runContext(assistantId: string): Promise<{ assistant: Assistant | null; settings: Settings }> {
    return { assistant: this.store.get<Assistant>("assistant", assistantId) ?? null, settings: await this.settings() };
  }

  /** RPC from a conversation's home creating a response: the settings its knobs start from. */
  async currentSettings(): Promise<Settings> {
    return this.settings();
  }

  /** RPC from the Worker for each request: takes one injected HTTP error if any are left, and the first-byte delay. */
  async requestFaults(): Promise<RequestFaults> {
    const settings = await this.settings();
    const fault = settings.http_errors;
    if (fault) {
      const left = fault.count - 1;
      await this.ctx.storage.put(SETTINGS_KEY, {
        ...settings,
        http_errors: left > 0 ? { ...fault, count: left } : null,
      });
    }
    return {
      http_error: fault ? { status: fault.status, retry_after: fault.retry_after } : null,
      first_byte_ms: settings.first_byte_ms,
    };
  }

  /** RPC from the Worker once it has answered a request: counts it (GET /admin/stats reads the counts). */
  recordServed(served: ServedRequest): void {
    this.stats.record(served);
  }

  /** RPC from the emulated Entra token endpoint: how long the tokens it issues live. */
  async entraSettings(): Promise<EntraSettings> {
    return (await this.ctx.storage.get<EntraSettings>(ENTRA_SETTINGS_KEY)) ?? DEFAULT_ENTRA_SETTINGS;
  }

  private async settings(): Promise<Settings> {
    return (
      (await this.ctx.storage.get<Settings>(SETTINGS_KEY)) ??
      settingsFromEnv(this.env as unknown as Record<string, string>)
    );
  }

  private routes(): Hono {
    const app = new Hono();
    // The same assistants answer the Assistants API (`/v1`) and Foundry's agents (`/foundry`), each validated its own way.
    this.assistantRoutes(app, "/v1", validateBody);
    this.assistantRoutes(app, FOUNDRY_PREFIX, validateFoundryBody);

    app.get("/admin/settings", async (c) => c.json(await this.settings()));
    app.on(["PATCH", "POST"], "/admin/settings", async (c) => {
      const settings = patchSettings(await this.settings(), await readJson(c.req.raw));
      await this.ctx.storage.put(SETTINGS_KEY, settings);
      return c.json(settings);
    });
    app.delete("/admin/settings", async (c) => {
      await this.ctx.storage.delete(SETTINGS_KEY);
      return c.json(await this.settings());
    });
    app.get("/admin/stats", (c) => c.json(this.stats.read()));
    app.delete("/admin/stats", (c) => {
      this.stats.reset();
      return c.json(this.stats.read());
    });
    app.get("/admin/entra", async (c) => c.json(await this.entraSettings()));
    app.on(["PATCH", "POST"], "/admin/entra", async (c) => {
      const settings = patchEntraSettings(await this.entraSettings(), await readJson(c.req.raw));
      await this.ctx.storage.put(ENTRA_SETTINGS_KEY, settings);
      return c.json(settings);
    });
    app.delete("/admin/entra", async (c) => {
      await this.ctx.storage.delete(ENTRA_SETTINGS_KEY);
      return c.json(await this.entraSettings());
    });
    // A path or method no route takes answers as the Worker's unknown routes do, in the upstream's error shape.
    app.notFound((c) => new ApiError(404, `Invalid URL (${c.req.method} ${new URL(c.req.url).pathname})`).toResponse());
    app.onError((error) => toErrorResponse(error));
    return app;
  }

  private assistantRoutes(app: Hono, prefix: string, validate: BodyValidator): void {
    app.post(`${prefix}/assistants`, async (c) => {
      const body = await readJson(c.req.raw);
      validate("CreateAssistantRequest", body);
      validateMetadata((body as { metadata?: unknown }).metadata);
      validateTools(body as { tools?: unknown }, 128);
      const input = body as Partial<Assistant> & { model: string };
      const assistant: Assistant = {
        id: newId("asst"),
        object: "assistant",
        created_at: seconds(Date.now()),
        name: input.name ?? null,
        description: input.description ?? null,
        model: input.model,
        instructions: input.instructions ?? null,
        tools: input.tools ?? [],
        tool_resources: input.tool_resources ?? {},
        metadata: input.metadata ?? {},
        temperature: input.temperature ?? 1,
        top_p: input.top_p ?? 1,
        response_format: input.response_format ?? "auto",
      };
      this.store.insert("assistant", assistant);
      return c.json(assistant);
    });
    app.get(`${prefix}/assistants`, (c) =>
      c.json(this.store.page<Assistant>("assistant", parsePageParams(new URL(c.req.url).searchParams))),
    );
    app.get(`${prefix}/assistants/:id`, (c) => c.json(this.assistant(c.req.param("id"))));
    app.post(`${prefix}/assistants/:id`, async (c) => {
      const assistant = this.assistant(c.req.param("id"));
      const body = await readJson(c.req.raw);
      validate("ModifyAssistantRequest", body);
      validateMetadata((body as { metadata?: unknown }).metadata);
      validateTools(body as { tools?: unknown }, 128);
      const { reasoning_effort: _, ...changes } = body as Partial<Assistant> & { reasoning_effort?: unknown };
      const updated = { ...assistant, ...changes, id: assistant.id } as Assistant;
      this.store.update(updated);
      return c.json(updated);
    });
    app.delete(`${prefix}/assistants/:id`, (c) => {
      const { id } = this.assistant(c.req.param("id"));
      this.store.delete(id);
      return c.json({ id, object: "assistant.deleted", deleted: true });
    });
  }

  private assistant(id: string): Assistant {
    const assistant = this.store.get<Assistant>("assistant", id);
    if (!assistant) throw notFound("assistant", id);
    return assistant;
  }
}
