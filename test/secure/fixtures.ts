// Credentials of the `secure` test project (vitest.config.ts): two tenants and an admin, by JWT and by API key.
// Test-only values; a real deployment keeps its secrets in `wrangler secret put`.
export const JWT_SECRET = "test-only-jwt-secret-3f9c1a7e5b2d4c6e8a0b";
export const JWT_ISSUER = "https://auth.runcast.test";
export const JWT_AUDIENCE = "runcast";

/** API keys and their SHA-256 hashes (RUNCAST_API_KEYS holds only the hashes). */
export const API_KEYS = {
  acme: "rk_test_acme_5b0c0a3d9e8f7a6b",
  globex: "rk_test_globex_1c2d3e4f5a6b7c8d",
  admin: "rk_test_admin_9f8e7d6c5b4a3921",
};

export const ALLOWED_ASSISTANT_PREFIX = "asst_";
