// Errors of the REST surface in the upstream's own shape, `{"error": {message, type, param, code}}`, with the matching
// status, plus the request id (`request_id`, as in the answer's `x-request-id`), which the SDKs ignore and logs carry.
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { UpstreamError } from "../errors/upstream-error";
import { describeIssues, inputIssues } from "../errors/input-issues";
import { RetryLater } from "../errors/retry-later";
import { toTRPCError } from "../errors/upstream-errors";
import { logFailure } from "../log/failure-log";

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null; request_id: string };
}

type ErrorFields = Partial<Pick<ErrorBody["error"], "type" | "param" | "code">>;

export function restError(
  message: string,
  status: number,
  requestId: string,
  fields: ErrorFields = {},
  headers: Record<string, string> = {},
): Response {
  const body: ErrorBody = {
    error: {
      message,
      type: fields.type ?? "invalid_request_error",
      param: fields.param ?? null,
      code: fields.code ?? null,
      request_id: requestId,
    },
  };
  return Response.json(body, { status, headers });
}

/**
 * An upstream 4xx passes through as the upstream sent it, the request id added (the `openai` SDK then raises the
 * same error class it would against the upstream); everything else is described by the gateway.
 */
export function toRestError(error: unknown, requestId: string): Response {
  const trpcError =
    error instanceof TRPCError
      ? error
      : error instanceof UpstreamError
        ? toTRPCError(error)
        : new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: error });
  const issues = inputIssues(trpcError.cause);
  if (issues)
    return restError(describeIssues(issues), 400, requestId, {
      param: issues[0]?.field ?? null,
      code: "invalid_value",
    });

  const status = getHTTPStatusCodeFromError(trpcError);
  const upstream = trpcError.cause instanceof UpstreamError ? trpcError.cause : undefined;
  const headers: Record<string, string> = {};
  if (upstream?.details.retryAfter != null) headers["retry-after"] = String(upstream.details.retryAfter);
  if (trpcError.cause instanceof RetryLater) headers["retry-after"] = String(trpcError.cause.retryAfterSeconds);
  if (upstream?.details.requestId) headers["x-upstream-request-id"] = upstream.details.requestId;
  const upstreamStatus = upstream?.details.status;
  if (upstream && upstreamStatus && upstreamStatus < 500 && trpcError.code !== "BAD_GATEWAY") {
    // The upstream's own status, not the tRPC code's: an active-run 400 stays a 400 for SDK code, as the upstream sent it.
    const { type = null, param = null, code = null } = upstream.details;
    return restError(
      upstream.message,
      upstreamStatus,
      requestId,
      { type: type ?? "invalid_request_error", param, code },
      headers,
    );
  }
  // Only the gateway's own failures are hidden (and logged); a 503 saying how to configure auth is meant to be read.
  const unexpected = trpcError.code === "INTERNAL_SERVER_ERROR";
  if (unexpected) logFailure({ what: "rest.unexpected", requestId, error: trpcError, status });
  const message = unexpected ? "The gateway failed to handle this request." : trpcError.message;
  return restError(
    message,
    status,
    requestId,
    { type: status >= 500 ? "server_error" : "invalid_request_error", code: trpcError.code.toLowerCase() },
    headers,
  );
}
