// The only initTRPC call: the error shape every procedure shares, and the procedure builders.
import { initTRPC, TRPCError } from "@trpc/server";
import { authenticate } from "../auth/authenticate";
import { enforceRate } from "../auth/limits";
import { UpstreamError } from "../errors/upstream-error";
import type { Context } from "./context";
import { trpcErrorOptions } from "../errors/error-format";
import { toTRPCError } from "../errors/upstream-errors";
import { unavailable } from "../providers/provider-for-env";

const t = initTRPC.context<Context>().create({
  ...trpcErrorOptions,
  // Subscriptions over SSE ping while idle: a write is how a vanished reader is noticed (its seat in the run's hub
  // is then given back), and it keeps proxies from closing a stream that waits, say, for tool outputs.
  sse: { ping: { enabled: true, intervalMs: 3_000 } },
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
    throw new TRPCError({
      code: "SERVICE_UNAVAILABLE",
      message: unavailable(ctx.env),
    });
  return next({ ctx: { ...ctx, provider: ctx.provider } });
});

/** Who is calling (UNAUTHORIZED with no upstream call otherwise), within the tenant's request rate. */
const isAuthed = t.middleware(async ({ ctx, next }) => {
  const principal = await authenticate(ctx.env, ctx.token);
  await enforceRate(ctx.env, principal);
  return next({ ctx: { ...ctx, principal } });
});

export const publicProcedure = t.procedure;
/** Every run procedure: an authenticated caller, a configured upstream, upstream errors mapped. */
export const authedProcedure = t.procedure.use(isAuthed).use(mapsUpstreamErrors).use(hasUpstream);
