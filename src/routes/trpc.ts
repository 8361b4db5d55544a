// /trpc: the tRPC API over HTTP (queries, mutations, batching) through tRPC's fetch adapter.
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { Hono } from "hono";
import type { GatewayEnv } from "../env";
import { createContext } from "../rpc/context";
import { appRouter } from "../rpc/routers/app-router";

export const trpcRoutes = new Hono<{ Bindings: GatewayEnv }>().all("/trpc/*", (c) =>
  fetchRequestHandler({
    endpoint: "/trpc",
    req: c.req.raw,
    router: appRouter,
    createContext: ({ resHeaders }) => createContext({ env: c.env, resHeaders }),
    onError: ({ error, path }) => {
      // Only the gateway's own failures are logged; callers' mistakes and upstream answers are not news.
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`trpc ${path ?? "?"}: ${error.message}`);
    },
  }),
);
