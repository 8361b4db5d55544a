// The typed client for frontends: `createRuncastClient({ url, token })` gives every procedure with its types.
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import type { AppRouter } from "../rpc/routers/app-router";

export type { AppRouter };

export interface RuncastClientOptions {
  /** The gateway's origin, e.g. `https://runcast.example.com` (the client adds `/trpc`). */
  url: string;
  /** The caller's credential, sent as `Authorization: Bearer …`; a function is asked before each request. */
  token?: string | (() => string | Promise<string>);
  /** A fetch to use instead of the global one (tests, service bindings). */
  fetch?: typeof fetch;
}

/**
 * @example
 * const runcast = createRuncastClient({ url: "http://127.0.0.1:8787" });
 * const run = await runcast.runs.create.mutate({ thread_id, assistant_id });
 * const steps = await runcast.runs.steps.list.query({ thread_id, run_id: run.id });
 */
export function createRuncastClient({ url, token, fetch: customFetch }: RuncastClientOptions) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${url.replace(/\/$/, "")}/trpc`,
        ...(customFetch ? { fetch: customFetch } : {}),
        async headers() {
          const value = typeof token === "function" ? await token() : token;
          return value ? { authorization: `Bearer ${value}` } : {};
        },
      }),
    ],
  });
}

export type RuncastClient = ReturnType<typeof createRuncastClient>;
