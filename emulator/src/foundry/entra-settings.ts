// The emulated Entra token endpoint's one knob, the token lifetime, set through `/admin/entra` so a test can watch a token expire.
import { z } from "zod";
import { badRequest } from "../api-error";

export const entraSettingsSchema = z.strictObject({
  /** Entra's client-credential tokens live about an hour (`expires_in: 3599`); a test sets a second or two. */
  token_lifetime_seconds: z.number().int().min(1).max(86_400),
});
export type EntraSettings = z.infer<typeof entraSettingsSchema>;

export const DEFAULT_ENTRA_SETTINGS: EntraSettings = { token_lifetime_seconds: 3599 };

export function patchEntraSettings(current: EntraSettings, patch: unknown): EntraSettings {
  const parsed = entraSettingsSchema.partial().safeParse(patch);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue?.path.join(".") || null;
    throw badRequest(
      `Invalid setting${param ? ` '${param}'` : ""}: ${issue?.message ?? "invalid value"}.`,
      param,
      "invalid_value",
    );
  }
  return { ...current, ...parsed.data };
}
