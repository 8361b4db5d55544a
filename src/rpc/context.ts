// The context every procedure gets: the environment, the provider, the caller's credential, the request id, and headers
// for the answer.
import type { GatewayEnv } from "../env";
import { providerFor } from "../providers/provider-for-env";

/**
 * `token` is the caller's bearer credential (header, or the `token` connection param of a subscription);
 * procedures authenticate it (init.ts). `resHeaders` lets a procedure add headers to its HTTP answer. `requestId` is
 * the request's `x-request-id` (routes/request-id.ts): errors carry it, and so does whatever the request asks of a hub.
 */
export function createContext({
  env,
  resHeaders,
  token,
  requestId,
}: {
  env: GatewayEnv;
  resHeaders: Headers;
  token: string | null;
  requestId: string;
}) {
  return { env, provider: providerFor(env), resHeaders, token, requestId };
}

export type Context = ReturnType<typeof createContext>;
