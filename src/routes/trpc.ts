// /trpc: the tRPC API over HTTP (queries, mutations, batching) through tRPC's fetch adapter.
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { Hono } from "hono";
import { bearerToken } from "../auth/authenticate";
import { logFailure } from "../log/failure-log";
import { createContext } from "../rpc/context";
import { appRouter } from "../rpc/routers/app-router";
import type { RouteEnv } from "./request-id";

export const trpcRoutes = new Hono<RouteEnv>().all("/trpc/*", (c) =>
  fetchRequestHandler({
    endpoint: "/trpc",
    req: c.req.raw,
    router: appRouter,
    // EventSource cannot set headers, so a subscription may send the token as a connection param. Only a subscription:
    // the param rides in the URL, which logs and browser histories keep, so queries and mutations must use the header.
    createContext: ({ resHeaders, info }) => {
      const fromParams = info.type === "subscription" ? (info.connectionParams?.token ?? null) : null;
      return createContext({
        env: c.env,
        resHeaders,
        token: bearerToken(c.req.header("authorization")) ?? fromParams,
        requestId: c.var.requestId,
      });
    },
    onError: ({ error, path }) => {
      // Only the gateway's own failures are logged; callers' mistakes and upstream answers are not news.
      if (error.code === "INTERNAL_SERVER_ERROR")
        logFailure({ what: "trpc.unexpected", requestId: c.var.requestId, error, detail: `procedure ${path ?? "?"}` });
    },
  }),
);
