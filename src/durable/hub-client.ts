// How the Worker reaches run hubs and the creation step: the one place that names them, shared by tRPC and REST.
import type { GatewayEnv } from "../env";
import type { Run, RunsProvider } from "../providers/provider";
import type { ToolAnswer } from "../schemas/runs";
import { unwrap } from "./hub-result";
import type { StartRequest, Submitted } from "./hub-contract";

/** Who asks: the Worker's environment and the request's id, which the hub's log lines then carry (a procedure's ctx). */
export interface HubCaller {
  env: GatewayEnv;
  requestId: string | null;
}

/** Every later call that knows the run id reaches its hub directly: the hub is named by the run id. */
export const hubFor = (env: GatewayEnv, runId: string) => env.RUN_HUB.get(env.RUN_HUB.idFromName(runId));

/** Creates a run through a fresh creation step, which answers as soon as the upstream has created it. */
export const startRun = ({ env, requestId }: HubCaller, request: StartRequest): Promise<Run> =>
  unwrap(env.RUN_STARTER.get(env.RUN_STARTER.newUniqueId()).start(request, requestId));

/** From the run's hub while it holds the run, else from the upstream. */
export async function retrieveRun(
  { env, requestId }: HubCaller,
  provider: RunsProvider,
  threadId: string,
  runId: string,
): Promise<{ run: Run; pollAfterMs: number | null }> {
  return (
    (await unwrap(hubFor(env, runId).retrieve(threadId, runId, requestId))) ?? provider.retrieveRun(threadId, runId)
  );
}

export const submitToolOutputs = (
  { env, requestId }: HubCaller,
  threadId: string,
  runId: string,
  outputs: ToolAnswer[],
): Promise<Submitted> => unwrap(hubFor(env, runId).submitToolOutputs(threadId, runId, outputs, requestId));

/** Through the hub when it holds the run, so its copy (and every later read) agrees; else upstream directly. */
export async function updateRun(
  { env, requestId }: HubCaller,
  provider: RunsProvider,
  threadId: string,
  runId: string,
  metadata: Record<string, string> | null,
): Promise<Run> {
  return (
    (await unwrap(hubFor(env, runId).update(threadId, runId, metadata, requestId))) ??
    provider.updateRun(threadId, runId, metadata)
  );
}

/** Through the hub, so its subscribers hear of it; a run the hub does not hold is cancelled upstream directly. */
export async function cancelRun(
  { env, requestId }: HubCaller,
  provider: RunsProvider,
  threadId: string,
  runId: string,
): Promise<Run> {
  return (await unwrap(hubFor(env, runId).cancel(threadId, runId, requestId))) ?? provider.cancelRun(threadId, runId);
}
