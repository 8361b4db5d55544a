// /v1: the upstream's own REST paths and bodies, served by the same procedures, so code written for the `openai` SDK works unchanged.
import { Hono, type Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { TRPCError } from "@trpc/server";
import { authorizeThread } from "../auth/access";
import { authenticate, bearerToken } from "../auth/authenticate";
import { submitToolOutputs } from "../durable/hub-client";
import type { Run } from "../providers/provider";
import { runRef, submitToolOutputsInput, toolAnswers } from "../schemas/runs";
import { assistantRoutes } from "./rest-assistants";
import { answer, callerFor, jsonBody, listQuery, type RestCaller } from "./rest-call";
import { restError, toRestError } from "./rest-errors";
import { threadRoutes } from "./rest-threads";
import type { RouteEnv } from "./request-id";
import { sseFromHub } from "./sse";

type Env = RouteEnv;

/** For the streaming routes that talk to the hub directly: the same checks a procedure makes first. */
const authorize = (c: Context<Env>, threadId: string) =>
  authorizeThread(c.env, bearerToken(c.req.header("authorization")), threadId);

/** What a streaming route passes into the hub with its request: the caller's going away, and the request id. */
const following = (c: Context<Env>) => ({ signal: c.req.raw.signal, requestId: c.var.requestId });

/** Splits off `stream`, which the REST surface serves from the run's hub rather than passing upstream. */
function streamFlag(
  c: Context<Env>,
  body: Record<string, unknown>,
): { stream: boolean; body: Record<string, unknown> } {
  const { stream, ...rest } = body;
  if (stream !== undefined && stream !== null && typeof stream !== "boolean")
    throw new HTTPException(400, {
      res: restError("Invalid type for 'stream': expected a boolean.", 400, c.var.requestId, {
        param: "stream",
        code: "invalid_type",
      }),
    });
  return { stream: stream === true, body: rest };
}

/** Creates a run; with `stream: true` the answer is the run's first segment, from the hub, in the upstream's SSE format. */
async function create(
  c: Context<Env>,
  raw: Record<string, unknown>,
  call: (caller: RestCaller, body: Record<string, unknown>) => Promise<Run>,
) {
  const { stream, body } = streamFlag(c, raw);
  if (!stream) return answer(c, (api) => call(api, body));
  let run: Run;
  try {
    run = await call(callerFor(c), body);
    // The procedure authenticated the caller; the stream counts toward the same tenant's subscribers.
    const { tenant } = await authenticate(c.env, bearerToken(c.req.header("authorization")));
    const query = { thread_id: run.thread_id, run_id: run.id, after: 0, until: "segment", tenant } as const;
    return sseFromHub(c.env, query, following(c));
  } catch (error) {
    return toRestError(error, c.var.requestId);
  }
}

export const restRoutes = new Hono<Env>().basePath("/v1");
const threads = "/threads/:thread_id";
const run = `${threads}/runs/:run_id`;

restRoutes.post("/threads/runs", async (c) =>
  create(c, await jsonBody(c), (api, body) => api.runs.createThreadAndRun(body as never)),
);
restRoutes.post(`${threads}/runs`, async (c) =>
  create(c, await jsonBody(c), (api, body) =>
    api.runs.create({ ...body, thread_id: c.req.param("thread_id") } as never),
  ),
);
restRoutes.get(`${threads}/runs`, (c) =>
  answer(c, (api) => api.runs.list({ ...listQuery(c), thread_id: c.req.param("thread_id") } as never)),
);
restRoutes.get(run, (c) => answer(c, (api) => api.runs.retrieve(c.req.param())));
restRoutes.post(run, async (c) => {
  const body = await jsonBody(c);
  return answer(c, (api) => api.runs.update({ metadata: null, ...body, ...c.req.param() } as never));
});
restRoutes.post(`${run}/cancel`, (c) => answer(c, (api) => api.runs.cancel(c.req.param())));
restRoutes.post(`${run}/submit_tool_outputs`, async (c) => {
  const { stream, body } = streamFlag(c, await jsonBody(c));
  if (!stream) return answer(c, (api) => api.runs.submitToolOutputs({ ...body, ...c.req.param() } as never));
  // The continuation streams from the log position the submission left, until its segment ends.
  const input = submitToolOutputsInput.safeParse({ ...body, ...c.req.param() });
  try {
    // Input first, as a procedure does: a malformed id is a 400 describing the field, never a lookup that echoes it.
    if (!input.success) throw new TRPCError({ code: "BAD_REQUEST", cause: input.error });
    const { tenant } = await authorize(c, input.data.thread_id);
    const { thread_id, run_id } = input.data;
    const { fromSeq } = await submitToolOutputs(
      { env: c.env, requestId: c.var.requestId },
      thread_id,
      run_id,
      toolAnswers(input.data),
    );
    return sseFromHub(c.env, { thread_id, run_id, after: fromSeq, until: "segment", tenant }, following(c));
  } catch (error) {
    return toRestError(error, c.var.requestId);
  }
});
/** Runcast's own: every event of the run so far and to come, resuming after `Last-Event-ID` (or `?after=`). */
restRoutes.get(`${run}/events`, async (c) => {
  try {
    // Inputs first, as above: ids and the resume position are checked before anything is looked up by them.
    const ids = runRef.safeParse(c.req.param());
    if (!ids.success) throw new TRPCError({ code: "BAD_REQUEST", cause: ids.error });
    const lastEventId = c.req.header("last-event-id") ?? c.req.query("after") ?? "0";
    if (!/^\d{1,15}$/.test(lastEventId))
      return restError("Invalid 'Last-Event-ID': expected an event id from this stream.", 400, c.var.requestId, {
        param: "Last-Event-ID",
        code: "invalid_value",
      });
    const { tenant } = await authorize(c, ids.data.thread_id);
    const query = { ...ids.data, after: Number(lastEventId), until: "terminal", tenant } as const;
    return await sseFromHub(c.env, query, following(c));
  } catch (error) {
    return toRestError(error, c.var.requestId);
  }
});
restRoutes.get(`${run}/steps`, (c) =>
  answer(c, (api) => api.runs.steps.list({ ...listQuery(c), ...c.req.param() } as never)),
);
restRoutes.get(`${run}/steps/:step_id`, (c) => {
  const include = c.req.queries("include[]");
  return answer(c, (api) => api.runs.steps.retrieve({ ...(include ? { include } : {}), ...c.req.param() } as never));
});
// After the run routes: `POST /threads/runs` is createThreadAndRun, not an update of a thread named "runs".
restRoutes.route("/", assistantRoutes);
restRoutes.route("/", threadRoutes);

restRoutes.onError((error, c) =>
  error instanceof HTTPException ? error.getResponse() : toRestError(error, c.var.requestId),
);
// Last, so it only answers what no route above matched; a sub-app's notFound is not used once mounted.
restRoutes.all("*", (c) =>
  restError(`Invalid URL (${c.req.method} ${new URL(c.req.url).pathname})`, 404, c.var.requestId),
);
