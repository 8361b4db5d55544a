// What checking a credential needs (API keys, the JWT key), built from the settings once per isolate and cached whole.
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import type { GatewayEnv } from "../env";
import { parseApiKeys, type ApiKeyEntry } from "./api-keys";
import { durationSeconds } from "./duration";

/** A setting that cannot be used. `problem` names the setting, never its value (which may be a secret). */
export interface Unusable {
  problem: string;
}

/** How JWTs are checked: the key (an HS256 secret, or a JWKS), the algorithms it may sign with, and how old a token may be. */
export interface JwtVerifier {
  key: JWTVerifyGetKey;
  algorithms: string[];
  /** RUNCAST_JWT_MAX_AGE in seconds; null when unset (then every token must carry `exp`). */
  maxAgeSeconds: number | null;
}

export interface VerificationMaterial {
  keys: Map<string, ApiKeyEntry> | Unusable;
  /** null when no JWT key is configured at all. */
  jwt: JwtVerifier | Unusable | null;
}

export const isUnusable = (value: object | null): value is Unusable => value !== null && "problem" in value;

function apiKeys(env: GatewayEnv): VerificationMaterial["keys"] {
  try {
    return parseApiKeys(env.RUNCAST_API_KEYS);
  } catch (error) {
    return { problem: error instanceof Error ? error.message : "RUNCAST_API_KEYS is unusable." };
  }
}

function jwtVerifier(env: GatewayEnv): VerificationMaterial["jwt"] {
  const key = jwtKey(env);
  if (key === null || isUnusable(key)) return key;
  if (!env.RUNCAST_JWT_MAX_AGE?.trim()) return { ...key, maxAgeSeconds: null };
  const maxAgeSeconds = durationSeconds(env.RUNCAST_JWT_MAX_AGE);
  return maxAgeSeconds === null
    ? { problem: "RUNCAST_JWT_MAX_AGE is not a duration: give seconds (`900`) or a number and unit (`15m`)." }
    : { ...key, maxAgeSeconds };
}

/** An inline JWKS (RUNCAST_JWKS) needs no fetch; a URL is fetched and its keys cached by jose; else the shared secret. */
function jwtKey(env: GatewayEnv): Omit<JwtVerifier, "maxAgeSeconds"> | Unusable | null {
  const asymmetric = ["RS256", "ES256"];
  if (env.RUNCAST_JWKS) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(env.RUNCAST_JWKS);
    } catch {
      return { problem: "RUNCAST_JWKS is not valid JSON." };
    }
    try {
      return { key: createLocalJWKSet(parsed as JSONWebKeySet), algorithms: asymmetric };
    } catch {
      return { problem: "RUNCAST_JWKS is not a JSON Web Key Set (an object with a `keys` array)." };
    }
  }
  if (env.RUNCAST_JWKS_URL) {
    const url = URL.parse(env.RUNCAST_JWKS_URL);
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:"))
      return { problem: "RUNCAST_JWKS_URL is not an http(s) URL." };
    return { key: createRemoteJWKSet(url), algorithms: asymmetric };
  }
  if (env.RUNCAST_JWT_SECRET) {
    const secret = new TextEncoder().encode(env.RUNCAST_JWT_SECRET);
    return { key: async () => secret, algorithms: ["HS256"] };
  }
  return null;
}

let cached: { config: string; material: VerificationMaterial } | undefined;

/**
 * The material for the current settings. Building it never throws: an unusable setting is recorded, so
 * every call answers the same until the setting is fixed, and the cache only ever holds a whole build.
 */
export function verificationMaterial(env: GatewayEnv): VerificationMaterial {
  const config = [
    env.RUNCAST_AUTH_MODE,
    env.RUNCAST_JWT_SECRET,
    env.RUNCAST_JWKS_URL,
    env.RUNCAST_JWKS,
    env.RUNCAST_JWT_MAX_AGE,
    env.RUNCAST_API_KEYS,
  ].join("\u0000");
  if (cached?.config !== config) cached = { config, material: { keys: apiKeys(env), jwt: jwtVerifier(env) } };
  return cached.material;
}
