// The gateway's hono app: one place that mounts every route, behind the edge guards.
import { Hono } from "hono";
import { emulatorRoutes } from "./routes/emulator";
import { bodyGuard, corsGuard } from "./routes/guards";
import { healthRoutes } from "./routes/health";
import { requestIds, type RouteEnv } from "./routes/request-id";
import { restRoutes } from "./routes/rest";
import { trpcRoutes } from "./routes/trpc";
import { wsRoutes } from "./routes/ws";

export function gatewayApp() {
  return new Hono<RouteEnv>()
    .use("*", requestIds)
    .use("*", corsGuard)
    .use("/trpc/*", bodyGuard)
    .use("/v1/*", bodyGuard)
    .route("/", healthRoutes)
    .route("/", trpcRoutes)
    .route("/", restRoutes)
    .route("/", wsRoutes)
    .route("/", emulatorRoutes);
}
