// The context every procedure gets: the environment, the provider, the caller's credential, and headers for the answer.
import type { GatewayEnv } from "../env";
import { providerFor } from "../providers/provider-for-env";

/**
 * `token` is the caller's bearer credential (header, or the `token` connection param of a subscription);
 * procedures authenticate it (init.ts). `resHeaders` lets a procedure add headers to its HTTP answer.
 */
export function createContext({
  env,
  resHeaders,
  token,
}: {
  env: GatewayEnv;
  resHeaders: Headers;
  token: string | null;
}) {
  return { env, provider: providerFor(env), resHeaders, token };
}

export type Context = ReturnType<typeof createContext>;
