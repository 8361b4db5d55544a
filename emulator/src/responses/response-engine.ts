// Applies a response's planned operations when they fall due, updating the response and appending the events they produce.
import { countTokens } from "../reply";
import type { ResponseKnobs } from "../settings";
import type { ResponseOp } from "./response-plan";
import {
  seconds,
  type FunctionCallItem,
  type MessageItem,
  type OutputItem,
  type OutputText,
  type ResponseObject,
} from "./response-objects";
import type { ResponseStore } from "./response-store";

/** A response's private state beside its public object: the plan, how far it has got, and how it was asked for. */
export interface ResponseState {
  plan: ResponseOp[];
  cursor: number;
  knobs: ResponseKnobs;
  input_tokens: number;
  created_ms: number;
  /** How many of its conversation's items came before it: its context, when a later response chains onto it. */
  conversation_items: number;
  /** Created with `stream: true`: only such background responses can be streamed again. */
  stream: boolean;
  /** `stream_options.include_obfuscation` of the create request (default true). */
  obfuscate: boolean;
  http_errors_left: number;
}

/** Events after which a response's stream ends: the upstream closes the connection, with no `[DONE]`. */
export const TERMINAL_EVENTS = new Set(["response.completed", "response.failed", "response.incomplete", "error"]);

/** The `error` frame of a rate-limited stream as captured upstream (openai/openai-dotnet#881). */
const STREAM_ERROR = {
  type: "too_many_requests",
  code: "too_many_requests",
  message: "Too Many Requests",
  param: null,
};

export const isActive = (response: ResponseObject) => response.status === "queued" || response.status === "in_progress";

const emptyPart = (): OutputText => ({ type: "output_text", text: "", annotations: [], logprobs: [] });

export class ResponseEngine {
  constructor(
    private readonly store: ResponseStore,
    private readonly changed: (responseId: string) => void,
  ) {}

  /** Stores a new response; its log opens with `response.created`, then `response.queued` when it runs in the background. */
  start(response: ResponseObject, state: ResponseState): void {
    this.store.insertResponse(response, state);
    this.store.appendEvent(response.id, "response.created", { response });
    if (response.status === "queued") this.store.appendEvent(response.id, "response.queued", { response });
  }

  /** Applies every operation due by `now`. */
  advance(responseId: string, now: number): void {
    const state = this.store.state<ResponseState>(responseId);
    let response = this.store.response(responseId);
    if (!state || !response) return;
    let applied = 0;
    while (isActive(response)) {
      const next = state.plan[state.cursor];
      if (!next || next.at > now) break;
      response = this.apply(response, state, next);
      state.cursor++;
      applied++;
    }
    if (applied > 0) {
      this.store.putState(responseId, state);
      this.changed(responseId);
    }
  }

  /** When the response next changes on its own; null once it has ended. */
  nextChangeAt(responseId: string): number | null {
    const response = this.store.response(responseId);
    const state = this.store.state<ResponseState>(responseId);
    if (!response || !state || !isActive(response)) return null;
    return state.plan[state.cursor]?.at ?? null;
  }

  /**
   * Cancels at once: the status becomes `cancelled`, usage stays null, open items stay `in_progress` (the spec's
   * example), and the rest of the plan is dropped. No stream event announces it; open streams just end.
   */
  cancel(responseId: string): ResponseObject {
    const state = this.store.state<ResponseState>(responseId)!;
    const response: ResponseObject = { ...this.store.response(responseId)!, status: "cancelled", usage: null };
    state.cursor = state.plan.length;
    this.store.updateResponse(response);
    this.store.putState(responseId, state);
    this.changed(responseId);
    return response;
  }

  private emit(response: ResponseObject, type: string, payload: Record<string, unknown>): void {
    this.store.appendEvent(response.id, type, payload);
  }

  private located<T extends OutputItem>(response: ResponseObject, itemId: string) {
    const output_index = response.output.findIndex((item) => item.id === itemId);
    return { output_index, item: response.output[output_index] as T };
  }

  private apply(response: ResponseObject, state: ResponseState, op: ResponseOp): ResponseObject {
    switch (op.type) {
      case "in_progress": {
        const updated: ResponseObject = { ...response, status: "in_progress" };
        this.store.updateResponse(updated);
        this.emit(updated, "response.in_progress", { response: updated });
        return updated;
      }
      case "message_added": {
        const item: MessageItem = {
          id: op.item_id,
          type: "message",
          status: "in_progress",
          role: "assistant",
          content: [],
        };
        response.output.push(item);
        const output_index = response.output.length - 1;
        this.emit(response, "response.output_item.added", { output_index, item });
        item.content.push(emptyPart());
        this.emit(response, "response.content_part.added", {
          item_id: item.id,
          output_index,
          content_index: 0,
          part: emptyPart(),
        });
        break;
      }
      case "text": {
        const { output_index, item } = this.located<MessageItem>(response, op.item_id);
        (item.content[0] as OutputText).text += op.delta;
        const stamp = state.knobs.stamp ? { emulator_emitted_at_ms: Date.now() } : {};
        this.emit(response, "response.output_text.delta", {
          item_id: item.id,
          output_index,
          content_index: 0,
          delta: op.delta,
          logprobs: [],
          ...stamp,
        });
        break;
      }
      case "message_done": {
        const { output_index, item } = this.located<MessageItem>(response, op.item_id);
        const part = item.content[0] as OutputText;
        const ids = { item_id: item.id, output_index, content_index: 0 };
        this.emit(response, "response.output_text.done", { ...ids, text: part.text, logprobs: [] });
        this.emit(response, "response.content_part.done", { ...ids, part });
        item.status = op.status;
        this.emit(response, "response.output_item.done", { output_index, item });
        break;
      }
      case "call_added": {
        const item: FunctionCallItem = {
          id: op.item_id,
          type: "function_call",
          status: "in_progress",
          arguments: "",
          call_id: op.call_id,
          name: op.name,
        };
        response.output.push(item);
        this.emit(response, "response.output_item.added", { output_index: response.output.length - 1, item });
        break;
      }
      case "arguments": {
        const { output_index, item } = this.located<FunctionCallItem>(response, op.item_id);
        item.arguments += op.delta;
        this.emit(response, "response.function_call_arguments.delta", {
          item_id: item.id,
          output_index,
          delta: op.delta,
        });
        break;
      }
      case "call_done": {
        const { output_index, item } = this.located<FunctionCallItem>(response, op.item_id);
        this.emit(response, "response.function_call_arguments.done", {
          item_id: item.id,
          output_index,
          name: item.name,
          arguments: item.arguments,
        });
        item.status = "completed";
        this.emit(response, "response.output_item.done", { output_index, item });
        break;
      }
      case "end":
        return this.end(response, state, op);
      case "stream_error":
        return this.streamError(response, op);
    }
    this.store.updateResponse(response);
    return response;
  }

  /**
   * The stream ends with an `error` event instead of a lifecycle event: nested (`{type, sequence_number, error: {…}}`)
   * as upstream frames are, or flat (`code`, `message`, `param` beside `type`) as the spec's ResponseErrorEvent is. The
   * response itself is failed, as a poll then shows it.
   */
  private streamError(response: ResponseObject, op: Extract<ResponseOp, { type: "stream_error" }>): ResponseObject {
    const failed: ResponseObject = {
      ...response,
      status: "failed",
      output: response.output.map((item) => ({ ...item, status: "incomplete" as const })),
      error: { code: "rate_limit_exceeded", message: STREAM_ERROR.message },
    };
    this.store.updateResponse(failed);
    const { code, message, param } = STREAM_ERROR;
    this.emit(failed, "error", op.shape === "nested" ? { error: STREAM_ERROR } : { code, message, param });
    return failed;
  }

  private end(
    response: ResponseObject,
    state: ResponseState,
    op: Extract<ResponseOp, { type: "end" }>,
  ): ResponseObject {
    const output = response.output.map((item) =>
      item.status === "in_progress" ? { ...item, status: "incomplete" as const } : item,
    );
    const outputTokens = output.reduce(
      (sum, item) =>
        sum +
        (item.type === "message"
          ? item.content.reduce((words, part) => words + countTokens(part.text ?? ""), 0)
          : countTokens(item.arguments.replace(/[{}",:]/g, " "))),
      0,
    );
    const ended: ResponseObject = {
      ...response,
      status: op.status,
      output,
      completed_at: op.status === "completed" ? seconds(op.at) : null,
      error: op.error ?? null,
      incomplete_details: op.reason ? { reason: op.reason } : null,
      usage: {
        input_tokens: state.input_tokens,
        input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
        output_tokens: outputTokens,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: state.input_tokens + outputTokens,
      },
    };
    this.store.updateResponse(ended);
    // The conversation gets the response's input and output once it has ended with output (the spec: "after it completes").
    if (ended.conversation && op.status !== "failed")
      this.store.append(ended.conversation.id, [...this.store.listed(ended.id), ...output]);
    this.emit(ended, `response.${op.status}`, { response: ended });
    return ended;
  }
}
