// Browser tests: real Chromium (Debian's, driven by playwright-core) against `wrangler dev` on loopback, serving the
// demo page (demo/dist) and the gateway with the emulator. They run in Node, not workerd: `npm run test:browser`.
// `--mode responses` runs them with RUNCAST_PROVIDER=responses (`npm run test:browser` runs both).
import { defineConfig } from "vitest/config";

export default defineConfig(({ mode }) => ({
  test: {
    name: mode === "responses" ? "browser (responses)" : "browser",
    // The provider `wrangler dev` runs: the global setup passes it as a var, the tests read where records live.
    provide: { provider: mode === "responses" ? "responses" : "assistants" },
    environment: "node",
    include: ["test/browser/*.test.ts"],
    // One `wrangler dev` (fresh state in a temp dir) for the whole run, started before and stopped after.
    globalSetup: ["test/browser/global-setup.ts"],
    // The pages share one server (and its emulator's settings): one file at a time.
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
}));
