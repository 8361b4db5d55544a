// The context every procedure gets: the environment, the provider for the configured upstream, and headers for the answer.
import type { GatewayEnv } from "../env";
import { providerFor } from "../providers/provider-for-env";

/** `resHeaders` lets a procedure add headers to its HTTP answer (the poll hint on retrieve, for one). */
export function createContext({ env, resHeaders }: { env: GatewayEnv; resHeaders: Headers }) {
  return { env, provider: providerFor(env), resHeaders };
}

export type Context = ReturnType<typeof createContext>;
