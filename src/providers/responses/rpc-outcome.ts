// Failures across Durable Object RPC: an error thrown there arrives as a bare Error, so the Responses objects answer
// an outcome and the provider turns a failure back into the UpstreamError it was (status, type, code and all).
import { toUpstreamError, UpstreamError, type UpstreamFailure } from "../../errors/upstream-error";
import { logFailure } from "../../log/failure-log";

export type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; error: { message: string; failure: UpstreamFailure; details: UpstreamError["details"] } };

/** Runs `work` where the records live; an upstream failure (or one of Runcast's own upstream-shaped refusals) is answered. */
export async function outcome<T>(work: () => Promise<T> | T): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    let failure: UpstreamError;
    try {
      failure = toUpstreamError(error);
    } catch {
      // Not an upstream failure: a bug here, logged where it happened and reported as the gateway's own.
      logFailure({ what: "responses.unexpected", error });
      failure = new UpstreamError("The responses provider failed unexpectedly.", "http", { status: 500 });
    }
    return { ok: false, error: { message: failure.message, failure: failure.failure, details: failure.details } };
  }
}

export function unwrap<T>(result: Outcome<T>): T {
  if (result.ok) return result.value;
  throw new UpstreamError(result.error.message, result.error.failure, result.error.details);
}

/** Runcast's refusals read as the Assistants upstream's: a 400 (or 404) `invalid_request_error`. */
export const invalidRequest = (message: string, status = 400, param: string | null = null) =>
  new UpstreamError(message, "http", { status, type: "invalid_request_error", param, code: null });

export const notFound = (what: string, id: string) => invalidRequest(`No ${what} found with id '${id}'.`, 404);
