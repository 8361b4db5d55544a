// Failures as one JSON line each, so `wrangler tail --search` and log search find them by request id, run or name.
// A line never carries a secret: no error's message goes in (an upstream's words can quote the key the gateway sent),
// only its status, type, code and name, and the gateway's own words where the caller gives them (`detail`).
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { describeFailure, toUpstreamError, UpstreamError } from "../errors/upstream-error";
import { toTRPCError } from "../errors/upstream-errors";

export interface Failure {
  /** `warn` for what the gateway survives on its own (an upstream that failed, a poll to retry); `error` otherwise. */
  level?: "error" | "warn";
  /** A short stable name of what failed, such as `rest.unexpected` or `hub.poll_failed`: the thing to search for. */
  what: string;
  run?: string | null;
  thread?: string | null;
  tenant?: string | null;
  /** The request that caused the work: its `x-request-id`, as the caller was answered with. */
  requestId?: string | null;
  /** The tRPC code the failure stands for; taken from `error` when not given. */
  code?: string | null;
  /** The HTTP status answered, or the upstream's; taken from `error` when not given. */
  status?: number | null;
  /** What was thrown. */
  error?: unknown;
  /** The gateway's own words on what went wrong (never a value that may be secret, nor an error's message). */
  detail?: string;
}

/**
 * Writes one line with `console.error` (or `console.warn`).
 *
 * @example
 * logFailure({ level: "warn", what: "hub.poll_failed", run: runId, requestId, error });
 * // {"level":"warn","what":"hub.poll_failed","run":"run_abc","request_id":"…","code":"BAD_GATEWAY","status":500,
 * //  "message":"upstream http 500 type=server_error request=req_123"}
 */
export function logFailure({
  level = "error",
  what,
  run = null,
  thread,
  tenant,
  requestId = null,
  code,
  status,
  error,
  detail,
}: Failure): void {
  const upstream = upstreamOf(error);
  const trpc = error instanceof TRPCError ? error : upstream ? toTRPCError(upstream) : null;
  const told = error === undefined ? null : tell(error);
  const line = {
    level,
    what,
    run,
    ...(thread ? { thread } : {}),
    ...(tenant ? { tenant } : {}),
    request_id: requestId,
    code: code ?? trpc?.code ?? null,
    status: status ?? upstream?.details.status ?? (trpc ? getHTTPStatusCodeFromError(trpc) : null),
    message: [detail, told?.text].filter(Boolean).join(": ") || null,
    ...(told?.withheld ? { at: framesOf(told.withheld) } : {}),
  };
  console[level](JSON.stringify(line));
}

/** The upstream failure behind `error`, if that is what it is (thrown as such, by the SDK, or wrapped by tRPC). */
function upstreamOf(error: unknown): UpstreamError | null {
  const cause = error instanceof TRPCError ? error.cause : error;
  if (cause instanceof UpstreamError) return cause;
  try {
    return cause instanceof Error ? toUpstreamError(cause) : null;
  } catch {
    return null;
  }
}

/**
 * The failure in words that are safe: an upstream failure by its fields, anything else by its name (and tRPC code). No
 * message is logged as it is: a tRPC error often carries the upstream's words (REST and tRPC answer with them), and
 * other errors may quote their input. `withheld` is the error whose stack frames say where it came from.
 */
function tell(error: unknown): { text: string; withheld?: Error } {
  const upstream = upstreamOf(error);
  if (upstream) return { text: describeFailure(upstream) };
  if (error instanceof TRPCError) {
    if (error.cause === undefined) return { text: `${error.name} ${error.code}` };
    const cause = tell(error.cause);
    return { ...cause, text: `${error.name} ${error.code}: ${cause.text}` };
  }
  return error instanceof Error ? { text: error.name, withheld: error } : { text: typeof error };
}

/** Where a withheld error was thrown: the stack's frames only (its first lines are the message). */
const framesOf = (error: Error): string[] =>
  (error.stack ?? "")
    .split("\n")
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 5)
    .map((line) => line.trim());
