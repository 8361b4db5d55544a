// What every /v1 route shares: a procedure called for a REST request, its JSON body and list query read as the upstream reads them.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { bearerToken } from "../auth/authenticate";
import { createContext } from "../rpc/context";
import { createCallerFactory } from "../rpc/init";
import { appRouter } from "../rpc/routers/app-router";
import type { RouteEnv } from "./request-id";
import { restError, toRestError } from "./rest-errors";

const createCaller = createCallerFactory(appRouter);
export type RestCaller = ReturnType<typeof createCaller>;

/** The SDK's `apiKey` arrives as `Authorization: Bearer …`: it is the caller's Runcast credential. */
export const callerFor = (c: Context<RouteEnv>, resHeaders = new Headers()) =>
  createCaller(
    createContext({
      env: c.env,
      resHeaders,
      token: bearerToken(c.req.header("authorization")),
      requestId: c.var.requestId,
    }),
  );

/**
 * Runs one procedure for a REST request and answers with its result, or the error in the upstream's
 * shape. Inputs are passed as received (`as never`): the procedure's own schema validates them.
 */
export async function answer(c: Context<RouteEnv>, call: (caller: RestCaller) => Promise<unknown>): Promise<Response> {
  const resHeaders = new Headers();
  try {
    const result = await call(callerFor(c, resHeaders));
    return Response.json(result, { headers: resHeaders });
  } catch (error) {
    return toRestError(error, c.var.requestId);
  }
}

/** A JSON object body; anything else is the upstream's "could not parse" 400. */
export async function jsonBody(c: Context<RouteEnv>): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HTTPException(400, {
      res: restError(
        "We could not parse the JSON body of your request. The API expects a JSON payload.",
        400,
        c.var.requestId,
      ),
    });
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
    throw new HTTPException(400, { res: restError("The request body must be a JSON object.", 400, c.var.requestId) });
  return parsed as Record<string, unknown>;
}

/** List queries arrive as strings; numbers are converted so validation speaks of values, not types. */
export function listQuery(c: Context<RouteEnv>, extra: string[] = []) {
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
