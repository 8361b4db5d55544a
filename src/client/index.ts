// The typed client for frontends: `createRuncastClient({ url, token })` gives every procedure with its types, plus watchRun.
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCClient } from "@trpc/client";
import type { AppRouter } from "./app-router";
import { watchRun, type RunRef, type Watch, type WatchHandlers, type WatchOptions } from "./watch-run";

export type { AppRouter };
export type { RunEvent, ToolOutputsEvent } from "../rpc/run-event";
export { emptySnapshot, replyText, type RunSnapshot, type ToolApprovalCall, type WatchedMessage } from "./run-snapshot";
export type { RunRef, SnapshotStore, Watch, WatchHandlers, WatchOptions } from "./watch-run";

export interface RuncastClientOptions {
  /** The gateway's origin, e.g. `https://runcast.example.com` (the client adds `/trpc` and `/ws/…`). */
  url: string;
  /** The caller's credential, sent as `Authorization: Bearer …` (and as the `token` connection param on subscriptions); a function is asked each time. */
  token?: string | (() => string | Promise<string>);
  /** A fetch to use instead of the global one (tests, service bindings). */
  fetch?: typeof fetch;
  /** An EventSource class, where the runtime has none (SSE subscriptions), e.g. the `eventsource` package's. */
  EventSource?: unknown;
  /** A WebSocket class, where the runtime has none (watchRun over WebSockets). */
  WebSocket?: typeof WebSocket;
}

export type RuncastClient = TRPCClient<AppRouter> & {
  /** Follows one run live: see {@link watchRun}. */
  watchRun(ref: RunRef, handlers: WatchHandlers, options?: WatchOptions): Watch;
};

/**
 * @example
 * const runcast = createRuncastClient({ url: "http://127.0.0.1:8787", token: () => session.token });
 * const run = await runcast.runs.createThreadAndRun.mutate({ assistant_id, thread: { messages: [{ role: "user", content: "Hi" }] } });
 * runcast.watchRun({ thread_id: run.thread_id, run_id: run.id }, { onText: (delta) => append(delta) });
 */
export function createRuncastClient(options: RuncastClientOptions): RuncastClient {
  const url = options.url.replace(/\/$/, "");
  const token = async () => (typeof options.token === "function" ? await options.token() : options.token);
  const client = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        // EventSource cannot send headers, so the token rides as a connection param.
        true: httpSubscriptionLink({
          url: `${url}/trpc`,
          // Typed loosely: runtimes disagree on EventSource's static members; tRPC only constructs it.
          ...(options.EventSource ? { EventSource: options.EventSource as never } : {}),
          connectionParams: async (): Promise<Record<string, string>> => {
            const value = await token();
            return value ? { token: value } : {};
          },
        }),
        false: httpBatchLink({
          url: `${url}/trpc`,
          ...(options.fetch ? { fetch: options.fetch } : {}),
          async headers() {
            const value = await token();
            return value ? { authorization: `Bearer ${value}` } : {};
          },
        }),
      }),
    ],
  });
  const watch = (ref: RunRef, handlers: WatchHandlers, watchOptions?: WatchOptions) =>
    watchRun(
      {
        url,
        client,
        ...(options.token ? { token: options.token } : {}),
        ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
      },
      ref,
      handlers,
      watchOptions,
    );
  // The tRPC client is a proxy in which every name is a procedure path; watchRun is added in front of it.
  return new Proxy(client, {
    get: (target, key, receiver) => (key === "watchRun" ? watch : Reflect.get(target, key, receiver)),
  }) as RuncastClient;
}
