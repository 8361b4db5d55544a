// Which upstream the gateway talks to, chosen from configuration: a key wins, then Azure, then the local emulator.
import type { UpstreamSettings } from "../env";

export type Upstream =
  | { kind: "openai"; apiKey: string; baseURL?: string; organization?: string; project?: string }
  | { kind: "azure"; endpoint: string; apiKey: string; apiVersion: string }
  | { kind: "emulator"; emulator: Fetcher }
  | { kind: "none" };

/** The Azure API version used when OPENAI_API_VERSION is not set (the one openai-node's Azure docs show). */
export const DEFAULT_AZURE_API_VERSION = "2024-10-01-preview";

const present = (value: string | undefined) => (value && value.trim() ? value.trim() : undefined);

export function selectUpstream(env: UpstreamSettings & { EMULATOR?: Fetcher }): Upstream {
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
  const endpoint = present(env.AZURE_OPENAI_ENDPOINT);
  const azureKey = present(env.AZURE_OPENAI_API_KEY);
  if (endpoint && azureKey)
    return {
      kind: "azure",
      endpoint,
      apiKey: azureKey,
      apiVersion: present(env.OPENAI_API_VERSION) ?? DEFAULT_AZURE_API_VERSION,
    };
  if (env.EMULATOR) return { kind: "emulator", emulator: env.EMULATOR };
  return { kind: "none" };
}

/**
 * How /health names the upstream: `emulator`, `openai`, `azure`, or a custom base URL reduced to
 * origin and path, so credentials or query parameters in it never show.
 */
export function describeUpstream(upstream: Upstream): string | null {
  switch (upstream.kind) {
    case "openai": {
      if (!upstream.baseURL) return "openai";
      try {
        const url = new URL(upstream.baseURL);
        return `${url.origin}${url.pathname}`.replace(/\/$/, "");
      } catch {
        return "custom";
      }
    }
    case "azure":
    case "emulator":
      return upstream.kind;
    case "none":
      return null;
  }
}
