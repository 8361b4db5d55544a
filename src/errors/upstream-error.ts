// Any failure talking to the upstream, normalised: its status, the upstream's error fields, its request id and retry hint.
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";

export type UpstreamFailure = "http" | "network" | "timeout";

export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly failure: UpstreamFailure,
    readonly details: {
      status?: number;
      type?: string | null;
      code?: string | null;
      param?: string | null;
      requestId?: string | null;
      /** Seconds the upstream asked us to wait (`retry-after` / `retry-after-ms`). */
      retryAfter?: number | null;
    } = {},
  ) {
    super(message);
  }
}

/** A stream that broke off mid-way (a cut body, or one that is not the wire format): a network failure, whoever read it. */
export const streamBrokeOff = () => new UpstreamError("The upstream's stream broke off.", "network");

function retryAfterSeconds(headers: Headers | undefined): number | null {
  const ms = Number(headers?.get("retry-after-ms"));
  if (Number.isFinite(ms) && ms > 0) return Math.ceil(ms / 1000);
  const value = headers?.get("retry-after");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Turns what the `openai` SDK throws into an UpstreamError; anything else is rethrown untouched. */
export function toUpstreamError(error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof APIConnectionTimeoutError)
    return new UpstreamError("The upstream did not answer in time.", "timeout");
  if (error instanceof APIUserAbortError) throw error;
  if (error instanceof APIConnectionError) return new UpstreamError("The upstream could not be reached.", "network");
  if (error instanceof APIError && error.status !== undefined) {
    const body = (error.error ?? {}) as { message?: string };
    return new UpstreamError(body.message ?? error.message, "http", {
      status: error.status,
      type: error.type ?? null,
      code: typeof error.code === "string" ? error.code : null,
      param: error.param ?? null,
      requestId: error.requestID ?? null,
      retryAfter: retryAfterSeconds(error.headers),
    });
  }
  if (error instanceof APIError) return new UpstreamError(error.message, "network");
  throw error;
}

/**
 * An upstream failure in words safe to log: its status, type, code and request id, never the upstream's message,
 * which can quote the key the gateway sent (as OpenAI's 401 does, masked; a compatible upstream or proxy may not mask
 * it). Failure lines (log/failure-log.ts) describe upstream failures with it.
 */
export function describeFailure(upstream: UpstreamError): string {
  const { status, type, code, requestId } = upstream.details;
  return `upstream ${upstream.failure}${status ? ` ${status}` : ""}${type ? ` type=${type}` : ""}${code ? ` code=${code}` : ""}${requestId ? ` request=${requestId}` : ""}`;
}
