// The provider for the Worker's configuration, built once per isolate and rebuilt only if the configuration changes.
import type { GatewayEnv } from "../env";
import { assistantsProvider, createClient } from "./assistants-provider";
import { foundryProvider } from "./foundry/foundry-provider";
import type { RunsProvider } from "./provider";
import { responsesProvider } from "./responses/responses-provider";
import { providerKind, selectUpstream, upstreamProblem, type ProviderKind, type Upstream } from "./upstream";

let cached: { key: string; provider: RunsProvider } | undefined;

type Usable = Extract<Upstream, { kind: "openai" | "foundry" | "emulator" }>;

/** Each provider, from an upstream it can speak to (null for one it cannot: Foundry's is not OpenAI's). */
const PROVIDERS: Record<ProviderKind, (upstream: Usable, env: GatewayEnv) => RunsProvider | null> = {
  assistants: (upstream) => (upstream.kind === "foundry" ? null : assistantsProvider(createClient(upstream))),
  // Its records and upstream calls live in its Durable Objects, which read the upstream settings themselves.
  responses: (upstream, env) => (upstream.kind === "foundry" ? null : responsesProvider(env)),
  foundry: (upstream) => (upstream.kind === "openai" ? null : foundryProvider(upstream)),
};

/** Bindings are not request-scoped, so the emulator binding of the first request serves the isolate. */
const cacheKey = (kind: ProviderKind, upstream: Upstream) =>
  JSON.stringify({ provider: kind, upstream: { ...upstream, emulator: undefined } });

/** Why no provider can be had, in the words every surface answers with (the hub's calls and the procedures alike). */
export const unavailable = (env: GatewayEnv) => upstreamProblem(selectUpstream(env)) ?? "No upstream is configured.";

/** The provider to use, or null when none can be built (upstreamProblem says why, and the caller answers with it). */
export function providerFor(env: GatewayEnv): RunsProvider | null {
  const upstream = selectUpstream(env);
  const kind = providerKind(env);
  if (!kind || upstream.kind === "none" || upstream.kind === "misconfigured") return null;
  const key = cacheKey(kind, upstream);
  if (cached?.key !== key) {
    const provider = PROVIDERS[kind](upstream, env);
    if (!provider) return null;
    cached = { key, provider };
  }
  return cached.provider;
}
