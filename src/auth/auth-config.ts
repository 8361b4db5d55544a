// Which authentication mode is in force, from the Worker's configuration, with the safe default.
import type { GatewayEnv } from "../env";
import { selectUpstream } from "../providers/upstream";

export type AuthMode = "jwt" | "keys" | "none";

/** What the configuration amounts to: a mode, or a refusal that says how to fix it. */
export type AuthSetting = { mode: AuthMode } | { mode: "refuse"; reason: string };

export const HOW_TO_CONFIGURE =
  "Set RUNCAST_AUTH_MODE to `jwt` (with RUNCAST_JWT_SECRET or RUNCAST_JWKS_URL) or `keys` (with RUNCAST_API_KEYS); `none` only for development.";

/**
 * The mode RUNCAST_AUTH_MODE names. Unset, it is `none` while the emulator is the upstream (nothing real
 * to protect), and a refusal of every call once a real upstream key is configured: `none` in front of a
 * real key must be chosen explicitly.
 */
export function authSetting(env: GatewayEnv): AuthSetting {
  const mode = env.RUNCAST_AUTH_MODE?.trim();
  if (mode === "jwt" || mode === "keys" || mode === "none") return { mode };
  if (mode) return { mode: "refuse", reason: `RUNCAST_AUTH_MODE is "${mode}", which is not a mode. ${HOW_TO_CONFIGURE}` };
  if (selectUpstream(env).kind === "emulator") return { mode: "none" };
  return { mode: "refuse", reason: `A real upstream is configured but no authentication. ${HOW_TO_CONFIGURE}` };
}

/** The global assistant allow-list (RUNCAST_ALLOWED_ASSISTANTS, comma-separated), or null for any. */
export function allowedAssistants(env: GatewayEnv): string[] | null {
  const list = env.RUNCAST_ALLOWED_ASSISTANTS?.split(",").map((id) => id.trim()).filter(Boolean);
  return list && list.length > 0 ? list : null;
}
