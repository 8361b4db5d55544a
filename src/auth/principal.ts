// Who is calling: the tenant everything they create belongs to, and what they may do beyond that.

export interface Principal {
  /** The JWT's subject or the API key's tenant; owns the threads and runs it creates. */
  tenant: string;
  /** Reaches threads and runs of every tenant, and those not created through Runcast. */
  admin: boolean;
  /** May override an assistant's model, instructions, tools or response format per run. */
  override: boolean;
  /** May create, modify and delete assistants (runcast:assistants); within its allow-lists for existing ones. */
  manageAssistants: boolean;
  /** Assistants this caller may run; null when its credential sets no list (the global list still applies). */
  assistants: string[] | null;
  /**
   * When the credential stops being valid (ms since the epoch): for a JWT the earlier of its `exp` and its
   * `iat` plus RUNCAST_JWT_MAX_AGE; null for API keys and `none` mode, which do not expire. Long-lived
   * connections check it, since they outlive the moment they were authenticated.
   */
  expiresAt: number | null;
}

/** What the access and rate checks read: who is calling, not until when (a socket's hub rebuilds it from what it stored). */
export type Caller = Omit<Principal, "expiresAt">;

/** Tenant names are kept with every socket across hibernation, where the platform bounds what fits: longer ones are refused. */
export const MAX_TENANT_LENGTH = 256;

/** Scope names, in a JWT's `scope` claim (space-separated) or `scopes` array, or an API key's `scopes`. */
export const SCOPES = {
  admin: "runcast:admin",
  override: "runcast:override",
  assistants: "runcast:assistants",
} as const;

export function principalFrom(
  tenant: string,
  scopes: Iterable<string>,
  assistants: string[] | null,
  expiresAt: number | null,
): Principal {
  const granted = new Set(scopes);
  return {
    tenant,
    admin: granted.has(SCOPES.admin),
    override: granted.has(SCOPES.override) || granted.has(SCOPES.admin),
    manageAssistants: granted.has(SCOPES.assistants) || granted.has(SCOPES.admin),
    assistants,
    expiresAt,
  };
}

/** `none` mode (development): one tenant that may do everything. */
export const DEVELOPER: Principal = {
  tenant: "developer",
  admin: true,
  override: true,
  manageAssistants: true,
  assistants: null,
  expiresAt: null,
};
