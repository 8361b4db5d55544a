// GET /ws/threads/{thread_id}/runs/{run_id}: a subscriber's WebSocket, routed into the run's hub, which speaks tRPC's protocol.
import { Hono } from "hono";
import { authorizeThread } from "../auth/access";
import { bearerToken } from "../auth/authenticate";
import { authSetting } from "../auth/auth-config";
import { TRPCError } from "@trpc/server";
import { socketPrincipal, type SocketPrincipal } from "../durable/connections";
import { hubFor } from "../durable/hub-client";
import { hubRefusal, socketRequest } from "../durable/hub-contract";
import { describeIssues, inputIssues } from "../errors/input-issues";
import { runRef } from "../schemas/runs";
import type { RouteEnv } from "./request-id";
import { toRestError } from "./rest-errors";

/**
 * A browser cannot put headers on a WebSocket, so credentials come either on the upgrade (`Authorization`,
 * checked here before the hub sees the socket) or as wsLink's connection params (checked by the hub,
 * which closes a socket that sends none within a few seconds). The hub hears the upgrade's request id, which its log
 * lines about the socket carry.
 */
export const wsRoutes = new Hono<RouteEnv>().get("/ws/threads/:thread_id/runs/:run_id", async (c) => {
  const ids = runRef.safeParse(c.req.param());
  if (!ids.success) return c.json({ error: describeIssues(inputIssues(ids.error) ?? []) }, 400);
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
    return c.json({ error: "Expected a WebSocket upgrade: subscribe with @trpc/client's wsLink." }, 426);
  const authorization = c.req.header("authorization");
  const token = bearerToken(authorization);
  if (authorization && !token)
    return toRestError(
      new TRPCError({ code: "UNAUTHORIZED", message: "The Authorization header must be `Bearer <token>`." }),
      c.var.requestId,
    );
  // With a token, or where no token is needed (`none`) or none would help (a refusal), the Worker decides now.
  let principal: SocketPrincipal | null = null;
  if (token || !("modes" in authSetting(c.env))) {
    try {
      principal = socketPrincipal(await authorizeThread(c.env, token, ids.data.thread_id));
    } catch (error) {
      return toRestError(error, c.var.requestId);
    }
  }
  // `?frames=batch`: the subscriber reads frames of several messages (@runcast/client does; a plain wsLink does not).
  const batched = c.req.query("frames") === "batch";
  const response = await hubFor(c.env, ids.data.run_id).fetch(
    socketRequest(ids.data, c.req.raw.headers, { principal, batched, requestId: c.var.requestId }),
  );
  // A refused upgrade answers in the same error shape as every other refusal.
  return response.status === 101 ? response : toRestError(await hubRefusal(response), c.var.requestId);
});
