// The gateway's environment: the bindings `wrangler types` generates, plus upstream settings that arrive as secrets.

/**
 * Upstream settings. They are secrets (`wrangler secret put …` in production, `.dev.vars` locally),
 * so `wrangler types` cannot see them and they are declared here.
 */
export interface UpstreamSettings {
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  OPENAI_ORGANIZATION?: string;
  OPENAI_PROJECT?: string;
  AZURE_OPENAI_ENDPOINT?: string;
  AZURE_OPENAI_API_KEY?: string;
  OPENAI_API_VERSION?: string;
}

export type GatewayEnv = Env & UpstreamSettings;
