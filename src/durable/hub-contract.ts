// What the Worker and a run's hub share, in one place: the types that cross Durable Object RPC, the hub's internal
// URLs (each built and parsed here), a refusal's answer, and the NDJSON lines of a follow stream (written by the hub,
// read by the Worker).
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { RetryLater } from "../errors/retry-later";
import { UpstreamError } from "../errors/upstream-error";
import { toTRPCError } from "../errors/upstream-errors";
import type { Run, RunParams, UpstreamEvent } from "../providers/provider";
import type { CreateThreadAndRunInput } from "../schemas/runs";
import type { SocketPrincipal } from "./connections";
import type { LoggedEvent } from "./event-log";

// ---- Types across RPC. ----

/** A run to create, the creating tenant (who owns a new thread), and the active-run slot reserved for it. */
export type StartRequest = (
  { kind: "run"; thread_id: string; params: RunParams } | { kind: "threadAndRun"; params: CreateThreadAndRunInput }
) & {
  tenant: string;
  reservation: string;
};

export interface BeginInput {
  thread_id: string;
  slotTenant: string;
  run: Run;
  /** The events read before the run was known (`thread.created`, `thread.run.created`, …). */
  events: UpstreamEvent[];
  /** The creating request's id: the hub's log lines carry it until another request reaches the hub. */
  requestId?: string | null;
}

export interface Submitted {
  run: Run;
  /** The log position before the continuation: a stream of the next segment starts after it. */
  fromSeq: number;
  /** Calls still waiting for an output (empty once all were submitted upstream). */
  pending: string[];
}

// ---- The hub's internal URLs. ----

const HUB_ORIGIN = "https://hub.runcast.internal";

/** The internal header through which the Worker tells the hub who a socket's upgrade was authenticated as. */
const PRINCIPAL_HEADER = "x-runcast-principal";

/** The request id of the Worker's request (routes/request-id.ts), passed on so the hub's log lines can carry it. */
const REQUEST_ID_HEADER = "x-request-id";

export type FollowUntil = "terminal" | "segment";

/** What an HTTP follower asks for: the run's events after `after`, until the run ends or (REST streams) the segment does. */
export interface FollowQuery {
  thread_id: string;
  run_id: string;
  after: number;
  until: FollowUntil;
  /** Only counts toward its per-run subscriber limit: the Worker has already checked access. */
  tenant: string;
}

export function followRequest(
  query: FollowQuery,
  { signal, requestId }: { signal?: AbortSignal | undefined; requestId: string },
): Request {
  const url = new URL("/follow", HUB_ORIGIN);
  url.search = new URLSearchParams({ ...query, after: String(query.after) }).toString();
  return new Request(url, { headers: { [REQUEST_ID_HEADER]: requestId }, ...(signal ? { signal } : {}) });
}

/**
 * A subscriber's socket upgrade, forwarded into the hub. The principal is set only by the Worker, which has
 * authenticated the upgrade; a client's own header of that name is dropped, so a client cannot claim one. The
 * request id is the one the Worker answers with, not whatever the client sent.
 */
export function socketRequest(
  ref: { thread_id: string; run_id: string },
  clientHeaders: Headers,
  {
    principal,
    batched = false,
    requestId,
  }: { principal: SocketPrincipal | null; batched?: boolean; requestId: string },
): Request {
  const headers = new Headers(clientHeaders);
  headers.delete(PRINCIPAL_HEADER);
  if (principal) headers.set(PRINCIPAL_HEADER, JSON.stringify(principal));
  headers.set(REQUEST_ID_HEADER, requestId);
  const url = new URL("/ws", HUB_ORIGIN);
  url.search = new URLSearchParams({ ...ref, ...(batched ? { frames: "batch" } : {}) }).toString();
  return new Request(url, { headers });
}

/**
 * What the hub is asked, parsed from an internal request (the Worker has validated both ids before routing), and the
 * id of the request that asked (null from a caller that sent none).
 */
export type HubRequest = { requestId: string | null } & (
  | {
      kind: "socket";
      thread_id: string;
      run_id: string;
      principal: SocketPrincipal | null;
      /** The subscriber reads frames holding several messages (@runcast/client's watchRun asks for them). */
      batched: boolean;
    }
  | ({ kind: "follow" } & FollowQuery)
  | { kind: "unknown" }
);

export function parseHubRequest(request: Request): HubRequest {
  const url = new URL(request.url);
  const thread_id = url.searchParams.get("thread_id") ?? "";
  const run_id = url.searchParams.get("run_id") ?? "";
  const requestId = request.headers.get(REQUEST_ID_HEADER);
  if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
    const principal = request.headers.get(PRINCIPAL_HEADER);
    return {
      kind: "socket",
      thread_id,
      run_id,
      principal: principal ? (JSON.parse(principal) as SocketPrincipal) : null,
      batched: url.searchParams.get("frames") === "batch",
      requestId,
    };
  }
  if (url.pathname !== "/follow") return { kind: "unknown", requestId };
  const after = Number(url.searchParams.get("after") ?? 0);
  return {
    kind: "follow",
    requestId,
    thread_id,
    run_id,
    after: Number.isSafeInteger(after) && after >= 0 ? after : 0,
    until: url.searchParams.get("until") === "segment" ? "segment" : "terminal",
    tenant: url.searchParams.get("tenant") ?? "",
  };
}

// ---- A refused internal request (a socket upgrade or a follow): written by the hub, read by the Worker. ----

/**
 * The answer to a request the hub refused, with the tRPC code it stands for (upstream refusals mapped as everywhere
 * else), and how worth logging it is: a failure of the hub's own, or an upstream that failed or refused the gateway.
 */
export function refusalResponse(error: unknown): { response: Response; log: "error" | "warn" | null } {
  const refusal = error instanceof TRPCError ? error : error instanceof UpstreamError ? toTRPCError(error) : null;
  if (!refusal)
    return {
      response: Response.json(
        { error: "The run's hub failed to handle this request.", code: "INTERNAL_SERVER_ERROR" },
        { status: 500 },
      ),
      log: "error",
    };
  const retryAfter = error instanceof UpstreamError ? error.details.retryAfter : null;
  return {
    response: Response.json(
      { error: refusal.message, code: refusal.code, ...(retryAfter != null ? { retry_after: retryAfter } : {}) },
      { status: getHTTPStatusCodeFromError(refusal) },
    ),
    log: refusal.code === "BAD_GATEWAY" || refusal.code === "GATEWAY_TIMEOUT" ? "warn" : null,
  };
}

/** A request the hub refused, as the tRPC error it stands for. */
export async function hubRefusal(response: Response): Promise<TRPCError> {
  const body = (await response.json().catch(() => ({}))) as {
    error?: string;
    code?: TRPCError["code"];
    retry_after?: number;
  };
  const code =
    body.code ??
    (response.status === 404 ? "NOT_FOUND" : response.status === 429 ? "TOO_MANY_REQUESTS" : "BAD_GATEWAY");
  const message = body.error ?? "The run's hub refused the request.";
  // A retry hint (an upstream 429 met while the hub took the run up) travels on, as tRPC data and REST's retry-after.
  return new TRPCError({
    code,
    message,
    ...(body.retry_after != null ? { cause: new RetryLater(message, body.retry_after) } : {}),
  });
}

// ---- The follow stream's NDJSON. ----

const encoder = new TextEncoder();

/** One logged event as a line; its data is already JSON text and goes in as it is. */
export const eventLine = (event: LoggedEvent) =>
  encoder.encode(`{"seq":${event.seq},"event":${JSON.stringify(event.event)},"data":${event.data}}\n`);

/** A blank line: nothing to deliver, but writing it is how a follower learns its reader has gone. */
export const HEARTBEAT_LINE = encoder.encode("\n");

export interface StreamedEvent {
  seq: number;
  event: string;
  /** The event's data, as parsed JSON. */
  data: unknown;
}

/** A heartbeat as the Worker reads it: passed on so a vanished reader is noticed on the Worker's side too. */
export const HEARTBEAT = Symbol("heartbeat");

/** Bytes of the hub's NDJSON into events (and heartbeats), however the lines fall across chunks. */
export function parseEvents(): TransformStream<Uint8Array, StreamedEvent | typeof HEARTBEAT> {
  const decoder = new TextDecoder();
  let buffer = "";
  return new TransformStream({
    transform(chunk, controller) {
      buffer += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        controller.enqueue(line.trim() ? (JSON.parse(line) as StreamedEvent) : HEARTBEAT);
      }
    },
  });
}

/** The events only: tRPC's SSE sends its own pings (rpc/init.ts), which find a vanished reader the same way. */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamedEvent> {
  const reader = body.pipeThrough(parseEvents()).getReader();
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read())
      if (next.value !== HEARTBEAT) yield next.value;
  } finally {
    // Stopping early (the subscriber left) releases the hub's response.
    await reader.cancel().catch(() => undefined);
  }
}
