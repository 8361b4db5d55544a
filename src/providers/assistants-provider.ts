// The Assistants-compatible provider: any Assistants-compatible service, Foundry classic agents (foundry/), or the local
// emulator, through the official SDK.
import OpenAI from "openai";
import type { APIPromise } from "openai/core/api-promise";
import type { AssistantCreateParams, AssistantUpdateParams } from "openai/resources/beta/assistants";
import type { MessageCreateParams } from "openai/resources/beta/threads/messages";
import type { RunCreateParamsNonStreaming } from "openai/resources/beta/threads/runs/runs";
import type {
  ThreadCreateAndRunParamsNonStreaming,
  ThreadCreateParams,
  ThreadUpdateParams,
} from "openai/resources/beta/threads/threads";
import type { ListPage, RunsProvider, UpstreamStream } from "./provider";
import { toUpstreamError } from "../errors/upstream-error";
import { isApproval } from "../schemas/runs";
import { readSseEvents } from "./sse-stream";
import type { Upstream } from "./upstream";

/**
 * Retries and timeouts, chosen for a gateway that answers browsers:
 * - reads (retrieve, lists) retry twice on 408, 409, 5xx and connection errors, with the SDK's backoff;
 * - writes (create, submit, cancel, update, delete) never retry: the upstream takes no idempotency key, so a
 *   retried create could start a second run;
 * - a 429 is never retried here; it goes back to the caller at once with the upstream's retry hint;
 * - every attempt has 30 s to get its answer's headers (a stream then runs as long as the run does).
 */
export const READ_RETRIES = 2;
export const REQUEST_TIMEOUT_MS = 30_000;
const WRITE = { maxRetries: 0 } as const;

/** The SDK honours `x-should-retry`; marking 429s `false` hands rate limits straight back to the caller. */
export function withRateLimitPassThrough(inner: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    if (response.status !== 429) return response;
    const headers = new Headers(response.headers);
    headers.set("x-should-retry", "false");
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}

/** The emulator is reached through its service binding; the host name is never resolved. */
export const EMULATOR_ORIGIN = "http://emulator.runcast.internal";
const EMULATOR_BASE_URL = `${EMULATOR_ORIGIN}/v1`;

export function createClient(
  upstream: Extract<Upstream, { kind: "openai" | "emulator" }>,
  baseFetch: typeof fetch = (input, init) => fetch(input, init),
): OpenAI {
  const common = { maxRetries: READ_RETRIES, timeout: REQUEST_TIMEOUT_MS };
  switch (upstream.kind) {
    case "openai":
      return new OpenAI({
        ...common,
        apiKey: upstream.apiKey,
        baseURL: upstream.baseURL ?? null,
        organization: upstream.organization ?? null,
        project: upstream.project ?? null,
        fetch: withRateLimitPassThrough(baseFetch),
      });
    case "emulator": {
      const emulator = upstream.emulator;
      return new OpenAI({
        ...common,
        apiKey: "emulator",
        baseURL: EMULATOR_BASE_URL,
        fetch: withRateLimitPassThrough((input, init) => emulator.fetch(new Request(input, init))),
      });
    }
  }
}

function toListPage<T extends { id: string }>(page: { data: T[]; has_more: boolean }): ListPage<T> {
  return {
    object: "list",
    data: page.data,
    first_id: page.data[0]?.id ?? null,
    last_id: page.data.at(-1)?.id ?? null,
    has_more: page.has_more,
  };
}

/** A streaming call's events, read from its raw answer (see sse-stream.ts); an error status throws before any event. */
async function streamOf(request: APIPromise<unknown>): Promise<UpstreamStream> {
  const response = await request.asResponse();
  return readSseEvents(response.body ?? new Response("").body!);
}

/** Runs an SDK call and turns its failures into UpstreamError. */
async function call<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toUpstreamError(error);
  }
}

export function assistantsProvider(client: OpenAI): RunsProvider {
  const { assistants, threads } = client.beta;
  const runs = threads.runs;
  return {
    streamRun: (threadId, params) =>
      call(() => streamOf(runs.create(threadId, { ...(params as RunCreateParamsNonStreaming), stream: true }, WRITE))),
    streamThreadAndRun: (params) =>
      call(() =>
        streamOf(threads.createAndRun({ ...(params as ThreadCreateAndRunParamsNonStreaming), stream: true }, WRITE)),
      ),
    retrieveRun: (threadId, runId) =>
      call(async () => {
        const { data, response } = await runs.retrieve(runId, { thread_id: threadId }).withResponse();
        const hint = Number.parseInt(response.headers.get("openai-poll-after-ms") ?? "", 10);
        return { run: data, pollAfterMs: Number.isFinite(hint) ? hint : null };
      }),
    listRuns: (threadId, query) => call(async () => toListPage(await runs.list(threadId, query))),
    updateRun: (threadId, runId, metadata) => call(() => runs.update(runId, { thread_id: threadId, metadata }, WRITE)),
    streamSubmitToolOutputs: (threadId, runId, answers) =>
      call(async () => {
        // Foundry's approvals travel beside outputs in the same body; the SDK passes fields it does not know through.
        const approvals = answers.filter(isApproval);
        const outputs = answers.filter((answer) => !isApproval(answer));
        const body = approvals.length > 0 ? { tool_approvals: approvals } : { tool_outputs: outputs };
        return streamOf(
          runs.submitToolOutputs(
            runId,
            { thread_id: threadId, ...(body as { tool_outputs: typeof outputs }), stream: true },
            WRITE,
          ),
        );
      }),
    cancelRun: (threadId, runId) => call(() => runs.cancel(runId, { thread_id: threadId }, WRITE)),
    listSteps: (threadId, runId, query) =>
      call(async () => toListPage(await runs.steps.list(runId, { thread_id: threadId, ...query }))),
    retrieveStep: (threadId, runId, stepId, include) =>
      call(() => runs.steps.retrieve(stepId, { thread_id: threadId, run_id: runId, ...(include ? { include } : {}) })),
    listMessages: (threadId, query) => call(async () => toListPage(await threads.messages.list(threadId, query))),
    // The inputs were validated against the upstream's own limits; the SDK's types are narrower only where they lag it.
    createMessage: (threadId, message) =>
      call(() => threads.messages.create(threadId, message as MessageCreateParams, WRITE)),
    retrieveMessage: (threadId, messageId) => call(() => threads.messages.retrieve(messageId, { thread_id: threadId })),
    listAssistants: (query) => call(async () => toListPage(await assistants.list(query))),
    createAssistant: (params) => call(() => assistants.create(params as AssistantCreateParams, WRITE)),
    retrieveAssistant: (assistantId) => call(() => assistants.retrieve(assistantId)),
    updateAssistant: (assistantId, changes) =>
      call(() => assistants.update(assistantId, changes as AssistantUpdateParams, WRITE)),
    deleteAssistant: (assistantId) => call(() => assistants.delete(assistantId, WRITE)),
    createThread: (params) => call(() => threads.create(params as ThreadCreateParams, WRITE)),
    retrieveThread: (threadId) => call(() => threads.retrieve(threadId)),
    updateThread: (threadId, changes) => call(() => threads.update(threadId, changes as ThreadUpdateParams, WRITE)),
    deleteThread: (threadId) => call(() => threads.delete(threadId, WRITE)),
  };
}
