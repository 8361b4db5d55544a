// The provider for the Worker's configuration, built once per isolate and rebuilt only if the configuration changes.
import type { GatewayEnv } from "../env";
import { assistantsProvider, createClient } from "./assistants-provider";
import type { RunsProvider } from "./provider";
import { selectUpstream, type Upstream } from "./upstream";

let cached: { key: string; provider: RunsProvider } | undefined;

/** Bindings are not request-scoped, so the emulator binding of the first request serves the isolate. */
const cacheKey = (upstream: Upstream) => JSON.stringify({ ...upstream, emulator: undefined });

/** The provider to use, or null when no upstream is configured (the caller answers with a clear error). */
export function providerFor(env: GatewayEnv): RunsProvider | null {
  const upstream = selectUpstream(env);
  if (upstream.kind === "none") return null;
  const key = cacheKey(upstream);
  if (cached?.key !== key) cached = { key, provider: assistantsProvider(createClient(upstream)) };
  return cached.provider;
}
