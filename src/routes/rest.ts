// /v1: the upstream's own REST paths and bodies, served by the same procedures, so code written for the `openai` SDK works unchanged.
import { Hono, type Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { GatewayEnv } from "../env";
import { createContext } from "../rpc/context";
import { createCallerFactory } from "../rpc/init";
import { appRouter } from "../rpc/routers/app-router";
import { restError, toRestError } from "./rest-errors";

type Env = { Bindings: GatewayEnv };
const createCaller = createCallerFactory(appRouter);

/**
 * Runs one procedure for a REST request and answers with its result, or the error in the upstream's
 * shape. Inputs are passed as received (`as never`): the procedure's own schema validates them.
 */
async function answer(c: Context<Env>, call: (caller: ReturnType<typeof createCaller>) => Promise<unknown>): Promise<Response> {
  const resHeaders = new Headers();
  try {
    const result = await call(createCaller(createContext({ env: c.env, resHeaders })));
    return Response.json(result, { headers: resHeaders });
  } catch (error) {
    return toRestError(error);
  }
}

/** A JSON object body; anything else is the upstream's "could not parse" 400. */
async function jsonBody(c: Context<Env>): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HTTPException(400, { res: restError("We could not parse the JSON body of your request. The API expects a JSON payload.", 400) });
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new HTTPException(400, { res: restError("The request body must be a JSON object.", 400) });
  return parsed as Record<string, unknown>;
}

/** Streaming (`stream: true`) goes through the run hub; until it is wired in, it is refused clearly. */
function refuseStream(body: Record<string, unknown>): Record<string, unknown> {
  const { stream, ...rest } = body;
  if (stream === true)
    throw new HTTPException(400, { res: restError("Streaming through the REST surface is not available yet; call without `stream`.", 400, { param: "stream", code: "unsupported_value" }) });
  return rest;
}

/** List queries arrive as strings; numbers are converted so validation speaks of values, not types. */
function listQuery(c: Context<Env>, extra: string[] = []) {
  const query: Record<string, unknown> = {};
  for (const key of ["limit", "order", "after", "before", ...extra]) {
    const value = c.req.query(key);
    if (value === undefined) continue;
    query[key] = key === "limit" && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  const include = c.req.queries("include[]");
  if (include) query.include = include;
  return query;
}

export const restRoutes = new Hono<Env>().basePath("/v1");
const threads = "/threads/:thread_id";
const run = `${threads}/runs/:run_id`;

restRoutes.post("/threads/runs", async (c) => {
  const body = refuseStream(await jsonBody(c));
  return answer(c, (api) => api.runs.createThreadAndRun(body as never));
});
restRoutes.post(`${threads}/runs`, async (c) => {
  const body = refuseStream(await jsonBody(c));
  return answer(c, (api) => api.runs.create({ ...body, thread_id: c.req.param("thread_id") } as never));
});
restRoutes.get(`${threads}/runs`, (c) => answer(c, (api) => api.runs.list({ ...listQuery(c), thread_id: c.req.param("thread_id") } as never)));
restRoutes.get(run, (c) => answer(c, (api) => api.runs.retrieve(c.req.param())));
restRoutes.post(run, async (c) => {
  const body = await jsonBody(c);
  return answer(c, (api) => api.runs.update({ metadata: null, ...body, ...c.req.param() } as never));
});
restRoutes.post(`${run}/cancel`, (c) => answer(c, (api) => api.runs.cancel(c.req.param())));
restRoutes.post(`${run}/submit_tool_outputs`, async (c) => {
  const body = refuseStream(await jsonBody(c));
  return answer(c, (api) => api.runs.submitToolOutputs({ ...body, ...c.req.param() } as never));
});
restRoutes.get(`${run}/steps`, (c) => answer(c, (api) => api.runs.steps.list({ ...listQuery(c), ...c.req.param() } as never)));
restRoutes.get(`${run}/steps/:step_id`, (c) => {
  const include = c.req.queries("include[]");
  return answer(c, (api) => api.runs.steps.retrieve({ ...(include ? { include } : {}), ...c.req.param() } as never));
});
restRoutes.get(`${threads}/messages`, (c) => answer(c, (api) => api.threads.messages.list({ ...listQuery(c, ["run_id"]), thread_id: c.req.param("thread_id") } as never)));

restRoutes.onError((error) => (error instanceof HTTPException ? error.getResponse() : toRestError(error)));
// Last, so it only answers what no route above matched; a sub-app's notFound is not used once mounted.
restRoutes.all("*", (c) => restError(`Invalid URL (${c.req.method} ${new URL(c.req.url).pathname})`, 404));
