// Microsoft Entra access tokens for Azure AI Foundry, by the OAuth 2.0 client-credentials flow, cached until shortly
// before they expire. Written by hand: Azure's own credential (`@azure/identity`) rests on MSAL for Node, which
// needs Node's runtime; the flow itself is one form POST. The secret and the token are never logged.
import { UpstreamError } from "../../errors/upstream-error";

export interface EntraApp {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** `https://login.microsoftonline.com` by default; sovereign clouds have their own. */
  authorityHost: string;
}

/** The scope Foundry's data plane accepts (`@azure/ai-agents` asks for the same). */
export const FOUNDRY_SCOPE = "https://ai.azure.com/.default";

/** A token is renewed this long before it expires, so none expires on its way to the upstream. */
const EARLY_RENEWAL_MS = 5 * 60 * 1000;
/** Entra answers in well under a second; one that has not answered by then is treated as unreachable. */
const TOKEN_TIMEOUT_MS = 10_000;

export class EntraTokenSource {
  private cached: { token: string; renewAt: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(
    private readonly app: EntraApp,
    private readonly fetcher: typeof fetch,
  ) {}

  /** A valid token: the cached one, or a new one (concurrent callers share the one request). */
  async token(now = Date.now()): Promise<string> {
    if (this.cached && now < this.cached.renewAt) return this.cached.token;
    this.pending ??= this.request().finally(() => (this.pending = null));
    return this.pending;
  }

  /** The upstream refused the token (a 401): the next call asks for a new one. */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = null;
  }

  private async request(): Promise<string> {
    const url = `${this.app.authorityHost.replace(/\/$/, "")}/${encodeURIComponent(this.app.tenantId)}/oauth2/v2.0/token`;
    const body = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: this.app.clientId,
      client_secret: this.app.clientSecret,
      scope: FOUNDRY_SCOPE,
    });
    let response: Response;
    try {
      response = await this.fetcher(url, { method: "POST", body, signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS) });
    } catch {
      throw new UpstreamError("The gateway could not reach Microsoft Entra to sign in to Azure AI Foundry.", "network");
    }
    const answer = (await response.json().catch(() => ({}))) as {
      access_token?: string;
      expires_in?: number | string;
      error?: string;
      error_codes?: number[];
    };
    if (response.status === 429 || response.status >= 500)
      // Entra is busy or failing: not the credentials' fault, and worth a retry.
      throw new UpstreamError(`Microsoft Entra could not issue a token (status ${response.status}).`, "http", {
        status: 503,
        type: "server_error",
        param: null,
        code: null,
      });
    if (!response.ok || typeof answer.access_token !== "string") {
      // Entra's own description may quote the client id; the error code alone tells an operator what to fix.
      const code = answer.error_codes?.[0] ? ` (AADSTS${answer.error_codes[0]})` : "";
      throw new UpstreamError(
        `Microsoft Entra refused the gateway's Azure credentials: ${answer.error ?? `status ${response.status}`}${code}.`,
        "http",
        { status: 401, type: "authentication_error", param: null, code: answer.error ?? null },
      );
    }
    const lifetimeMs = Number(answer.expires_in ?? 0) * 1000;
    const renewAt = Date.now() + Math.max(lifetimeMs - EARLY_RENEWAL_MS, lifetimeMs / 2);
    this.cached = { token: answer.access_token, renewAt };
    return answer.access_token;
  }
}
