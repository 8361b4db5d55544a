// Ids Runcast issues for what has no upstream id (runs, steps, threads, assistants), in the upstream's form.
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `prefix_` and 24 random letters and digits, as OpenAI's ids look. */
export function newId(prefix: "run" | "step" | "thread" | "asst"): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  let id = "";
  for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length];
  return `${prefix}_${id}`;
}
