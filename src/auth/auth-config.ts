// Which authentication mode is in force, from the Worker's configuration, with the safe default.
import type { GatewayEnv } from "../env";
import { selectUpstream } from "../providers/upstream";

/** What the configuration amounts to: the modes in force, or a refusal that says how to fix it. */
export type AuthSetting = { modes: Set<"jwt" | "keys"> } | { mode: "none" } | { mode: "refuse"; reason: string };

export const HOW_TO_CONFIGURE =
  "Set RUNCAST_AUTH_MODE to `jwt` (with RUNCAST_JWT_SECRET, RUNCAST_JWKS or RUNCAST_JWKS_URL), `keys` (with RUNCAST_API_KEYS), or `jwt,keys` for both; `none` only for development.";

/**
 * The modes RUNCAST_AUTH_MODE names (`jwt`, `keys`, both as `jwt,keys`, or `none`). Unset, it is `none`
 * while the emulator is the upstream (nothing real to protect), and a refusal of every call once a real
 * upstream key is configured: `none` in front of a real key must be chosen explicitly.
 */
export function authSetting(env: GatewayEnv): AuthSetting {
  const raw = env.RUNCAST_AUTH_MODE?.trim();
  if (!raw)
    return selectUpstream(env).kind === "emulator"
      ? { mode: "none" }
      : { mode: "refuse", reason: `A real upstream is configured but no authentication. ${HOW_TO_CONFIGURE}` };
  if (raw === "none") return { mode: "none" };
  const modes = raw.split(",").map((mode) => mode.trim());
  if (modes.every((mode) => mode === "jwt" || mode === "keys"))
    return { modes: new Set(modes as Array<"jwt" | "keys">) };
  return { mode: "refuse", reason: `RUNCAST_AUTH_MODE is "${raw}", which is not a mode. ${HOW_TO_CONFIGURE}` };
}

/** The global assistant allow-list (RUNCAST_ALLOWED_ASSISTANTS, comma-separated), or null for any. */
export function allowedAssistants(env: GatewayEnv): string[] | null {
  const list = env.RUNCAST_ALLOWED_ASSISTANTS?.split(",")
    .map((id) => id.trim())
    .filter(Boolean);
  return list && list.length > 0 ? list : null;
}
