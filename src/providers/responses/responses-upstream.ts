// The Responses and Conversations calls a thread makes, through the official SDK: its SSE parser flushes a last event
// that lacks its blank line (openai-node#2726, in the installed 7.57), so no parser of our own is needed.
import { APIError, type OpenAI } from "openai";
import type { Stream } from "openai/core/streaming";
import type {
  Response,
  ResponseCreateParamsStreaming,
  ResponseInputItem,
  ResponseStreamEvent,
} from "openai/resources/responses/responses";
import { toUpstreamError, UpstreamError } from "../../errors/upstream-error";
import type { ResponsesEvent } from "./snapshot";

/** An open Responses stream: its events (an `error` frame included, as an event), and a way to let go of it. */
export interface ResponsesStream extends AsyncIterable<ResponsesEvent> {
  abort(): void;
}

/** Backoff for `conversation_locked`: another response still holds the conversation, usually for seconds. */
export const LOCK_RETRY = { attempts: 8, firstDelayMs: 250, maxDelayMs: 4_000 };

const WRITE = { maxRetries: 0 } as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Error frames make the SDK throw an APIError with no status; they are the stream's last event, told as one. */
function asResponsesStream(stream: Stream<ResponseStreamEvent>): ResponsesStream {
  return {
    abort: () => stream.controller.abort(),
    async *[Symbol.asyncIterator]() {
      try {
        for await (const event of stream) yield event as unknown as ResponsesEvent;
      } catch (error) {
        if (error instanceof APIError && error.status === undefined && error.error) {
          yield { type: "error", error: error.error as Record<string, unknown> };
          return;
        }
        throw error;
      }
    },
  };
}

async function call<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toUpstreamError(error);
  }
}

export const isConversationLocked = (error: unknown) =>
  error instanceof UpstreamError && error.details.code === "conversation_locked";

export class ResponsesUpstream {
  constructor(
    private readonly client: OpenAI,
    private readonly lockRetry = LOCK_RETRY,
  ) {}

  createConversation(): Promise<{ id: string }> {
    return call(() => this.client.conversations.create({}, WRITE));
  }

  /** Adds items (at most 20 a call, the upstream's limit) and answers their ids, in order. */
  async addItems(conversationId: string, items: ResponseInputItem[]): Promise<string[]> {
    const ids: string[] = [];
    for (let at = 0; at < items.length; at += 20) {
      const added = await call(() =>
        this.client.conversations.items.create(conversationId, { items: items.slice(at, at + 20) }, WRITE),
      );
      ids.push(...added.data.map((item) => (item as { id: string }).id));
    }
    return ids;
  }

  /** Creates a response; a locked conversation is waited out with backoff (PROVIDERS-NOTES, corrections). */
  async create(body: ResponseCreateParamsStreaming): Promise<ResponsesStream> {
    for (let attempt = 0; ; attempt++) {
      try {
        return asResponsesStream(await call(() => this.client.responses.create(body, WRITE)));
      } catch (error) {
        if (!isConversationLocked(error) || attempt + 1 >= this.lockRetry.attempts) throw error;
        await sleep(Math.min(this.lockRetry.firstDelayMs * 2 ** attempt, this.lockRetry.maxDelayMs));
      }
    }
  }

  /** Re-attaches to a background stream after `after`; the upstream refuses past its window (400) or never streamed (404). */
  async resume(id: string, after: number): Promise<ResponsesStream> {
    const stream = await call(() =>
      this.client.responses.retrieve(id, { stream: true, ...(after >= 0 ? { starting_after: after } : {}) }),
    );
    return asResponsesStream(stream);
  }

  retrieve(id: string): Promise<Response> {
    return call(() => this.client.responses.retrieve(id));
  }

  cancel(id: string): Promise<Response> {
    return call(() => this.client.responses.cancel(id, WRITE));
  }
}
