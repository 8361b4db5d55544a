// The one interface every upstream sits behind: the hub and the procedures depend on this, never on a provider's quirks.
import type { Assistant, AssistantDeleted } from "openai/resources/beta/assistants";
import type { Message } from "openai/resources/beta/threads/messages";
import type { Run } from "openai/resources/beta/threads/runs/runs";
import type { RunStep } from "openai/resources/beta/threads/runs/steps";
import type { Thread, ThreadDeleted } from "openai/resources/beta/threads/threads";
import type { CreateAssistantInput, UpdateAssistantInput } from "../schemas/assistants";
import type {
  CreateRunInput,
  CreateThreadAndRunInput,
  ListMessagesInput,
  ListRunsInput,
  ListStepsInput,
  ToolAnswer,
} from "../schemas/runs";
import type { CreateMessageInput, CreateThreadInput, UpdateThreadInput } from "../schemas/threads";

export type { Assistant, AssistantDeleted, Message, Run, RunStep, Thread, ThreadDeleted };

/** A list page exactly as the upstream shapes it. */
export interface ListPage<T> {
  object: "list";
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** One event of a run's stream, as the upstream sent it: its name and its parsed data. */
export interface UpstreamEvent {
  event: string;
  data: unknown;
}

/** A streaming answer: the events, and a way to stop reading (which releases the connection). */
export interface UpstreamStream extends AsyncIterable<UpstreamEvent> {
  abort(): void;
}

export type RunParams = Omit<CreateRunInput, "thread_id">;
export type ListQuery = Omit<ListRunsInput, "thread_id">;
export type StepsQuery = Omit<ListStepsInput, "thread_id" | "run_id">;
export type MessagesQuery = Omit<ListMessagesInput, "thread_id">;
export type AssistantChanges = Omit<UpdateAssistantInput, "assistant_id">;
export type ThreadChanges = Omit<UpdateThreadInput, "thread_id">;
export type NewMessage = Omit<CreateMessageInput, "thread_id">;

export interface RunsProvider {
  /** Creation streams (the hub needs the events anyway); the stream's first run event carries the new run. */
  streamRun(threadId: string, params: RunParams): Promise<UpstreamStream>;
  streamThreadAndRun(params: CreateThreadAndRunInput): Promise<UpstreamStream>;
  /** `pollAfterMs` is the upstream's `openai-poll-after-ms` hint, when it gave one. */
  retrieveRun(threadId: string, runId: string): Promise<{ run: Run; pollAfterMs: number | null }>;
  listRuns(threadId: string, query: ListQuery): Promise<ListPage<Run>>;
  updateRun(threadId: string, runId: string, metadata: Record<string, string> | null): Promise<Run>;
  /** Outputs, or (Foundry) approvals: each goes upstream in its own field of the one request. */
  streamSubmitToolOutputs(threadId: string, runId: string, answers: ToolAnswer[]): Promise<UpstreamStream>;
  cancelRun(threadId: string, runId: string): Promise<Run>;
  listSteps(threadId: string, runId: string, query: StepsQuery): Promise<ListPage<RunStep>>;
  retrieveStep(threadId: string, runId: string, stepId: string, include?: StepsQuery["include"]): Promise<RunStep>;
  listMessages(threadId: string, query: MessagesQuery): Promise<ListPage<Message>>;
  createMessage(threadId: string, message: NewMessage): Promise<Message>;
  retrieveMessage(threadId: string, messageId: string): Promise<Message>;
  listAssistants(query: ListQuery): Promise<ListPage<Assistant>>;
  createAssistant(params: CreateAssistantInput): Promise<Assistant>;
  retrieveAssistant(assistantId: string): Promise<Assistant>;
  updateAssistant(assistantId: string, changes: AssistantChanges): Promise<Assistant>;
  deleteAssistant(assistantId: string): Promise<AssistantDeleted>;
  createThread(params: CreateThreadInput): Promise<Thread>;
  retrieveThread(threadId: string): Promise<Thread>;
  updateThread(threadId: string, changes: ThreadChanges): Promise<Thread>;
  deleteThread(threadId: string): Promise<ThreadDeleted>;
}
