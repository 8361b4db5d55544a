// Every operation on the responses of one home, as the upstream performs it; the routes only parse and answer.
import { ApiError, badRequest } from "../api-error";
import type { ListResponse, PageParams } from "../pagination";
import { countTokens, plannedToolCalls, replyText, toolResultText } from "../reply";
import { resolveResponseKnobs, type Settings } from "../settings";
import { injectedHttpError } from "../thread-service";
import { conversationNotFound, type ConversationService } from "./conversation-service";
import { responseIdIn } from "./homes";
import { isActive, ResponseEngine, type ResponseState } from "./response-engine";
import { newResponse, itemText, type CreateResponseBody, type Item, type ResponseObject } from "./response-objects";
import { planResponse } from "./response-plan";
import { responseSse, type ResponseStreamSource } from "./response-stream";
import type { ResponseStore } from "./response-store";
import { toolsForRules } from "./tool-rules";

/** What the service needs from the Durable Object it lives in. */
export interface ResponseHost {
  settings(): Promise<Settings>;
  /** Wakes the streams and waiting requests of a response after its log changed. */
  changed(responseId: string): void;
  waitForChange(responseId: string, until: number | null): Promise<void>;
}

/** A response's answer: its object, or a stream of its events when the request asked for one. */
export type ResponseAnswer = { response: ResponseObject } | { stream: Response; firstByteDelayMs: number };

export const responseNotFound = (id: string) => new ApiError(404, `Response with id '${id}' not found.`);

/** The text of an item, for token counts and for the scripted reply rules. */
const textOf = (item: Item) =>
  item.type === "message"
    ? itemText(item)
    : item.type === "function_call"
      ? item.arguments
      : typeof item.output === "string"
        ? item.output
        : item.output.map((part) => part.text ?? "").join("\n");

export class ResponseService {
  private readonly engine: ResponseEngine;

  constructor(
    private readonly store: ResponseStore,
    private readonly conversations: ConversationService,
    private readonly host: ResponseHost,
  ) {
    this.engine = new ResponseEngine(store, (id) => host.changed(id));
  }

  private get streams(): ResponseStreamSource {
    return {
      advance: (id) => this.engine.advance(id, Date.now()),
      eventsAfter: (id, seq) => this.store.eventsAfter(id, seq),
      settled: (id) => {
        const response = this.store.response(id);
        return !response || !isActive(response);
      },
      nextChangeAt: (id) => this.engine.nextChangeAt(id),
      waitForChange: (id, until) => this.host.waitForChange(id, until),
      reserveKeepalive: (id) => this.store.appendEvent(id, "keepalive", {}),
    };
  }

  /** Brings every response that may have moved on up to now; called before any read or write. */
  catchUp(): void {
    const now = Date.now();
    for (const id of this.store.activeResponseIds()) this.engine.advance(id, now);
  }

  /**
   * Everything a response saw and said: the responses before it in its chain (or the conversation's items it started
   * from), its input, its output.
   */
  private contextOf(response: ResponseObject): Item[] {
    const previous = response.previous_response_id ? this.store.response(response.previous_response_id) : undefined;
    const state = this.store.state<ResponseState>(response.id);
    const before = previous
      ? this.contextOf(previous)
      : response.conversation
        ? this.store.listed(response.conversation.id).slice(0, state?.conversation_items ?? 0)
        : [];
    return [...before, ...this.store.listed(response.id), ...response.output];
  }

  async create(home: string, body: CreateResponseBody): Promise<ResponseAnswer> {
    const settings = await this.host.settings();
    // Checked after the only await, so two creations at once cannot both find the conversation free.
    this.catchUp();
    const conversationId = typeof body.conversation === "string" ? body.conversation : (body.conversation?.id ?? null);
    let context: Item[] = [];
    if (conversationId) {
      this.conversations.conversation(conversationId, "conversation");
      if (this.store.activeResponseIds(conversationId).length > 0)
        throw badRequest(
          "Another process is currently operating on this conversation. Please retry in a few seconds.",
          "conversation",
          "conversation_locked",
        );
      context = this.store.listed(conversationId);
    } else if (body.previous_response_id) {
      const previous = this.store.response(body.previous_response_id);
      if (!previous || !previous.store)
        throw badRequest(
          `Previous response with id '${body.previous_response_id}' not found.`,
          "previous_response_id",
          "previous_response_not_found",
        );
      context = this.contextOf(previous);
    }
    const knobs = resolveResponseKnobs(settings, body.metadata ?? {});
    this.store.create();
    const input = this.conversations.resolve(
      typeof body.input === "string" ? [{ role: "user", content: body.input }] : (body.input ?? []),
      "input",
    );
    const answered = checkToolOutputs(context, input);

    const now = Date.now();
    const response = newResponse(responseIdIn(home), now, body, conversationId);
    const all = [...context, ...input];
    const inputTokens =
      countTokens(response.instructions ?? "") + all.reduce((sum, i) => sum + countTokens(textOf(i)), 0);
    const lastUser = all.filter((item) => item.type === "message" && item.role === "user").at(-1);
    const tools = toolsForRules(body.tools ?? [], body.tool_choice);
    const plan = planResponse(knobs, {
      now,
      // Tool outputs are answered with text, as the Assistants surface answers submitted outputs.
      calls: answered.length
        ? []
        : plannedToolCalls(tools.tools, tools.choice, response.parallel_tool_calls, lastUser ? textOf(lastUser) : ""),
      reply: answered.length
        ? toolResultText(answered, knobs.reply_words)
        : replyText(lastUser ? textOf(lastUser) : "", knobs.reply_words),
      maxOutputTokens: response.max_output_tokens,
    });
    const state: ResponseState = {
      plan,
      cursor: 0,
      knobs,
      input_tokens: inputTokens,
      created_ms: now,
      conversation_items: conversationId ? context.length : 0,
      stream: body.stream ?? false,
      obfuscate: body.stream_options?.include_obfuscation ?? true,
      http_errors_left: knobs.http_errors?.count ?? 0,
    };
    this.engine.start(response, state);
    this.store.append(response.id, input);

    if (body.stream) return this.stream(response.id, state, -1, state.obfuscate);
    // A chained response can come back unfinished even in the foreground (notes: "Chained responses"): callers must poll.
    if (response.background || response.previous_response_id) return { response };
    return { response: await this.settle(response.id) };
  }

  /** Waits for a foreground response to end, as the upstream holds the request open. */
  private async settle(id: string): Promise<ResponseObject> {
    for (;;) {
      this.engine.advance(id, Date.now());
      const response = this.store.response(id)!;
      if (!isActive(response)) return response;
      await this.host.waitForChange(id, this.engine.nextChangeAt(id));
    }
  }

  private stream(id: string, state: ResponseState, after: number, obfuscate: boolean): ResponseAnswer {
    const { cut_after, keepalive_ms, first_byte_ms } = state.knobs;
    return {
      stream: responseSse(this.streams, id, { after, cut_after, keepalive_ms, obfuscate }),
      firstByteDelayMs: first_byte_ms,
    };
  }

  /** A stored response; with the `emulator_http_errors` knob, the next requests naming it fail first. */
  response(id: string): ResponseObject {
    this.catchUp();
    const response = this.store.response(id);
    if (!response || !response.store) throw responseNotFound(id);
    const state = this.store.state<ResponseState>(id)!;
    if (state.knobs.http_errors && state.http_errors_left > 0) {
      state.http_errors_left--;
      this.store.putState(id, state);
      throw injectedHttpError(state.knobs.http_errors.status, state.knobs.http_errors.retry_after);
    }
    return response;
  }

  /** `GET …?stream=true`: replays the log after `starting_after`, then follows it live, for background streams only. */
  resume(id: string, startingAfter: number, obfuscate: boolean): ResponseAnswer {
    const response = this.response(id);
    const state = this.store.state<ResponseState>(id)!;
    if (!response.background)
      throw badRequest("This response cannot be streamed because it was not created with background=true.");
    // The background guide: "you can only start a new stream from a background response if you created it with stream=true".
    if (!state.stream)
      throw badRequest("This response cannot be streamed because it was not created with stream=true.");
    const window = state.knobs.resume_window_ms;
    if (Date.now() - state.created_ms > window)
      throw badRequest(`This response can no longer be streamed because it is more than ${age(window)} old`);
    return this.stream(id, state, startingAfter, obfuscate);
  }

  cancel(id: string): ResponseObject {
    const response = this.response(id);
    if (!response.background) throw badRequest("Only responses created with background=true can be cancelled.");
    if (response.status === "cancelled") return response;
    if (!isActive(response)) throw badRequest(`Cannot cancel a ${response.status} response.`);
    return this.engine.cancel(id);
  }

  delete(id: string) {
    this.response(id);
    this.store.deleteResponse(id);
    this.host.changed(id);
    return { id, object: "response" as const, deleted: true };
  }

  inputItems(id: string, page: PageParams): ListResponse<Item> {
    this.response(id);
    return this.store.page(id, page);
  }
}

/** "5 minutes" for the upstream's window; a configured one in whole minutes, or else in seconds. */
function age(ms: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return ms % 60_000 === 0 ? unit(ms / 60_000, "minute") : unit(Math.max(1, Math.round(ms / 1000)), "second");
}

/**
 * Function-call bookkeeping, as the upstream checks it: every output must answer a call the model made, and every call
 * made before this input must be answered. Returns the answered calls (name and output), in input order.
 */
function checkToolOutputs(context: Item[], input: Item[]): Array<{ name: string; output: string }> {
  const calls = new Map(
    [...context, ...input].flatMap((item) => (item.type === "function_call" ? [[item.call_id, item] as const] : [])),
  );
  const answeredIds = new Set(
    [...context, ...input].flatMap((item) => (item.type === "function_call_output" ? [item.call_id] : [])),
  );
  const answered: Array<{ name: string; output: string }> = [];
  for (const item of input) {
    if (item.type !== "function_call_output") continue;
    const call = calls.get(item.call_id);
    if (!call) throw badRequest(`No tool call found for function call output with call_id ${item.call_id}.`, "input");
    answered.push({ name: call.name, output: textOf(item) });
  }
  for (const item of context)
    if (item.type === "function_call" && !answeredIds.has(item.call_id))
      throw badRequest(`No tool output found for function call ${item.call_id}.`, "input");
  return answered;
}
