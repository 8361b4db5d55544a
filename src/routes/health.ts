// GET /health: is the gateway up, which provider it runs and which upstream it talks to (never a secret).
import { Hono } from "hono";
import { describeUpstream, providerKind, selectUpstream, upstreamProblem } from "../providers/upstream";
import type { RouteEnv } from "./request-id";

export const healthRoutes = new Hono<RouteEnv>().get("/health", (c) => {
  const upstream = selectUpstream(c.env);
  const provider = providerKind(c.env);
  const problem = upstreamProblem(upstream);
  if (upstream.kind === "misconfigured")
    return c.json({ status: "misconfigured", provider, upstream: null, setting: upstream.setting, hint: problem }, 503);
  if (problem !== null)
    return c.json(
      {
        status: "unconfigured",
        provider,
        upstream: null,
        hint: `${problem} Or run \`npm start\` to use the local emulator.`,
      },
      503,
    );
  return c.json({ status: "ok", provider, upstream: describeUpstream(upstream) });
});
