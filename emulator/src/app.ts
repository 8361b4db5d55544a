// The emulator Worker's HTTP surface: upstream headers, auth and beta checks, global faults, then routing to its Durable Objects.
import { Hono, type Context, type MiddlewareHandler, type Next } from "hono";
import { ApiError, badRequest, toErrorResponse } from "./api-error";
import type { RequestFaults } from "./directory-object";
import { isIdOf, newId } from "./ids";
import { responsesApi } from "./responses/responses-api";
import { injectedHttpError } from "./thread-service";
import { THREAD_ID_HEADER } from "./thread-routes";

type Env = { Bindings: EmulatorEnv };

const directory = (env: EmulatorEnv) => env.DIRECTORY.get(env.DIRECTORY.idFromName("directory"));

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
    const faults = (await directory(c.env).requestFaults()) as RequestFaults;
    if (faults.first_byte_ms > 0) await new Promise((resolve) => setTimeout(resolve, faults.first_byte_ms));
    if (faults.http_error) throw injectedHttpError(faults.http_error.status, faults.http_error.retry_after);
    await next();
  };
}

const threadStub = (env: EmulatorEnv, threadId: string) => env.THREADS.get(env.THREADS.idFromName(threadId));

/** A new thread's id names its Durable Object; the Worker picks it and hands it over in a header. */
function toNewThread(c: Context<Env>) {
  const threadId = newId("thread");
  const headers = new Headers(c.req.raw.headers);
  headers.set(THREAD_ID_HEADER, threadId);
  return threadStub(c.env, threadId).fetch(new Request(c.req.raw, { headers }));
}

function toThread(c: Context<Env>) {
  const threadId = c.req.param("thread_id") ?? "";
  if (!isIdOf("thread", threadId)) throw new ApiError(404, `No thread found with id '${threadId}'.`);
  return threadStub(c.env, threadId).fetch(c.req.raw);
}

const toDirectory = (c: Context<Env>) => directory(c.env).fetch(c.req.raw);

/** The upstream's API under `/v1`, mounted again under `/openai` with `api-version` for the Azure flavour. */
function upstreamApi(): Hono<Env> {
  const api = new Hono<Env>();
  api.use("*", upstreamChecks({ assistantsBeta: true }));
  api.all("/assistants", toDirectory);
  api.all("/assistants/*", toDirectory);
  api.post("/threads", toNewThread);
  api.post("/threads/runs", toNewThread);
  api.all("/threads/:thread_id", toThread);
  api.all("/threads/:thread_id/*", toThread);
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
  app.all("/admin/*", toDirectory);
  app.get("/", (c) => c.json({ name: "runcast-emulator", api: "/v1", admin: "/admin/settings" }));
  app.notFound((c) => new ApiError(404, `Invalid URL (${c.req.method} ${new URL(c.req.url).pathname})`).toResponse());
  app.onError((error) => toErrorResponse(error));
  return app;
}
