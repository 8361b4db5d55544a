// Prints the SHA-256 (hex) of an API key, the only form in which RUNCAST_API_KEYS holds keys.
// Usage: npm run hash-key -- <key>   (or with no argument: a new random key and its hash)
import { createHash, randomBytes } from "node:crypto";

const key = process.argv[2] ?? `rk_${randomBytes(24).toString("base64url")}`;
if (!process.argv[2]) console.log(`key:    ${key}`);
console.log(`sha256: ${createHash("sha256").update(key).digest("hex")}`);
