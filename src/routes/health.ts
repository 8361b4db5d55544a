// GET /health: is the gateway up, and which upstream it talks to (never a secret).
import { Hono } from "hono";
import type { GatewayEnv } from "../env";
import { describeUpstream, selectUpstream } from "../providers/upstream";

export const healthRoutes = new Hono<{ Bindings: GatewayEnv }>().get("/health", (c) => {
  const upstream = describeUpstream(selectUpstream(c.env));
  if (upstream === null)
    return c.json(
      {
        status: "unconfigured",
        upstream: null,
        hint: "Set OPENAI_API_KEY (or AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY) as secrets, or run `npm start` to use the local emulator.",
      },
      503,
    );
  return c.json({ status: "ok", upstream });
});
