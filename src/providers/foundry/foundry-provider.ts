// Azure AI Foundry Agent Service, classic agents: the Assistants wire at a project endpoint, so the Assistants provider
// serves it over a client that adds `api-version` and an Entra token to every call. Azure's own shapes (its tool
// types, `activities` steps, `submit_tool_approval`) pass through untouched. Classic agents retire on 2027-03-31.
import {
  assistantsProvider,
  EMULATOR_ORIGIN,
  READ_RETRIES,
  REQUEST_TIMEOUT_MS,
  withRateLimitPassThrough,
} from "../assistants-provider";
import type { RunsProvider } from "../provider";
import type { Upstream } from "../upstream";
import { EntraTokenSource, type EntraApp } from "./entra-token";
import { DEFAULT_FOUNDRY_API_VERSION, foundryClient, type FoundryProject } from "./foundry-client";

/**
 * The emulator's one Entra app and project (its `EMULATOR_ENTRA_*` vars in emulator/wrangler.toml): test-only values
 * that open nothing but the local emulator, so they are not secrets.
 */
const EMULATOR_APP: EntraApp = {
  tenantId: "00000000-0000-4000-8000-00000000e001",
  clientId: "11111111-2222-4333-8444-000000000001",
  clientSecret: "emulator-test-only-client-secret",
  authorityHost: EMULATOR_ORIGIN,
};
const EMULATOR_PROJECT: FoundryProject = {
  endpoint: `${EMULATOR_ORIGIN}/api/projects/runcast`,
  apiVersion: DEFAULT_FOUNDRY_API_VERSION,
};

export function foundryProvider(
  upstream: Extract<Upstream, { kind: "foundry" | "emulator" }>,
  baseFetch: typeof fetch = (input, init) => fetch(input, init),
): RunsProvider {
  const inner: typeof fetch =
    upstream.kind === "emulator" ? (input, init) => upstream.emulator.fetch(new Request(input, init)) : baseFetch;
  const { project, app } = upstream.kind === "emulator" ? { project: EMULATOR_PROJECT, app: EMULATOR_APP } : upstream;
  const tokens = new EntraTokenSource(app, inner);
  return assistantsProvider(
    foundryClient(project, tokens, withRateLimitPassThrough(inner), {
      maxRetries: READ_RETRIES,
      timeout: REQUEST_TIMEOUT_MS,
    }),
  );
}
