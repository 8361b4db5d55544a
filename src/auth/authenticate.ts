// Turns a caller's credential into a Principal, or a clear UNAUTHORIZED; never makes an upstream call.
import { TRPCError } from "@trpc/server";
import { errors, jwtVerify, type JWTPayload } from "jose";
import type { GatewayEnv } from "../env";
import { logFailure } from "../log/failure-log";
import { principalForKey } from "./api-keys";
import { authSetting } from "./auth-config";
import { DEVELOPER, MAX_TENANT_LENGTH, principalFrom, type Principal } from "./principal";
import { isUnusable, verificationMaterial, type JwtVerifier } from "./verification-material";

const unauthorized = (message: string) => new TRPCError({ code: "UNAUTHORIZED", message });
const unavailable = (message: string) => new TRPCError({ code: "SERVICE_UNAVAILABLE", message });

/**
 * A setting that cannot be used: the gateway is at fault, not the caller, until it is fixed. The problem is logged
 * (it names the setting, never its value); `message` is answered.
 */
function misconfigured(message: string, problem: string): TRPCError {
  const refusal = unavailable(message);
  logFailure({ what: "auth.misconfigured", code: refusal.code, status: 503, detail: problem });
  return refusal;
}

function scopesOf(payload: JWTPayload): string[] {
  const scope = payload.scope;
  const scopes = payload.scopes ?? payload.scp;
  return [
    ...(typeof scope === "string" ? scope.split(" ") : []),
    ...(Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === "string") : []),
  ];
}

/** The earlier of `exp` and `iat` plus the max age, in ms; verification has made sure one of them is there. */
function expiryOf(payload: JWTPayload, maxAgeSeconds: number | null): number {
  const ends = [
    payload.exp,
    maxAgeSeconds !== null && payload.iat !== undefined ? payload.iat + maxAgeSeconds : undefined,
  ];
  return Math.min(...ends.filter((end): end is number => typeof end === "number")) * 1000;
}

/** Why a token's claims were refused, in words a client can act on. */
function claimRefusal(error: errors.JWTExpired | errors.JWTClaimValidationFailed): TRPCError {
  if (error instanceof errors.JWTExpired)
    return unauthorized(
      error.claim === "iat" ? "The token is older than this gateway accepts (`iat`)." : "The token has expired.",
    );
  if (error.reason === "missing" && error.claim === "exp")
    return unauthorized("The token has no expiry (`exp`); only tokens that expire are accepted.");
  if (error.reason === "missing" && error.claim === "iat")
    return unauthorized("The token has no issue time (`iat`), so its age cannot be checked.");
  return unauthorized(`The token's \`${error.claim}\` claim is not accepted.`);
}

async function verifyJwt(
  env: GatewayEnv,
  { key, algorithms, maxAgeSeconds }: JwtVerifier,
  token: string,
): Promise<Principal> {
  const options = {
    algorithms,
    ...(env.RUNCAST_JWT_ISSUER ? { issuer: env.RUNCAST_JWT_ISSUER } : {}),
    ...(env.RUNCAST_JWT_AUDIENCE ? { audience: env.RUNCAST_JWT_AUDIENCE } : {}),
    // A token without `exp` would be good forever once leaked; with a max age, `iat` bounds it instead (and must be there).
    ...(maxAgeSeconds === null ? { requiredClaims: ["exp"] } : { maxTokenAge: maxAgeSeconds }),
  };
  try {
    const { payload } = await jwtVerify(token, key, options);
    if (typeof payload.sub !== "string" || payload.sub.length === 0)
      throw unauthorized("The token has no subject (`sub`).");
    if (payload.sub.length > MAX_TENANT_LENGTH)
      throw unauthorized(`The token's subject (\`sub\`) is longer than ${MAX_TENANT_LENGTH} characters.`);
    const assistants = Array.isArray(payload.assistants)
      ? payload.assistants.filter((a): a is string => typeof a === "string")
      : null;
    return principalFrom(payload.sub, scopesOf(payload), assistants, expiryOf(payload, maxAgeSeconds));
  } catch (error) {
    if (error instanceof TRPCError) throw error;
    if (error instanceof errors.JWTExpired || error instanceof errors.JWTClaimValidationFailed)
      throw claimRefusal(error);
    // The key set could not be had (an unreachable or broken RUNCAST_JWKS_URL): the gateway is at fault, not the token.
    if (
      !(error instanceof errors.JOSEError) ||
      error instanceof errors.JWKSTimeout ||
      error instanceof errors.JWKSInvalid
    )
      throw misconfigured(
        "The gateway could not load its JWT keys (RUNCAST_JWKS_URL or RUNCAST_JWKS); try again later.",
        `JWT keys unavailable: ${error instanceof Error ? error.name : "unknown"}`,
      );
    throw unauthorized("The token is not valid.");
  }
}

/** A JWT is three base64url parts; anything else is taken for an API key. */
const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);

/** The Principal for a bearer token (or none); the configured modes decide how it is checked. */
export async function authenticate(env: GatewayEnv, token: string | null): Promise<Principal> {
  const setting = authSetting(env);
  if ("mode" in setting && setting.mode === "refuse") throw unavailable(setting.reason);
  if ("mode" in setting) return DEVELOPER;
  if (!token)
    throw unauthorized(
      "Send a credential: `Authorization: Bearer <token>` (or the `token` connection param on subscriptions).",
    );
  const material = verificationMaterial(env);
  if (setting.modes.has("jwt") && (looksLikeJwt(token) || !setting.modes.has("keys"))) {
    if (material.jwt === null)
      throw unavailable("jwt mode needs RUNCAST_JWT_SECRET, RUNCAST_JWKS or RUNCAST_JWKS_URL.");
    // The problem names the setting and never quotes it, so the caller (and whoever runs the gateway) learns what to fix.
    if (isUnusable(material.jwt))
      throw misconfigured(
        `The gateway's JWT verification is misconfigured: ${material.jwt.problem}`,
        material.jwt.problem,
      );
    return verifyJwt(env, material.jwt, token);
  }
  // The list's problem may name an entry's field or key; only the log gets it.
  if (isUnusable(material.keys))
    throw misconfigured("The gateway's API key list is misconfigured.", material.keys.problem);
  const principal = await principalForKey(material.keys, token);
  if (!principal) throw unauthorized("Unknown API key.");
  return principal;
}

/** `Authorization: Bearer <token>`, or null. */
export function bearerToken(header: string | null | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] ?? null;
}
