// GET /ws/threads/{thread_id}/runs/{run_id}: a subscriber's WebSocket, routed into the run's hub, which speaks tRPC's protocol.
import { Hono } from "hono";
import { hubFor } from "../durable/hub-client";
import type { GatewayEnv } from "../env";
import { describeIssues, inputIssues } from "../rpc/input-issues";
import { runRef } from "../rpc/schemas/runs";

export const wsRoutes = new Hono<{ Bindings: GatewayEnv }>().get("/ws/threads/:thread_id/runs/:run_id", (c) => {
  const ids = runRef.safeParse(c.req.param());
  if (!ids.success) return c.json({ error: describeIssues(inputIssues(ids.error) ?? []) }, 400);
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") return c.json({ error: "Expected a WebSocket upgrade: subscribe with @trpc/client's wsLink." }, 426);
  const url = new URL("https://hub.runcast.internal/ws");
  url.search = new URLSearchParams(ids.data).toString();
  return hubFor(c.env, ids.data.run_id).fetch(new Request(url, c.req.raw));
});
