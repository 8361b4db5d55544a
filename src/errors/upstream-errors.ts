// Upstream failures as tRPC errors a frontend can act on; 401/403 from the upstream are the gateway's problem, not the caller's.
import { TRPCError } from "@trpc/server";
import { UpstreamError } from "./upstream-error";

/** The upstream refuses a second active run on a thread with a 400; callers get a CONFLICT that names the run. */
const ACTIVE_RUN = /already has an active run (\S+?)\.?$/;

export const activeRunOf = (error: UpstreamError) =>
  error.details.status === 400 ? (ACTIVE_RUN.exec(error.message)?.[1] ?? null) : null;

export function toTRPCError(error: UpstreamError): TRPCError {
  const { status } = error.details;
  if (error.failure === "timeout")
    return new TRPCError({ code: "GATEWAY_TIMEOUT", message: error.message, cause: error });
  if (error.failure === "network" || status === undefined)
    return new TRPCError({ code: "BAD_GATEWAY", message: error.message, cause: error });
  if (status === 401 || status === 403)
    return new TRPCError({
      code: "BAD_GATEWAY",
      // The upstream's own message may echo part of the key, so it is not passed on.
      message: `The upstream refused the gateway's credentials (upstream status ${status}). The gateway is misconfigured; your request was fine.`,
      cause: error,
    });
  if (activeRunOf(error)) return new TRPCError({ code: "CONFLICT", message: error.message, cause: error });
  const code =
    status === 400
      ? "BAD_REQUEST"
      : status === 404
        ? "NOT_FOUND"
        : status === 409
          ? "CONFLICT"
          : status === 422
            ? "UNPROCESSABLE_CONTENT"
            : status === 429
              ? "TOO_MANY_REQUESTS"
              : status === 408 || status === 504
                ? "GATEWAY_TIMEOUT"
                : status >= 500
                  ? "BAD_GATEWAY"
                  : "BAD_REQUEST";
  return new TRPCError({ code, message: error.message, cause: error });
}

/** What an error's `data.upstream` tells the caller: the upstream's fields and request id, never a secret. */
export function upstreamData(error: unknown) {
  if (!(error instanceof UpstreamError)) return undefined;
  const { status = null, type = null, code = null, param = null, requestId = null, retryAfter = null } = error.details;
  return {
    status,
    type,
    code,
    param,
    request_id: requestId,
    retry_after: retryAfter,
    active_run_id: activeRunOf(error),
  };
}
