// The request id every answer carries (`x-request-id`): the caller's own when it is well-formed, else a fresh one.
import type { MiddlewareHandler } from "hono";
import { except } from "hono/combine";
import { requestId, type RequestIdVariables } from "hono/request-id";
import type { GatewayEnv } from "../env";

/** What every route of the gateway sees: its bindings, and the request id (`c.var.requestId`). */
export type RouteEnv = { Bindings: GatewayEnv; Variables: RequestIdVariables };

export const REQUEST_ID_HEADER = "x-request-id";

/**
 * A caller's id is kept when it is 1–255 characters of `[\w\-.:=+/]` (UUIDs, ULIDs, base64, `trace:span` pairs);
 * anything else (too long, spaces, control characters) is replaced by a fresh UUID rather than refused.
 */
const WELL_FORMED = /^[\w\-.:=+/]{1,255}$/;

/**
 * hono's middleware keeps only `[\w\-=]` itself and asks the generator for anything else, so the generator
 * keeps the rest of what is well-formed here.
 */
const chooseId = requestId({
  headerName: REQUEST_ID_HEADER,
  limitLength: 255,
  generator: (c) => {
    const own = c.req.header(REQUEST_ID_HEADER);
    return own !== undefined && WELL_FORMED.test(own) ? own : crypto.randomUUID();
  },
});

/**
 * Sets the id, and puts it on the answer once the route has answered: hono's own header reaches only answers built
 * with `c.json`/`c.body`, not a Response a route returns itself (tRPC's adapter, REST errors, a hub's upgrade).
 * Not on /emulator: its answers are the emulator's, standing in for the upstream's, with the upstream's own request ids.
 */
export const requestIds: MiddlewareHandler<RouteEnv> = except("/emulator/*", async function requestIds(c, next) {
  await chooseId(c, next);
  c.header(REQUEST_ID_HEADER, c.var.requestId);
});
