// Results across Durable Object RPC: errors lose their class on the way, so they travel as data and are rebuilt on arrival.
import { TRPCError } from "@trpc/server";
import { UpstreamError, type UpstreamFailure } from "../errors/upstream-error";

type TRPCCode = TRPCError["code"];

export type HubError =
  | { kind: "trpc"; code: TRPCCode; message: string }
  | { kind: "upstream"; message: string; failure: UpstreamFailure; details: UpstreamError["details"] };

export type HubResult<T> = { ok: true; value: T } | { ok: false; error: HubError };

/** Runs `work` inside a Durable Object and packs its outcome for the trip back. */
export async function asResult<T>(work: () => Promise<T> | T): Promise<HubResult<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    if (error instanceof TRPCError)
      return { ok: false, error: { kind: "trpc", code: error.code, message: error.message } };
    if (error instanceof UpstreamError)
      return {
        ok: false,
        error: { kind: "upstream", message: error.message, failure: error.failure, details: error.details },
      };
    throw error;
  }
}

/** The rebuilt error, as the procedures and REST routes expect it. */
export function toError(error: HubError): TRPCError | UpstreamError {
  return error.kind === "trpc"
    ? new TRPCError({ code: error.code, message: error.message })
    : new UpstreamError(error.message, error.failure, error.details);
}

/** Unpacks a result on the Worker's side, throwing the rebuilt error. */
export async function unwrap<T>(result: Promise<HubResult<T>> | HubResult<T>): Promise<T> {
  const settled = await result;
  if (settled.ok) return settled.value;
  throw toError(settled.error);
}
