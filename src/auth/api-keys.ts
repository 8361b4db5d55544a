// API keys (`keys` mode): each maps to a tenant and is stored only as its SHA-256 hash (RUNCAST_API_KEYS).
import * as z from "zod";
import { principalFrom, type Principal } from "./principal";

const keyEntry = z.strictObject({
  /** Hex SHA-256 of the key: `npm run hash-key -- <key>` prints it. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  tenant: z.string().min(1).max(128),
  scopes: z.array(z.string()).default([]),
  assistants: z.array(z.string()).nullable().default(null),
});
const keyList = z.array(keyEntry);

export type ApiKeyEntry = z.infer<typeof keyEntry>;

export async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Parses RUNCAST_API_KEYS (JSON); a malformed list is a configuration error, reported without its content. */
export function parseApiKeys(raw: string | undefined): Map<string, ApiKeyEntry> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw ?? "[]");
  } catch {
    throw new Error("RUNCAST_API_KEYS is not valid JSON");
  }
  const list = keyList.safeParse(parsed);
  if (!list.success)
    throw new Error(
      `RUNCAST_API_KEYS is malformed: ${list.error.issues[0]?.path.join(".") ?? ""} ${list.error.issues[0]?.message ?? ""}`,
    );
  return new Map(list.data.map((entry) => [entry.sha256, entry]));
}

export async function principalForKey(keys: Map<string, ApiKeyEntry>, key: string): Promise<Principal | null> {
  const entry = keys.get(await sha256Hex(key));
  // A key is valid until it is removed from RUNCAST_API_KEYS; it has no expiry of its own.
  return entry ? principalFrom(entry.tenant, entry.scopes, entry.assistants, null) : null;
}
