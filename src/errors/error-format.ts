// The error shape of every tRPC answer, over HTTP (/trpc) and over a run hub's socket: one formatter, shared by both
// tRPC instances, so a refusal reads the same whichever way the call came.
import { TRPCError, type TRPCDefaultErrorShape } from "@trpc/server";
import { describeIssues, inputIssues } from "./input-issues";
import { RetryLater } from "./retry-later";
import { upstreamData } from "./upstream-errors";

/** What a caller is told of a failure the gateway did not describe itself (the same words as REST's). */
export const UNEXPECTED = "The gateway failed to handle this request.";

/**
 * tRPC turns anything else thrown into INTERNAL_SERVER_ERROR carrying the thrown error's own message,
 * which is written for logs (a platform fault, a parser quoting its input), so that message is replaced.
 */
const wrapsPlainError = (error: TRPCError) =>
  error.code === "INTERNAL_SERVER_ERROR" &&
  error.cause !== undefined &&
  !(error.cause instanceof TRPCError) &&
  error.message === error.cause.message;

/** The request id a procedure's context carries: over HTTP, the answer's `x-request-id`; a socket's calls have none. */
const requestIdOf = (ctx: object | undefined) =>
  ctx && "requestId" in ctx && typeof ctx.requestId === "string" ? ctx.requestId : undefined;

/**
 * Input issues by field, the upstream's own error (when it refused), when to retry (when rate-limited), and the request
 * id, by which the failure's log lines are found.
 */
export function formatError({
  shape,
  error,
  ctx,
}: {
  shape: TRPCDefaultErrorShape;
  error: TRPCError;
  ctx?: object | undefined;
}) {
  const fields = inputIssues(error.cause);
  return {
    ...shape,
    message: fields ? describeIssues(fields) : wrapsPlainError(error) ? UNEXPECTED : shape.message,
    data: {
      ...shape.data,
      fields,
      upstream: upstreamData(error.cause),
      retry_after: error.cause instanceof RetryLater ? error.cause.retryAfterSeconds : undefined,
      requestId: requestIdOf(ctx),
    },
  };
}

/** Both tRPC instances: never stack traces, whatever the environment claims to be; the one error shape. */
export const trpcErrorOptions = { isDev: false, errorFormatter: formatError } as const;
