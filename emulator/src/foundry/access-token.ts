// Access tokens of the emulated Entra ID: HMAC-signed JWTs carrying their own expiry, so no state is kept between issuing
// and checking them (any isolate can verify, a restart forgets nothing). Real Entra signs with RS256; callers must treat
// the token as opaque either way.
import { SignJWT, errors, jwtVerify } from "jose";

/** The resource Foundry's data plane accepts tokens for (scope `https://ai.azure.com/.default`). */
export const FOUNDRY_AUDIENCE = "https://ai.azure.com";

export interface TokenIssuer {
  /** HMAC key (EMULATOR_ENTRA_SIGNING_KEY): a test-only value, never a real secret. */
  signingKey: string;
  tenantId: string;
}

const keyOf = (signingKey: string) => new TextEncoder().encode(signingKey);
const issuerOf = (tenantId: string) => `https://sts.windows.net/${tenantId}/`;

/** A client-credentials token for `clientId`, valid for `lifetimeSeconds` from `now` (milliseconds). */
export function issueAccessToken(
  issuer: TokenIssuer,
  { clientId, lifetimeSeconds, now = Date.now() }: { clientId: string; lifetimeSeconds: number; now?: number },
): Promise<string> {
  const issuedAt = Math.floor(now / 1000);
  return new SignJWT({ tid: issuer.tenantId, appid: clientId, idtyp: "app", ver: "1.0" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(issuerOf(issuer.tenantId))
    .setAudience(FOUNDRY_AUDIENCE)
    .setSubject(clientId)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(issuedAt + lifetimeSeconds)
    .sign(keyOf(issuer.signingKey));
}

/** Whether a bearer token is one of ours, for Foundry's audience, and not yet expired. */
export async function isValidAccessToken(issuer: TokenIssuer, token: string): Promise<boolean> {
  try {
    await jwtVerify(token, keyOf(issuer.signingKey), {
      algorithms: ["HS256"],
      audience: FOUNDRY_AUDIENCE,
      issuer: issuerOf(issuer.tenantId),
    });
    return true;
  } catch (error) {
    // Every way a token can be wrong (signature, claims, expiry, malformed) is a JOSEError, and a 401 here.
    if (error instanceof errors.JOSEError) return false;
    throw error;
  }
}

/** The issuer configured through the emulator's EMULATOR_ENTRA_* vars. */
export const issuerFromEnv = (env: EmulatorEnv): TokenIssuer => ({
  signingKey: env.EMULATOR_ENTRA_SIGNING_KEY,
  tenantId: env.EMULATOR_ENTRA_TENANT_ID,
});
