// Turns a caller's credential into a Principal, or a clear UNAUTHORIZED; never makes an upstream call.
import { TRPCError } from "@trpc/server";
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";
import type { GatewayEnv } from "../env";
import { parseApiKeys, principalForKey, type ApiKeyEntry } from "./api-keys";
import { authSetting } from "./auth-config";
import { DEVELOPER, principalFrom, type Principal } from "./principal";

/** Verification material, built once per isolate per configuration (the JWKS set caches its keys). */
let cached: { key: string; keys?: Map<string, ApiKeyEntry>; keysError?: string; jwks?: Parameters<typeof jwtVerify>[1]; secret?: Uint8Array } | undefined;

function material(env: GatewayEnv) {
  const key = [env.RUNCAST_AUTH_MODE, env.RUNCAST_JWT_SECRET, env.RUNCAST_JWKS_URL, env.RUNCAST_JWKS, env.RUNCAST_API_KEYS].join("\u0000");
  if (cached?.key === key) return cached;
  cached = { key };
  try {
    cached.keys = parseApiKeys(env.RUNCAST_API_KEYS);
  } catch (error) {
    cached.keysError = error instanceof Error ? error.message : "RUNCAST_API_KEYS is unusable";
  }
  // A JWKS given inline (RUNCAST_JWKS) needs no fetch; a URL is fetched and cached by jose.
  if (env.RUNCAST_JWKS) cached.jwks = createLocalJWKSet(JSON.parse(env.RUNCAST_JWKS) as JSONWebKeySet);
  else if (env.RUNCAST_JWKS_URL) cached.jwks = createRemoteJWKSet(new URL(env.RUNCAST_JWKS_URL));
  if (env.RUNCAST_JWT_SECRET) cached.secret = new TextEncoder().encode(env.RUNCAST_JWT_SECRET);
  return cached;
}

const unauthorized = (message: string) => new TRPCError({ code: "UNAUTHORIZED", message });

function scopesOf(payload: JWTPayload): string[] {
  const scope = payload.scope;
  const scopes = payload.scopes ?? payload.scp;
  return [...(typeof scope === "string" ? scope.split(" ") : []), ...(Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === "string") : [])];
}

async function verifyJwt(env: GatewayEnv, token: string): Promise<Principal> {
  const { jwks, secret } = material(env);
  const options = {
    ...(env.RUNCAST_JWT_ISSUER ? { issuer: env.RUNCAST_JWT_ISSUER } : {}),
    ...(env.RUNCAST_JWT_AUDIENCE ? { audience: env.RUNCAST_JWT_AUDIENCE } : {}),
  };
  try {
    const { payload } = jwks
      ? await jwtVerify(token, jwks, { ...options, algorithms: ["RS256", "ES256"] })
      : await jwtVerify(token, secret ?? new Uint8Array(), { ...options, algorithms: ["HS256"] });
    if (typeof payload.sub !== "string" || payload.sub.length === 0) throw unauthorized("The token has no subject (`sub`).");
    const assistants = Array.isArray(payload.assistants) ? payload.assistants.filter((a): a is string => typeof a === "string") : null;
    return principalFrom(payload.sub, scopesOf(payload), assistants);
  } catch (error) {
    if (error instanceof TRPCError) throw error;
    if (error instanceof errors.JWTExpired) throw unauthorized("The token has expired.");
    if (error instanceof errors.JWTClaimValidationFailed) throw unauthorized(`The token's \`${error.claim}\` claim is not accepted.`);
    throw unauthorized("The token is not valid.");
  }
}

/** A JWT is three base64url parts; anything else is taken for an API key. */
const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);

/** The Principal for a bearer token (or none); the configured modes decide how it is checked. */
export async function authenticate(env: GatewayEnv, token: string | null): Promise<Principal> {
  const setting = authSetting(env);
  if ("mode" in setting && setting.mode === "refuse") throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: setting.reason });
  if ("mode" in setting) return DEVELOPER;
  if (!token) throw unauthorized("Send a credential: `Authorization: Bearer <token>` (or the `token` connection param on subscriptions).");
  if (setting.modes.has("jwt") && (looksLikeJwt(token) || !setting.modes.has("keys"))) {
    if (!env.RUNCAST_JWT_SECRET && !env.RUNCAST_JWKS_URL && !env.RUNCAST_JWKS)
      throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "jwt mode needs RUNCAST_JWT_SECRET, RUNCAST_JWKS or RUNCAST_JWKS_URL." });
    return verifyJwt(env, token);
  }
  const { keys, keysError } = material(env);
  if (keysError || !keys) {
    // The message names the problem's place in the list, never its content.
    console.error(`auth: ${keysError}`);
    throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "The gateway's API key list is misconfigured." });
  }
  const principal = await principalForKey(keys, token);
  if (!principal) throw unauthorized("Unknown API key.");
  return principal;
}

/** `Authorization: Bearer <token>`, or null. */
export function bearerToken(header: string | null | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] ?? null;
}
