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
  /** `assistants` (default), `responses` or `foundry`: which API the upstream speaks (a var, not a secret). */
  RUNCAST_PROVIDER?: string;
  /** Azure AI Foundry classic agents: the project endpoint and api-version (vars), the Entra app (the secret). */
  AZURE_AI_PROJECT_ENDPOINT?: string;
  AZURE_AI_API_VERSION?: string;
  AZURE_TENANT_ID?: string;
  AZURE_CLIENT_ID?: string;
  AZURE_CLIENT_SECRET?: string;
  AZURE_AUTHORITY_HOST?: string;
  /** Retired with Azure OpenAI Assistants (2026-08-26): set, they are a configuration error naming `foundry`. */
  AZURE_OPENAI_ENDPOINT?: string;
  AZURE_OPENAI_API_KEY?: string;
}

/** Optional limits of the `responses` provider (README, "The Responses provider"); unset, the defaults apply. */
export interface ResponsesSettings {
  /** Seconds a run waits for tool outputs before it expires (default 600). */
  RUNCAST_RESPONSES_EXPIRES_SECONDS?: string;
  /** Milliseconds a response may stay `queued` before its run fails (default 180000). */
  RUNCAST_RESPONSES_QUEUED_TIMEOUT_MS?: string;
}

/** Authentication, tenancy and limits (see README's security section); secrets are marked so. */
export interface SecuritySettings {
  RUNCAST_AUTH_MODE?: string;
  /** Secret: HS256 key for `jwt` mode. */
  RUNCAST_JWT_SECRET?: string;
  RUNCAST_JWKS_URL?: string;
  /** A JWKS given inline (JSON), for RS256/ES256 without fetching one. */
  RUNCAST_JWKS?: string;
  RUNCAST_JWT_ISSUER?: string;
  RUNCAST_JWT_AUDIENCE?: string;
  /**
   * Seconds or a duration (`"15m"`): a JWT may then omit `exp`, and no token is accepted longer than this
   * after its `iat`. Unset, every JWT must carry `exp`.
   */
  RUNCAST_JWT_MAX_AGE?: string;
  /** Secret: JSON list of `{ sha256, tenant, scopes?, assistants? }` for `keys` mode. */
  RUNCAST_API_KEYS?: string;
  RUNCAST_ALLOWED_ASSISTANTS?: string;
  RUNCAST_CORS_ORIGINS?: string;
  RUNCAST_MAX_ACTIVE_RUNS?: string;
  RUNCAST_MAX_SUBSCRIBERS_PER_TENANT?: string;
  RUNCAST_MAX_BODY_BYTES?: string;
}

export type GatewayEnv = Env & UpstreamSettings & SecuritySettings & ResponsesSettings;
