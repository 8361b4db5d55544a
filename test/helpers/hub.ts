// Subscribers of a run's hub through the real @trpc/client: wsLink over /ws/threads/{t}/runs/{r} (WorkerWebSocket), and
// httpSubscriptionLink over /trpc with the `eventsource` package's EventSource, both driving the gateway Worker's fetch handler.
import {
  createTRPCClient,
  createWSClient,
  httpSubscriptionLink,
  wsLink,
  type TRPCClientError,
  type TRPCWebSocketClient,
} from "@trpc/client";
import { EventSource } from "eventsource";
import type { AppRouter } from "../../src/client";
import type { inferRouterOutputs } from "@trpc/server";
import { GATEWAY, gatewayFetch, gatewaySdk } from "./emulator";
import { WorkerWebSocket } from "./worker-websocket";

/** One event as a subscriber received it: its event id (the hub's sequence number), name and data. */
export interface Received {
  id: number;
  event: string;
  data: unknown;
}

export type Via = "ws" | "sse";

export const TERMINAL_EVENTS = [
  "thread.run.completed",
  "thread.run.incomplete",
  "thread.run.failed",
  "thread.run.cancelled",
  "thread.run.expired",
];

export const wsUrl = (threadId: string, runId: string) => `ws://runcast.test/ws/threads/${threadId}/runs/${runId}`;

/** A WorkerWebSocket that keeps every frame it sent and received, for assertions on the wire. */
export class RecordingWebSocket extends WorkerWebSocket {
  readonly sent: string[] = [];
  readonly received: string[] = [];

  constructor(url: string, headers: Record<string, string> = {}) {
    super(url, headers);
    this.addEventListener("message", (event) => {
      this.received.push(String((event as MessageEvent).data));
    });
  }

  override send(data: string) {
    this.sent.push(data);
    super.send(data);
  }

  /** Resolves once the socket is open (rejects if the upgrade was refused). */
  opened(): Promise<void> {
    if (this.readyState === WorkerWebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.addEventListener("open", () => resolve(), { once: true });
      this.addEventListener(
        "close",
        () => reject(new Error(`socket closed before opening: ${JSON.stringify(this.closes)}`)),
        { once: true },
      );
    });
  }

  /** Resolves with the first close this socket receives. */
  closed(): Promise<{ code: number; reason: string }> {
    if (this.closes[0]) return Promise.resolve(this.closes[0]);
    return new Promise((resolve) => this.addEventListener("close", () => resolve(this.closes[0]!), { once: true }));
  }

  /** Resolves once a received tRPC message (PING/PONG left out) satisfies `predicate`, with that message. */
  waitFor(predicate: (frame: Record<string, any>) => boolean, timeoutMs = 5_000): Promise<Record<string, any>> {
    const hit = this.messages().find(predicate);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.removeEventListener("message", check);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${this.received.slice(-5).join(" | ")}`));
      }, timeoutMs);
      const check = (event: Event) => {
        const hit = messagesIn(String((event as MessageEvent).data)).find(predicate);
        if (!hit) return;
        clearTimeout(timer);
        this.removeEventListener("message", check);
        resolve(hit);
      };
      this.addEventListener("message", check);
    });
  }

  /** The tRPC messages received, in order: frames of many (`?frames=batch`) expanded, PING/PONG left out. */
  messages(): Array<Record<string, any>> {
    return this.received.flatMap(messagesIn);
  }
}

/** The tRPC messages one frame carries: none for PING/PONG, several for a batched frame (a JSON array). */
function messagesIn(frame: string): Array<Record<string, any>> {
  if (frame === "PING" || frame === "PONG") return [];
  const parsed = JSON.parse(frame) as Record<string, any> | Array<Record<string, any>>;
  return Array.isArray(parsed) ? parsed : [parsed];
}

/** A wsLink client on one run's socket; every socket it opens (reconnects included) is kept in `sockets`. */
export function wsRuncast(threadId: string, runId: string) {
  const sockets: RecordingWebSocket[] = [];
  const Socket = class extends RecordingWebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  };
  const wsClient = createWSClient({
    url: wsUrl(threadId, runId),
    WebSocket: Socket as unknown as typeof WebSocket,
    retryDelayMs: () => 20,
  });
  const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
  return { client, wsClient, sockets };
}

export interface SseRequest {
  url: string;
  lastEventId: string | null;
}

export interface SseOptions {
  /** Ends the first response after this many tracked events (a dropped connection); EventSource then reconnects. */
  cutAfter?: number;
}

/**
 * The gateway's fetch for EventSource, recording each request's `Last-Event-ID`. A response it cuts is ended after
 * `cutAfter` events, with a `retry: 20` hint first so the reconnect comes quickly (EventSource waits 3 s by default).
 */
function sseFetch(requests: SseRequest[], options: SseOptions) {
  return async (url: string | URL, init: RequestInit): Promise<Response> => {
    const headers = new Headers(init.headers);
    requests.push({ url: String(url), lastEventId: headers.get("last-event-id") });
    const response = await gatewayFetch(url, init);
    if (options.cutAfter === undefined || requests.length > 1 || !response.body) return response;
    const limit = options.cutAfter;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const encoder = new TextEncoder();
    let buffer = "";
    let tracked = 0;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode("retry: 20\n\n"));
      },
      // Whole SSE blocks only; each pull enqueues at least one (a pull that enqueues nothing is not called again).
      async pull(controller) {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return controller.close();
          buffer += value;
          let end: number;
          let enqueued = false;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end + 2);
            buffer = buffer.slice(end + 2);
            controller.enqueue(encoder.encode(block));
            enqueued = true;
            if (/^id: /m.test(block) && ++tracked >= limit) {
              await reader.cancel().catch(() => undefined);
              return controller.close();
            }
          }
          if (enqueued) return;
        }
      },
      cancel() {
        return reader.cancel();
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
}

/** An httpSubscriptionLink client over /trpc; `requests` lists what each EventSource connection asked for. */
export function sseRuncast(options: SseOptions = {}) {
  const requests: SseRequest[] = [];
  const client = createTRPCClient<AppRouter>({
    links: [
      httpSubscriptionLink({
        url: `${GATEWAY}/trpc`,
        EventSource,
        eventSourceOptions: { fetch: sseFetch(requests, options) },
      }),
    ],
  });
  return { client, requests };
}

type Yielded<T> = T extends AsyncIterable<infer U> ? U : never;
/** One event as the typed client delivers it (`data` of a tracked `{ id, data }`): the run event union, as JSON. */
export type ClientRunEvent = Yielded<inferRouterOutputs<AppRouter>["runs"]["events"]>["data"];

/** The text a message delta adds, read through the typed event union (no casts). */
export function deltaText(event: ClientRunEvent): string {
  if (event.event !== "thread.message.delta") return "";
  let text = "";
  for (const part of event.data.delta.content ?? []) if (part.type === "text") text += part.text?.value ?? "";
  return text;
}

export interface WatchOptions {
  via: Via;
  lastEventId?: string;
  /** Unsubscribes after this many events (as a subscriber leaving); `done` then resolves without completion. */
  stopAfter?: number;
  /** SSE only: cut the first connection after this many events (see `sseRuncast`). */
  cutAfter?: number;
  /** WS only: subscribe on this client's socket instead of a new one. */
  ws?: ReturnType<typeof wsRuncast>;
}

export interface WatchResult {
  events: Received[];
  text: string;
  /** The subscription ended by itself (tRPC `stopped`, then complete), not by the subscriber leaving. */
  completed: boolean;
}

export interface Watcher {
  events: Received[];
  readonly text: string;
  /** Resolves when the subscription completes (or the subscriber stops); rejects on a subscription error. */
  done: Promise<WatchResult>;
  /** Resolves when the link reports `started`. */
  started: Promise<void>;
  /** Resolves once `predicate` holds for the events received so far. */
  until(predicate: (events: Received[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Leaves: unsubscribes and closes the client's socket. */
  stop(): void;
  ws?: ReturnType<typeof wsRuncast>;
  sse?: ReturnType<typeof sseRuncast>;
  /** Connection states wsLink/httpSubscriptionLink reported (reconnects show as `connecting`). */
  states: string[];
}

const open = new Set<Watcher>();

/** Subscribes to `runs.events` of a run and collects what the typed client delivers. */
export function watchRun(threadId: string, runId: string, options: WatchOptions): Watcher {
  const ws = options.via === "ws" ? (options.ws ?? wsRuncast(threadId, runId)) : undefined;
  const sse =
    options.via === "sse"
      ? sseRuncast(options.cutAfter === undefined ? {} : { cutAfter: options.cutAfter })
      : undefined;
  const client = ws?.client ?? sse!.client;
  const events: Received[] = [];
  const states: string[] = [];
  let text = "";
  let completed = false;
  const waiters = new Set<() => void>();
  let resolveDone!: (result: WatchResult) => void;
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<WatchResult>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  let resolveStarted!: () => void;
  const started = new Promise<void>((resolve) => (resolveStarted = resolve));
  let stopped = false;
  const finish = () => {
    open.delete(watcher);
    if (!options.ws) void ws?.wsClient.close();
  };

  const input = {
    thread_id: threadId,
    run_id: runId,
    ...(options.lastEventId !== undefined ? { lastEventId: options.lastEventId } : {}),
  };
  const subscription = client.runs.events.subscribe(input, {
    onStarted: () => resolveStarted(),
    onData: ({ id, data }) => {
      events.push({ id: Number(id), event: data.event, data: data.data });
      text += deltaText(data);
      for (const waiter of [...waiters]) waiter();
      if (options.stopAfter !== undefined && events.length >= options.stopAfter && !stopped) watcher.stop();
    },
    onStopped: () => {
      completed = true;
    },
    onComplete: () => {
      finish();
      resolveDone({ events, text, completed: completed && !stopped });
    },
    onError: (error: TRPCClientError<AppRouter>) => {
      finish();
      rejectDone(error);
    },
    onConnectionStateChange: (state) => states.push(state.state),
  });

  const watcher: Watcher = {
    events,
    get text() {
      return text;
    },
    done,
    started,
    states,
    ...(ws ? { ws } : {}),
    ...(sse ? { sse } : {}),
    until(predicate, timeoutMs = 10_000) {
      if (predicate(events)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting on events; have ${events.map((e) => `${e.id}:${e.event}`).join(" ")}`,
            ),
          );
        }, timeoutMs);
        const check = () => {
          if (!predicate(events)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        waiters.add(check);
        // A subscription that ends before the predicate holds fails the wait, rather than timing out.
        done.then(
          () =>
            !predicate(events) &&
            (clearTimeout(timer),
            waiters.delete(check),
            reject(new Error(`subscription ended before the wait was over`))),
          (error) => (clearTimeout(timer), waiters.delete(check), reject(error)),
        );
      });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      subscription.unsubscribe();
      finish();
      resolveDone({ events, text, completed: false });
    },
  };
  open.add(watcher);
  return watcher;
}

/** Stops every watcher still open (afterEach), so no socket outlives its test. */
export function stopAllWatchers() {
  for (const watcher of [...open]) watcher.stop();
}

/** `[id, event]` pairs, the shape sequences are compared in. */
export const sequenceOf = (events: Received[]) => events.map(({ id, event }) => [id, event] as const);

/** Event ids 1..n, each once, in order: what every complete subscriber must have seen. */
export const ids = (events: Received[]) => events.map((event) => event.id);
export const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, index) => from + index);

/** A plain assistant (no tools) and a thread with one user message, created through Runcast's /v1. */
export async function runSetup(message = "Tell me about lighthouses") {
  const sdk = gatewaySdk();
  const assistant = await sdk.beta.assistants.create({
    model: "gpt-4o",
    name: "Plain",
    instructions: "Answer briefly.",
  });
  const thread = await sdk.beta.threads.create({ messages: [{ role: "user", content: message }] });
  return { sdk, assistant, thread };
}

/** The text of the assistant message stored for a run, read through Runcast's /v1. */
export async function storedReply(threadId: string, runId: string): Promise<string> {
  const page = await gatewaySdk().beta.threads.messages.list(threadId, { run_id: runId });
  const message = page.data.find((m) => m.role === "assistant");
  if (!message) throw new Error(`no assistant message for ${runId}`);
  return message.content.map((part) => (part.type === "text" ? part.text.value : "")).join("");
}

/** Sends a raw upgrade to the gateway's socket route, as a client would, and answers the HTTP response. */
export function upgrade(path: string, headers: Record<string, string> = { upgrade: "websocket" }) {
  return gatewayFetch(`${GATEWAY}${path}`, { headers });
}

/** The subscription message wsLink would send, written by hand (for sockets that speak the protocol without wsLink). */
export const subscriptionFrame = (id: number, threadId: string, runId: string, lastEventId?: string) =>
  JSON.stringify({
    id,
    method: "subscription",
    params: {
      path: "runs.events",
      input: { thread_id: threadId, run_id: runId },
      ...(lastEventId ? { lastEventId } : {}),
    },
  });

export type { TRPCWebSocketClient };
