// The only initTRPC call: the error shape every procedure shares, and the procedure builders.
import { initTRPC, TRPCError } from "@trpc/server";
import { authenticate } from "../auth/authenticate";
import { enforceRate } from "../auth/limits";
import { UpstreamError } from "../errors/upstream-error";
import type { Context } from "./context";
import { describeIssues, inputIssues } from "../errors/input-issues";
import { RetryLater } from "../errors/retry-later";
import { toTRPCError, upstreamData } from "../errors/upstream-errors";

/** What a caller is told of a failure the gateway did not describe itself (the same words as REST's). */
const UNEXPECTED = "The gateway failed to handle this request.";

/**
 * tRPC turns anything else thrown into INTERNAL_SERVER_ERROR carrying the thrown error's own message,
 * which is written for logs (a platform fault, a parser quoting its input), so that message is replaced.
 */
const wrapsPlainError = (error: TRPCError) =>
  error.code === "INTERNAL_SERVER_ERROR" &&
  error.cause !== undefined &&
  !(error.cause instanceof TRPCError) &&
  error.message === error.cause.message;

const t = initTRPC.context<Context>().create({
  // Never send stack traces, whatever the environment claims to be.
  isDev: false,
  // Subscriptions over SSE ping while idle: a write is how a vanished reader is noticed (its seat in the run's hub
  // is then given back), and it keeps proxies from closing a stream that waits, say, for tool outputs.
  sse: { ping: { enabled: true, intervalMs: 3_000 } },
  errorFormatter({ shape, error }) {
    const fields = inputIssues(error.cause);
    return {
      ...shape,
      message: fields ? describeIssues(fields) : wrapsPlainError(error) ? UNEXPECTED : shape.message,
      data: {
        ...shape.data,
        fields,
        upstream: upstreamData(error.cause),
        retry_after: error.cause instanceof RetryLater ? error.cause.retryAfterSeconds : undefined,
      },
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
    throw new TRPCError({
      code: "SERVICE_UNAVAILABLE",
      message:
        "No upstream is configured: set OPENAI_API_KEY (or AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY) as secrets.",
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
