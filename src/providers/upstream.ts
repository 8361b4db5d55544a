// Which provider and which upstream the gateway talks to, chosen from configuration. `RUNCAST_PROVIDER` picks the API
// (`assistants`, `responses`, `foundry`); its credentials pick the real upstream; with none, the emulator's matching
// surface serves it. A setting that cannot work is a misconfiguration that names what to change.
import type { UpstreamSettings } from "../env";
import type { EntraApp } from "./foundry/entra-token";
import { DEFAULT_FOUNDRY_API_VERSION, type FoundryProject } from "./foundry/foundry-client";

export const PROVIDER_KINDS = ["assistants", "responses", "foundry"] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export type Upstream =
  | { kind: "openai"; apiKey: string; baseURL?: string; organization?: string; project?: string }
  | { kind: "foundry"; project: FoundryProject; app: EntraApp }
  | { kind: "emulator"; emulator: Fetcher }
  | { kind: "misconfigured"; setting: string; message: string }
  | { kind: "none" };

const present = (value: string | undefined) => (value && value.trim() ? value.trim() : undefined);

/** The provider `RUNCAST_PROVIDER` names (`assistants` when unset), or null when it names none. */
export function providerKind(env: UpstreamSettings): ProviderKind | null {
  const named = present(env.RUNCAST_PROVIDER) ?? "assistants";
  return (PROVIDER_KINDS as readonly string[]).includes(named) ? (named as ProviderKind) : null;
}

/** Azure OpenAI's Assistants were retired with OpenAI's on 2026-08-26; its settings point at an API that is gone. */
const AZURE_OPENAI_RETIRED =
  "AZURE_OPENAI_ENDPOINT points at Azure OpenAI Assistants, retired on 2026-08-26. Use Azure AI Foundry classic agents instead: set RUNCAST_PROVIDER=foundry with AZURE_AI_PROJECT_ENDPOINT, AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (README: Pointing at a real upstream).";

const FOUNDRY_SETTINGS = [
  "AZURE_AI_PROJECT_ENDPOINT",
  "AZURE_TENANT_ID",
  "AZURE_CLIENT_ID",
  "AZURE_CLIENT_SECRET",
] as const;

export function selectUpstream(env: UpstreamSettings & { EMULATOR?: Fetcher }): Upstream {
  const kind = providerKind(env);
  if (!kind)
    return {
      kind: "misconfigured",
      setting: "RUNCAST_PROVIDER",
      message: `RUNCAST_PROVIDER must be one of ${PROVIDER_KINDS.join(", ")}.`,
    };
  if (present(env.AZURE_OPENAI_ENDPOINT) || present(env.AZURE_OPENAI_API_KEY))
    return { kind: "misconfigured", setting: "AZURE_OPENAI_ENDPOINT", message: AZURE_OPENAI_RETIRED };
  if (kind === "foundry") {
    const given = FOUNDRY_SETTINGS.filter((name) => present(env[name]));
    if (given.length === FOUNDRY_SETTINGS.length)
      return {
        kind: "foundry",
        project: {
          endpoint: present(env.AZURE_AI_PROJECT_ENDPOINT)!,
          apiVersion: present(env.AZURE_AI_API_VERSION) ?? DEFAULT_FOUNDRY_API_VERSION,
        },
        app: {
          tenantId: present(env.AZURE_TENANT_ID)!,
          clientId: present(env.AZURE_CLIENT_ID)!,
          clientSecret: present(env.AZURE_CLIENT_SECRET)!,
          authorityHost: present(env.AZURE_AUTHORITY_HOST) ?? "https://login.microsoftonline.com",
        },
      };
    if (given.length > 0) {
      const missing = FOUNDRY_SETTINGS.filter((name) => !present(env[name]));
      return {
        kind: "misconfigured",
        setting: missing[0]!,
        message: `Foundry needs ${FOUNDRY_SETTINGS.join(", ")}; missing: ${missing.join(", ")}.`,
      };
    }
  } else {
    const apiKey = present(env.OPENAI_API_KEY);
    if (apiKey) {
      const upstream: Upstream = { kind: "openai", apiKey };
      const baseURL = present(env.OPENAI_BASE_URL);
      const organization = present(env.OPENAI_ORGANIZATION);
      const project = present(env.OPENAI_PROJECT);
      if (baseURL) upstream.baseURL = baseURL;
      if (organization) upstream.organization = organization;
      if (project) upstream.project = project;
      return upstream;
    }
  }
  if (env.EMULATOR) return { kind: "emulator", emulator: env.EMULATOR };
  return { kind: "none" };
}

/** Why no provider can be built, in words that say what to set; null when one can. */
export function upstreamProblem(upstream: Upstream): string | null {
  if (upstream.kind === "misconfigured") return upstream.message;
  if (upstream.kind === "none")
    return "No upstream is configured: set OPENAI_API_KEY (RUNCAST_PROVIDER assistants or responses), or RUNCAST_PROVIDER=foundry with AZURE_AI_PROJECT_ENDPOINT, AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, as secrets.";
  return null;
}

/**
 * How /health names the upstream: `emulator`, `openai`, a custom base URL or a Foundry project endpoint reduced to
 * origin and path, so credentials or query parameters in it never show.
 */
export function describeUpstream(upstream: Upstream): string | null {
  switch (upstream.kind) {
    case "openai":
      return upstream.baseURL ? originAndPath(upstream.baseURL) : "openai";
    case "foundry":
      return originAndPath(upstream.project.endpoint);
    case "emulator":
      return upstream.kind;
    case "misconfigured":
    case "none":
      return null;
  }
}

function originAndPath(address: string): string {
  try {
    const url = new URL(address);
    return `${url.origin}${url.pathname}`.replace(/\/$/, "");
  } catch {
    return "custom";
  }
}
