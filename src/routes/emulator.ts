// /emulator/*: the emulator's own API (/emulator/v1/…, /emulator/admin/…), exposed only while it is the upstream, in `none` mode.
import { Hono } from "hono";
import { authSetting } from "../auth/auth-config";
import type { GatewayEnv } from "../env";
import { selectUpstream } from "../providers/upstream";

/**
 * The emulator's API reads any thread by id and its admin settings change every run, with no tenants:
 * fine for `none` mode's single developer, but with tenants (jwt, keys) it would walk around their
 * isolation, so then it is not there at all. Tests reach the emulator through its service binding.
 */
export const emulatorRoutes = new Hono<{ Bindings: GatewayEnv }>().all("/emulator/*", (c) => {
  const upstream = selectUpstream(c.env);
  const setting = authSetting(c.env);
  if (upstream.kind !== "emulator" || !("mode" in setting && setting.mode === "none"))
    return c.json(
      {
        error: {
          message: "Not found: the emulator is only exposed while it is the upstream and authentication is `none`.",
        },
      },
      404,
    );
  const url = new URL(c.req.url);
  url.pathname = url.pathname.replace(/^\/emulator/, "");
  return upstream.emulator.fetch(new Request(url, c.req.raw));
});
