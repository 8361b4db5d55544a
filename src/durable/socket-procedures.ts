// The calls a run's socket answers besides its event subscription, served by a tRPC router of the hub's own and
// dispatched with tRPC's own caller: input validation, error codes and error shapes are those of /trpc by construction
// (one error formatter, errors/error-format.ts). `runs.events` is framed by hand (hub-sockets.ts): it must outlive
// the hub's hibernation, which a tRPC subscription held in memory cannot.
import { callTRPCProcedure, getErrorShape, getTRPCErrorFromUnknown, initTRPC, TRPCError } from "@trpc/server";
import type { AnyTRPCProcedure, ProcedureType } from "@trpc/server";
import { trpcErrorOptions } from "../errors/error-format";
import { UpstreamError } from "../errors/upstream-error";
import { toTRPCError } from "../errors/upstream-errors";
import type { Run } from "../providers/provider";
import { runEventsInput, runRef, submitToolOutputsInput, toolAnswers, type ToolAnswer } from "../schemas/runs";
import type { Submitted } from "./hub-contract";
import { toError, type HubResult } from "./hub-result";

/** What the socket's calls ask of the hub. */
export interface HubActions {
  submit(threadId: string, runId: string, outputs: ToolAnswer[]): Promise<HubResult<Submitted>>;
  cancel(threadId: string, runId: string): Promise<HubResult<Run | null>>;
  retrieve(threadId: string, runId: string): Promise<HubResult<{ run: Run } | null>>;
}

export interface SocketCallContext {
  hub: HubActions;
  /** Whether the run the input names is the one this socket belongs to. */
  serves(ref: { thread_id: string; run_id: string }): boolean;
}

const t = initTRPC.context<SocketCallContext>().create(trpcErrorOptions);

/** A socket belongs to one run: input naming another run is NOT_FOUND, as it would be anywhere else. */
export const notServedHere = (ref: { thread_id: string; run_id: string }) =>
  new TRPCError({
    code: "NOT_FOUND",
    message: `Run ${ref.run_id} on thread ${ref.thread_id} is not served by this socket.`,
  });

const onThisRun = <Ref extends typeof runRef>(input: Ref) =>
  t.procedure.input(input).use(({ ctx, input, next }) => {
    if (!ctx.serves(input)) throw notServedHere(input);
    return next();
  });

/** The hub's answer, or its refusal as /trpc would give it: an upstream 400 stays BAD_REQUEST, with its details. */
async function settled<T>(result: Promise<HubResult<T>>): Promise<T> {
  const outcome = await result;
  if (outcome.ok) return outcome.value;
  const error = toError(outcome.error);
  throw error instanceof UpstreamError ? toTRPCError(error) : error;
}

export const socketRouter = t.router({
  runs: t.router({
    retrieve: onThisRun(runRef).query(
      async ({ ctx, input }) => (await settled(ctx.hub.retrieve(input.thread_id, input.run_id)))?.run ?? null,
    ),
    cancel: onThisRun(runRef).mutation(({ ctx, input }) => settled(ctx.hub.cancel(input.thread_id, input.run_id))),
    submitToolOutputs: onThisRun(submitToolOutputsInput).mutation(
      async ({ ctx, input }) => (await settled(ctx.hub.submit(input.thread_id, input.run_id, toolAnswers(input)))).run,
    ),
  }),
});

/** Whether the socket serves `path` as `type`: its router's procedures and the hand-framed event subscription. */
export function servesCall(type: ProcedureType, path: string): boolean {
  if (type === "subscription") return path === "runs.events";
  // tRPC keeps a router's procedures by their full dotted path (what its own caller looks up).
  const procedures = socketRouter._def.procedures as unknown as Record<string, AnyTRPCProcedure>;
  const procedure = Object.hasOwn(procedures, path) ? procedures[path] : undefined;
  return procedure?._def.type === type;
}

/** Calls one of the router's procedures; throws what the procedure refused with. */
export const callOnSocket = (
  call: { method: ProcedureType; path: string; input: unknown },
  ctx: SocketCallContext,
): Promise<unknown> =>
  callTRPCProcedure({
    router: socketRouter,
    path: call.path,
    type: call.method,
    getRawInput: async () => call.input,
    ctx,
    signal: undefined,
    batchIndex: 0,
  });

/** The `runs.events` input, validated as tRPC validates a procedure's input (the same error, field by field). */
export function eventsInput(input: unknown) {
  const parsed = runEventsInput.safeParse(input);
  if (!parsed.success) throw new TRPCError({ code: "BAD_REQUEST", message: parsed.error.message, cause: parsed.error });
  return parsed.data;
}

/**
 * Any failure as the error shape /trpc would answer with: tRPC's own shape, through the shared formatter, with the
 * socket's request id (its upgrade's `x-request-id`) where /trpc has the request's.
 */
export function socketErrorShape(
  error: unknown,
  call: { method?: ProcedureType; path?: string; input?: unknown } = {},
  requestId: string | null = null,
) {
  const shape = getErrorShape({
    config: t._config,
    error: getTRPCErrorFromUnknown(error),
    type: call.method ?? "unknown",
    path: call.path,
    input: call.input,
    ctx: undefined,
  });
  // The formatter finds a request id in a call's context; a socket's frames are shaped outside any call.
  return requestId ? { ...shape, data: { ...shape.data, requestId } } : shape;
}
