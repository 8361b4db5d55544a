// /trpc: the tRPC API over HTTP (queries, mutations, batching) through tRPC's fetch adapter.
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { Hono } from "hono";
import type { GatewayEnv } from "../env";
import { bearerToken } from "../auth/authenticate";
import { createContext } from "../rpc/context";
import { appRouter } from "../rpc/routers/app-router";

export const trpcRoutes = new Hono<{ Bindings: GatewayEnv }>().all("/trpc/*", (c) =>
  fetchRequestHandler({
    endpoint: "/trpc",
    req: c.req.raw,
    router: appRouter,
    // Browsers cannot set headers on EventSource or WebSocket, so subscriptions may send the token as a connection param.
    createContext: ({ resHeaders, info }) =>
      createContext({ env: c.env, resHeaders, token: bearerToken(c.req.header("authorization")) ?? info.connectionParams?.token ?? null }),
    onError: ({ error, path }) => {
      // Only the gateway's own failures are logged; callers' mistakes and upstream answers are not news.
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`trpc ${path ?? "?"}: ${error.message}`);
    },
  }),
);
