// The Responses provider: the Assistants runs surface answered from Runcast's own records (one Durable Object per
// thread, one for assistants), whose runs are chains of background responses on the thread's conversation.
import type { GatewayEnv } from "../../env";
import { isAzureTool } from "../../schemas/common";
import { isApproval, type CreateThreadAndRunInput, type ToolOutput } from "../../schemas/runs";
import type { Assistant, ListPage, RunsProvider, ThreadChanges } from "../provider";
import { readEvents } from "./event-stream";
import { newId } from "./ids";
import type { PageQuery } from "./pages";
import { ASSISTANTS_OBJECT } from "./responses-assistants";
import type { AssistantInput } from "./assistant-records";
import type { RunLimits } from "./run-objects";
import { DEFAULT_EXPIRES_SECONDS } from "./run-request";
import { invalidRequest, unwrap } from "./rpc-outcome";
import type { MessageInput } from "./thread-messages";
import type { ThreadInit } from "./thread-service";

/** A response left `queued` this long fails its run (PROVIDERS-NOTES §1.4: it may never leave `queued`). */
export const DEFAULT_QUEUED_TIMEOUT_MS = 180_000;

const positive = (value: string | undefined) => {
  const number = Number(value);
  return Number.isFinite(number) && number > 0 ? number : undefined;
};

/** The run limits from `RUNCAST_RESPONSES_*` vars, with the Assistants defaults. */
export function runLimits(env: GatewayEnv): RunLimits {
  return {
    expiresInSeconds: positive(env.RUNCAST_RESPONSES_EXPIRES_SECONDS) ?? DEFAULT_EXPIRES_SECONDS,
    queuedTimeoutMs: positive(env.RUNCAST_RESPONSES_QUEUED_TIMEOUT_MS) ?? DEFAULT_QUEUED_TIMEOUT_MS,
  };
}

/** Azure's own tool types have no Responses counterpart: refused, naming the first, before anything is kept or sent. */
function refuseAzureTools(tools: ReadonlyArray<{ type: string }> | null | undefined): void {
  const index = tools?.findIndex(isAzureTool) ?? -1;
  if (index < 0) return;
  throw invalidRequest(
    `Tool type '${tools![index]!.type}' is Azure AI Foundry's; the responses provider runs function and code_interpreter tools (RUNCAST_PROVIDER=foundry serves Azure's).`,
    400,
    `tools[${index}].type`,
  );
}

/** The runs surface, plus the assistants, threads and messages CRUD that Responses has no home for. */
export type ResponsesProvider = RunsProvider & ReturnType<typeof crud>;

export function responsesProvider(env: GatewayEnv, overrides: Partial<RunLimits> = {}): ResponsesProvider {
  const limits = { ...runLimits(env), ...overrides };
  const thread = (threadId: string) => env.RESPONSES_THREADS.get(env.RESPONSES_THREADS.idFromName(threadId));
  return {
    ...crud(env),
    streamRun: async (threadId, params) => {
      refuseAzureTools(params.tools);
      return readEvents(unwrap(await thread(threadId).startRun(threadId, params, limits)));
    },
    streamThreadAndRun: async (params: CreateThreadAndRunInput) => {
      refuseAzureTools(params.tools);
      const threadId = newId("thread");
      return readEvents(unwrap(await thread(threadId).startThreadAndRun(threadId, params, limits)));
    },
    // No poll hint: the hub's own pace applies (the thread's object follows the upstream itself).
    retrieveRun: async (threadId, runId) => ({
      run: unwrap(await thread(threadId).retrieveRun(threadId, runId)),
      pollAfterMs: null,
    }),
    listRuns: async (threadId, query) => unwrap(await thread(threadId).listRuns(threadId, query)),
    updateRun: async (threadId, runId, metadata) => unwrap(await thread(threadId).updateRun(threadId, runId, metadata)),
    streamSubmitToolOutputs: async (threadId, runId, answers) => {
      // Approvals answer Foundry's MCP calls; a Responses run only ever waits for function outputs.
      if (answers.some(isApproval))
        throw invalidRequest(`Run ${runId} is waiting for tool outputs, not tool approvals.`, 400, "tool_approvals");
      const outputs = answers.filter((answer): answer is ToolOutput => !isApproval(answer));
      return readEvents(unwrap(await thread(threadId).submitToolOutputs(threadId, runId, outputs)));
    },
    cancelRun: async (threadId, runId) => unwrap(await thread(threadId).cancelRun(threadId, runId)),
    listSteps: async (threadId, runId, query) => unwrap(await thread(threadId).listSteps(threadId, runId, query)),
    retrieveStep: async (threadId, runId, stepId) =>
      unwrap(await thread(threadId).retrieveStep(threadId, runId, stepId)),
    listMessages: async (threadId, query) => unwrap(await thread(threadId).listMessages(threadId, query)),
    listAssistants: async (query) => crud(env).listAssistants(query),
  };
}

/** Assistants, threads and messages, as the Assistants API creates and reads them (ids Runcast's, or the conversation's). */
function crud(env: GatewayEnv) {
  const assistants = () => env.RESPONSES_ASSISTANTS.get(env.RESPONSES_ASSISTANTS.idFromName(ASSISTANTS_OBJECT));
  const thread = (threadId: string) => env.RESPONSES_THREADS.get(env.RESPONSES_THREADS.idFromName(threadId));
  return {
    createAssistant: async (input: AssistantInput & { model: string }): Promise<Assistant> => {
      refuseAzureTools(input.tools);
      return unwrap(await assistants().create(input));
    },
    retrieveAssistant: async (id: string): Promise<Assistant> => unwrap(await assistants().retrieve(id)),
    updateAssistant: async (id: string, input: AssistantInput): Promise<Assistant> => {
      refuseAzureTools(input.tools);
      return unwrap(await assistants().update(id, input));
    },
    deleteAssistant: async (id: string) => unwrap(await assistants().delete(id)),
    listAssistants: async (query: PageQuery): Promise<ListPage<Assistant>> => unwrap(await assistants().list(query)),
    createThread: async (init: ThreadInit = {}) => {
      const threadId = newId("thread");
      return unwrap(await thread(threadId).createThread(threadId, init));
    },
    retrieveThread: async (threadId: string) => unwrap(await thread(threadId).retrieveThread(threadId)),
    // A thread's tool resources are kept as created; a change to them is refused rather than silently dropped.
    updateThread: async (threadId: string, changes: ThreadChanges) => {
      if (changes.tool_resources != null)
        throw invalidRequest(
          "Changing a thread's tool_resources is not supported with the responses provider.",
          400,
          "tool_resources",
        );
      return changes.metadata === undefined
        ? unwrap(await thread(threadId).retrieveThread(threadId))
        : unwrap(await thread(threadId).updateThread(threadId, changes.metadata));
    },
    deleteThread: async (threadId: string) => unwrap(await thread(threadId).deleteThread(threadId)),
    createMessage: async (threadId: string, input: MessageInput) =>
      unwrap(await thread(threadId).createMessage(threadId, input)),
    retrieveMessage: async (threadId: string, messageId: string) =>
      unwrap(await thread(threadId).retrieveMessage(threadId, messageId)),
  };
}
