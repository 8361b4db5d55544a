// The provider for the Worker's configuration, built once per isolate and rebuilt only if the configuration changes.
import type { GatewayEnv } from "../env";
import { assistantsProvider, createClient } from "./assistants-provider";
import type { RunsProvider } from "./provider";
import { responsesProvider } from "./responses/responses-provider";
import { selectUpstream, type Upstream } from "./upstream";

let cached: { key: string; provider: RunsProvider } | undefined;

/** The providers `RUNCAST_PROVIDER` names; a new one is one more entry here. */
const PROVIDERS = {
  assistants: (upstream: Exclude<Upstream, { kind: "none" }>) => assistantsProvider(createClient(upstream)),
  // Its records and upstream calls live in its Durable Objects, which read the upstream settings themselves.
  responses: (_upstream: Exclude<Upstream, { kind: "none" }>, env: GatewayEnv) => responsesProvider(env),
} satisfies Record<string, (upstream: Exclude<Upstream, { kind: "none" }>, env: GatewayEnv) => RunsProvider>;

export type ProviderName = keyof typeof PROVIDERS;

/** `RUNCAST_PROVIDER`, `assistants` when unset; null for a name no provider has. */
export function providerName(env: { RUNCAST_PROVIDER?: string }): ProviderName | null {
  const name = env.RUNCAST_PROVIDER?.trim() || "assistants";
  return Object.hasOwn(PROVIDERS, name) ? (name as ProviderName) : null;
}

/** Bindings are not request-scoped, so the emulator binding of the first request serves the isolate. */
const cacheKey = (name: string, upstream: Upstream) => JSON.stringify({ name, ...upstream, emulator: undefined });

/** The provider to use, or null when no upstream is configured (the caller answers with a clear error). */
export function providerFor(env: GatewayEnv): RunsProvider | null {
  const upstream = selectUpstream(env);
  if (upstream.kind === "none") return null;
  const name = providerName(env);
  if (!name) {
    console.error(`RUNCAST_PROVIDER names no provider: ${JSON.stringify(env.RUNCAST_PROVIDER)}`);
    return null;
  }
  const key = cacheKey(name, upstream);
  if (cached?.key !== key) cached = { key, provider: PROVIDERS[name](upstream, env) };
  return cached.provider;
}
