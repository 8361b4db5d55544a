// Test access to Runcast's own surfaces (the typed tRPC client, the /v1 REST surface) and small readers of the emulator's state.
import { TRPCClientError } from "@trpc/client";
import { EventSource } from "eventsource";
import OpenAI from "openai";
import type { Run } from "openai/resources/beta/threads/runs/runs";
import { createRuncastClient, type AppRouter } from "../../src/client";
import { GATEWAY, emulatorFetch, emulatorRequest, emulatorSdk, gatewayFetch } from "./emulator";
import { WorkerWebSocket } from "./worker-websocket";

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
export function restSdk(options: { fetch?: typeof fetch } = {}) {
  return new OpenAI({ apiKey: "x", baseURL: `${GATEWAY}/v1`, fetch: options.fetch ?? gatewayFetch, maxRetries: 0 });
}

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

/** Retrieves a run from the emulator until its status is one of `statuses`. */
export async function waitForRun(
  threadId: string,
  runId: string,
  statuses: string[] = TERMINAL_STATUSES,
  timeoutMs = 10_000,
): Promise<Run> {
  const client = emulatorSdk();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await client.beta.threads.runs.retrieve(runId, { thread_id: threadId });
    if (statuses.includes(run.status)) return run;
    if (Date.now() > deadline)
      throw new Error(`run ${runId} still ${run.status} after ${timeoutMs} ms, wanted ${statuses.join("|")}`);
    await sleep(15);
  }
}

/** The emulator's runs on a thread (newest first), by id. */
export async function emulatorRunIds(threadId: string): Promise<string[]> {
  const page = await emulatorGet<{ data: Array<{ id: string }> }>(`/threads/${threadId}/runs?limit=100`);
  return page.data.map((run) => run.id);
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
