// The only initTRPC call: the error shape every procedure shares, and the procedure builders.
import { initTRPC, TRPCError } from "@trpc/server";
import { UpstreamError } from "../providers/upstream-error";
import type { Context } from "./context";
import { describeIssues, inputIssues } from "./input-issues";
import { toTRPCError, upstreamData } from "./upstream-errors";

const t = initTRPC.context<Context>().create({
  // Never send stack traces, whatever the environment claims to be.
  isDev: false,
  errorFormatter({ shape, error }) {
    const fields = inputIssues(error.cause);
    return {
      ...shape,
      message: fields ? describeIssues(fields) : shape.message,
      data: { ...shape.data, fields, upstream: upstreamData(error.cause) },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Upstream failures leave every procedure as the matching tRPC error (see upstream-errors.ts). */
const mapsUpstreamErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof UpstreamError) throw toTRPCError(result.error.cause);
  return result;
});

/** Needs a configured upstream; without one every call says how to configure it. */
const hasUpstream = t.middleware(({ ctx, next }) => {
  if (!ctx.provider)
    throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "No upstream is configured: set OPENAI_API_KEY (or AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY) as secrets." });
  return next({ ctx: { ...ctx, provider: ctx.provider } });
});

export const publicProcedure = t.procedure;
export const upstreamProcedure = t.procedure.use(mapsUpstreamErrors).use(hasUpstream);
