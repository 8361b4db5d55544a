// Turns a caller's credential into a Principal, or a clear UNAUTHORIZED; never makes an upstream call.
import { TRPCError } from "@trpc/server";
import { errors, jwtVerify, type JWTPayload } from "jose";
import type { GatewayEnv } from "../env";
import { principalForKey } from "./api-keys";
import { authSetting } from "./auth-config";
import { DEVELOPER, principalFrom, type Principal } from "./principal";
import { isUnusable, verificationMaterial, type JwtVerifier } from "./verification-material";

const unauthorized = (message: string) => new TRPCError({ code: "UNAUTHORIZED", message });
const unavailable = (message: string) => new TRPCError({ code: "SERVICE_UNAVAILABLE", message });

/** A setting that cannot be used: the gateway is at fault, not the caller, until it is fixed. The problem is logged; `message` is answered. */
function misconfigured(message: string, problem: string): TRPCError {
  console.error(`auth: ${problem}`);
  return unavailable(message);
}

function scopesOf(payload: JWTPayload): string[] {
  const scope = payload.scope;
  const scopes = payload.scopes ?? payload.scp;
  return [...(typeof scope === "string" ? scope.split(" ") : []), ...(Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === "string") : [])];
}

async function verifyJwt(env: GatewayEnv, { key, algorithms }: JwtVerifier, token: string): Promise<Principal> {
  const options = {
    algorithms,
    ...(env.RUNCAST_JWT_ISSUER ? { issuer: env.RUNCAST_JWT_ISSUER } : {}),
    ...(env.RUNCAST_JWT_AUDIENCE ? { audience: env.RUNCAST_JWT_AUDIENCE } : {}),
  };
  try {
    const { payload } = await jwtVerify(token, key, options);
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
  if ("mode" in setting && setting.mode === "refuse") throw unavailable(setting.reason);
  if ("mode" in setting) return DEVELOPER;
  if (!token) throw unauthorized("Send a credential: `Authorization: Bearer <token>` (or the `token` connection param on subscriptions).");
  const material = verificationMaterial(env);
  if (setting.modes.has("jwt") && (looksLikeJwt(token) || !setting.modes.has("keys"))) {
    if (material.jwt === null) throw unavailable("jwt mode needs RUNCAST_JWT_SECRET, RUNCAST_JWKS or RUNCAST_JWKS_URL.");
    // The problem names the setting and never quotes it, so the caller (and whoever runs the gateway) learns what to fix.
    if (isUnusable(material.jwt)) throw misconfigured(`The gateway's JWT verification is misconfigured: ${material.jwt.problem}`, material.jwt.problem);
    return verifyJwt(env, material.jwt, token);
  }
  // The list's problem may name an entry's field or key; only the log gets it.
  if (isUnusable(material.keys)) throw misconfigured("The gateway's API key list is misconfigured.", material.keys.problem);
  const principal = await principalForKey(material.keys, token);
  if (!principal) throw unauthorized("Unknown API key.");
  return principal;
}

/** `Authorization: Bearer <token>`, or null. */
export function bearerToken(header: string | null | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] ?? null;
}
