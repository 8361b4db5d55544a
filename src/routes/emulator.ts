// /emulator/*: the emulator's own API (/emulator/v1/…, /emulator/admin/…), exposed only while the emulator is the upstream.
import { Hono } from "hono";
import type { GatewayEnv } from "../env";
import { selectUpstream } from "../providers/upstream";

export const emulatorRoutes = new Hono<{ Bindings: GatewayEnv }>().all("/emulator/*", (c) => {
  const upstream = selectUpstream(c.env);
  if (upstream.kind !== "emulator") return c.json({ error: { message: "Not found: the emulator is only exposed while it is the upstream." } }, 404);
  const url = new URL(c.req.url);
  url.pathname = url.pathname.replace(/^\/emulator/, "");
  return upstream.emulator.fetch(new Request(url, c.req.raw));
});
