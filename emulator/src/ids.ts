// Object ids in the upstream's form: a type prefix and 24 random alphanumerics.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export type IdPrefix =
  "asst" | "thread" | "msg" | "run" | "step" | "call" | "req" | "resp" | "conv" | "fc" | "fco" | "mcpl";

/** `length` random alphanumerics. */
export function randomText(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let body = "";
  for (const byte of bytes) body += ALPHABET[byte % ALPHABET.length];
  return body;
}

export function newId(prefix: IdPrefix, length = 24): string {
  return `${prefix}_${randomText(length)}`;
}

/** Ids arrive in URL paths; anything not shaped like one of ours can never name an object. */
export const isIdOf = (prefix: IdPrefix, value: string) => new RegExp(`^${prefix}_[A-Za-z0-9]{1,64}$`).test(value);
