// The provider for the Worker's configuration, built once per isolate and rebuilt only if the configuration changes.
import type { GatewayEnv } from "../env";
import { assistantsProvider, createClient } from "./assistants-provider";
import { foundryProvider } from "./foundry/foundry-provider";
import type { RunsProvider } from "./provider";
import { providerKind, selectUpstream, type ProviderKind, type Upstream } from "./upstream";

let cached: { key: string; provider: RunsProvider } | undefined;

/** Bindings are not request-scoped, so the emulator binding of the first request serves the isolate. */
const cacheKey = (kind: ProviderKind, upstream: Upstream) =>
  JSON.stringify({ provider: kind, upstream: { ...upstream, emulator: undefined } });

function build(kind: ProviderKind, upstream: Extract<Upstream, { kind: "openai" | "foundry" | "emulator" }>) {
  if (kind === "foundry") return upstream.kind === "openai" ? null : foundryProvider(upstream);
  if (kind === "assistants") return upstream.kind === "foundry" ? null : assistantsProvider(createClient(upstream));
  return null;
}

/** The provider to use, or null when none can be built (upstreamProblem says why, and the caller answers with it). */
export function providerFor(env: GatewayEnv): RunsProvider | null {
  const upstream = selectUpstream(env);
  const kind = providerKind(env);
  if (!kind || upstream.kind === "none" || upstream.kind === "misconfigured") return null;
  const key = cacheKey(kind, upstream);
  if (cached?.key !== key) {
    const provider = build(kind, upstream);
    if (!provider) return null;
    cached = { key, provider };
  }
  return cached.provider;
}
