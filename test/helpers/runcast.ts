// Test access to Runcast's own surfaces (the typed tRPC client, the /v1 REST surface) and small readers of the emulator's state.
import { TRPCClientError } from "@trpc/client";
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { EventSource } from "eventsource";
import type OpenAI from "openai";
import type { Run } from "openai/resources/beta/threads/runs/runs";
import { createRuncastClient, type AppRouter } from "../../src/client";
import { GATEWAY, emulatorFetch, emulatorRequest, emulatorSdk, gatewayFetch, gatewaySdk } from "./emulator";
import { WorkerWebSocket } from "./worker-websocket";

/** The provider the project runs (vitest.config.ts's RUNCAST_PROVIDER), `assistants` when it names none. */
export const provider = (env as { RUNCAST_PROVIDER?: string }).RUNCAST_PROVIDER ?? "assistants";

/** Under `responses` the upstream has no assistants, threads, messages or runs: Runcast keeps them itself. */
export const runcastKeepsRecords = provider === "responses";

export const TERMINAL_STATUSES = ["completed", "incomplete", "failed", "cancelled", "expired"];
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The typed tRPC client, over the gateway Worker's fetch handler; `fetch` lets a test watch the HTTP answers. */
export function runcastClient(fetch: typeof globalThis.fetch = gatewayFetch as typeof globalThis.fetch) {
  return createRuncastClient({ url: GATEWAY, fetch });
}

/** An EventSource whose requests go into the Worker under test. */
class WorkerEventSource extends EventSource {
  constructor(url: string | URL, init?: ConstructorParameters<typeof EventSource>[1]) {
    super(url, {
      ...init,
      fetch: (input, requestInit) => gatewayFetch(input as RequestInfo, requestInit as RequestInit),
    });
  }
}

/** The typed client as a page has it, with every transport (fetch, the run's WebSocket, SSE) into the Worker under test. */
export const frontendClient = () =>
  createRuncastClient({
    url: GATEWAY,
    fetch: gatewayFetch as typeof fetch,
    EventSource: WorkerEventSource,
    WebSocket: WorkerWebSocket as unknown as typeof WebSocket,
  });

/** The official SDK pointed at the gateway's REST surface, unchanged. */
export const restSdk = gatewaySdk;

export type RuncastError = TRPCClientError<AppRouter>;

/** The tRPC error a call ends with; fails the test when the call succeeds or throws anything else. */
export async function rpcError(call: Promise<unknown>): Promise<RuncastError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCClientError) return error as RuncastError;
    throw error;
  }
  throw new Error("expected the call to fail, it succeeded");
}

/**
 * A REST error object without the `request_id` Runcast adds to every error it answers (the upstream's own have none):
 * what is left is the upstream's shape, field for field.
 */
export function withoutRequestId<T extends object>(error: T): Omit<T, "request_id"> {
  const { request_id: _, ...upstream } = error as T & { request_id?: unknown };
  return upstream;
}

/** Whatever a promise rejects with; fails the test when it resolves. */
export async function rejection(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail, it succeeded");
}

export interface EmulatorSettings {
  http_errors: { status: number; count: number; retry_after: number } | null;
  [key: string]: unknown;
}

/** The emulator's global settings and faults as they stand (reading them never consumes a fault). */
export async function emulatorSettings(): Promise<EmulatorSettings> {
  const response = await emulatorFetch(`${GATEWAY}/emulator/admin/settings`);
  if (!response.ok) throw new Error(`settings: ${response.status}`);
  return response.json();
}

/** A GET on the emulator's API, as raw JSON: what the emulator holds, untouched by any SDK or gateway. */
export async function emulatorGet<T = unknown>(path: string): Promise<T> {
  const response = await emulatorRequest("GET", path);
  if (!response.ok) throw new Error(`emulator GET ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** A GET on Runcast's /v1 REST surface, as raw JSON. */
export async function restGet<T = unknown>(path: string): Promise<T> {
  const response = await gatewayFetch(`${GATEWAY}/v1${path}`, { headers: { authorization: "Bearer x" } });
  if (!response.ok) throw new Error(`gateway GET /v1${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/**
 * A GET on whoever keeps the Assistants records, as raw JSON: the upstream itself (the emulator's API, untouched by any
 * SDK or gateway) for `assistants` and `foundry`; under `responses`, where the upstream has no such records, Runcast's
 * own through its /v1 surface.
 */
export const heldGet = <T = unknown>(path: string): Promise<T> =>
  runcastKeepsRecords ? restGet<T>(path) : emulatorGet<T>(path);

/** The official SDK on whoever keeps the Assistants records (as `heldGet`): the emulator, or Runcast's /v1. */
export const heldSdk = (): OpenAI => (runcastKeepsRecords ? gatewaySdk() : emulatorSdk());

/** Retrieves a run from whoever keeps it (as `heldGet`) until its status is one of `statuses`. */
export async function waitForRun(
  threadId: string,
  runId: string,
  statuses: string[] = TERMINAL_STATUSES,
  timeoutMs = 10_000,
): Promise<Run> {
  const client = heldSdk();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await client.beta.threads.runs.retrieve(runId, { thread_id: threadId });
    if (statuses.includes(run.status)) return run;
    if (Date.now() > deadline)
      throw new Error(`run ${runId} still ${run.status} after ${timeoutMs} ms, wanted ${statuses.join("|")}`);
    await sleep(15);
  }
}

/**
 * The runs the upstream took on a thread (newest first), by id: the emulator's own list; under `responses`, Runcast's
 * runs of the thread, each of which exists only once the upstream took its first response (a refused create leaves
 * none behind).
 */
export async function emulatorRunIds(threadId: string): Promise<string[]> {
  const page = await heldGet<{ data: Array<{ id: string }> }>(`/threads/${threadId}/runs?limit=100`);
  return page.data.map((run) => run.id);
}

/**
 * A request straight to the upstream naming a run, as raw HTTP (what an `emulator_http_errors` fault armed on the run
 * answers): the run itself, or under `responses` the latest response of its chain, as the thread's records name it.
 */
export async function upstreamRunRequest(threadId: string, runId: string): Promise<Response> {
  if (!runcastKeepsRecords) return emulatorRequest("GET", `/threads/${threadId}/runs/${runId}`);
  const threads = env.RESPONSES_THREADS;
  const chain = await runInDurableObject(threads.get(threads.idFromName(threadId)), (_object, state) => {
    const row = state.storage.sql.exec<{ json: string }>(`SELECT json FROM runs WHERE id = ?`, runId).toArray()[0];
    return row ? (JSON.parse(row.json) as { chain: string[] }).chain : [];
  });
  if (chain.length === 0) throw new Error(`run ${runId} has no response upstream`);
  return emulatorFetch(`${GATEWAY}/emulator/v1/responses/${chain.at(-1)}`, {
    headers: { authorization: "Bearer test-key" },
  });
}

/** Metadata that slows a run down enough to catch it active (and cancel it, or collide with it). */
export const SLOW_RUN = { emulator_delta_ms: "200", emulator_reply_words: "60" };

/** A run a provider's creation stream made, read to the end of its segment: the run as `thread.run.created` gave it. */
export async function streamedRun(stream: AsyncIterable<{ event: string; data: unknown }>): Promise<Run> {
  let created: Run | null = null;
  for await (const { event, data } of stream) if (event === "thread.run.created") created ??= data as Run;
  if (!created) throw new Error("the stream never said thread.run.created");
  return created;
}

/** A provider's tool-output stream, read to the end of its segment: the run as its first run event gave it. */
export async function streamedContinuation(stream: AsyncIterable<{ event: string; data: unknown }>): Promise<Run> {
  let first: Run | null = null;
  for await (const { event, data } of stream)
    if (event.startsWith("thread.run.") && !event.startsWith("thread.run.step.")) first ??= data as Run;
  if (!first) throw new Error("the stream carried no run event");
  return first;
}
