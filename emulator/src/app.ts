// The emulator Worker's HTTP surface: upstream headers, auth and beta checks, global faults, then routing to its Durable Objects;
// the Responses and Conversations APIs mount from responses/, Foundry's project paths and Entra token endpoint from foundry/.
import { Hono, type Context, type MiddlewareHandler, type Next } from "hono";
import { ApiError, badRequest, toErrorResponse } from "./api-error";
import { directory, requestFaults, toNewThread, toThread } from "./durable-routing";
import { entraTokenRoute } from "./foundry/entra-token-route";
import { foundryProjectApi } from "./foundry/project-api";
import { newId } from "./ids";
import { responsesApi } from "./responses/responses-api";

type Env = { Bindings: EmulatorEnv };

/** Every upstream answer carries a request id and the API version; errors included. */
async function upstreamHeaders(c: Context<Env>, next: Next) {
  const started = Date.now();
  await next();
  c.res = new Response(c.res.body, c.res);
  c.res.headers.set("x-request-id", newId("req", 32));
  c.res.headers.set("openai-version", "2020-10-01");
  c.res.headers.set("openai-processing-ms", String(Date.now() - started));
}

/**
 * The upstream wants a key (any key here, unless EMULATOR_API_KEY names one) and, for the Assistants API only, its beta
 * header; then the global faults apply.
 */
function upstreamChecks({ assistantsBeta }: { assistantsBeta: boolean }): MiddlewareHandler<Env> {
  return async function upstreamChecks(c, next) {
    const key = c.req.header("authorization")?.replace(/^Bearer\s+/i, "") || c.req.header("api-key");
    if (!key)
      throw new ApiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      );
    if (c.env.EMULATOR_API_KEY && key !== c.env.EMULATOR_API_KEY)
      throw new ApiError(401, "Incorrect API key provided.", { code: "invalid_api_key" });
    if (assistantsBeta && !/assistants=v2/.test(c.req.header("openai-beta") ?? ""))
      throw badRequest(
        "You must provide the 'OpenAI-Beta' header to access the Assistants API. Please try again by setting the header 'OpenAI-Beta: assistants=v2'.",
        null,
        "invalid_beta",
      );
    await requestFaults(c, next);
  };
}

const newThread = (c: Context<Env>) => toNewThread(c.env, c.req.raw);
const thread = (c: Context<Env>) => toThread(c.env, c.req.param("thread_id") ?? "", c.req.raw);
const toDirectory = (c: Context<Env>) => directory(c.env).fetch(c.req.raw);

/** The upstream's API under `/v1`, mounted again under `/openai` with `api-version` for the Azure flavour. */
function upstreamApi(): Hono<Env> {
  const api = new Hono<Env>();
  api.use("*", upstreamChecks({ assistantsBeta: true }));
  api.all("/assistants", toDirectory);
  api.all("/assistants/*", toDirectory);
  api.post("/threads", newThread);
  api.post("/threads/runs", newThread);
  api.all("/threads/:thread_id", thread);
  api.all("/threads/:thread_id/*", thread);
  return api;
}

export function emulatorApp(): Hono<Env> {
  const app = new Hono<Env>();
  app.use("*", upstreamHeaders);
  app.route("/v1", responsesApi({ checks: upstreamChecks({ assistantsBeta: false }) }));
  app.route("/v1", upstreamApi());
  app.use("/openai/*", async (c, next) => {
    if (!c.req.query("api-version")) throw new ApiError(404, "Resource not found", { code: "404" });
    await next();
  });
  app.all("/openai/*", (c) => {
    // Azure paths are the upstream's without the `/v1`; the Durable Objects only know `/v1`.
    const url = new URL(c.req.url);
    url.pathname = url.pathname.replace(/^\/openai(\/v1)?/, "/v1");
    return app.fetch(new Request(url, c.req.raw), c.env, c.executionCtx);
  });
  // Azure AI Foundry Agent Service (classic agents) and the Microsoft Entra token endpoint its callers sign in with.
  app.route("/api/projects/:project", foundryProjectApi());
  app.post("/:tenant/oauth2/v2.0/token", entraTokenRoute);
  app.get("/admin/threads/:thread_id/*", thread);
  app.all("/admin/*", toDirectory);
  app.get("/", (c) => c.json({ name: "runcast-emulator", api: "/v1", admin: "/admin/settings" }));
  app.notFound((c) => new ApiError(404, `Invalid URL (${c.req.method} ${new URL(c.req.url).pathname})`).toResponse());
  app.onError((error) => toErrorResponse(error));
  return app;
}
