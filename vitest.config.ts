// Tests run inside workerd: the gateway from wrangler.toml (its dev environment) and the emulator as an auxiliary Worker.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml", environment: "dev" },
      miniflare: {
        // The hub's timings, shortened so polling, silence and expiry show within a test (README lists the defaults).
        bindings: {
          RUNCAST_POLL_MIN_MS: "50",
          RUNCAST_POLL_MAX_WATCHED_MS: "200",
          RUNCAST_POLL_MAX_IDLE_MS: "400",
          RUNCAST_HEARTBEAT_MS: "300",
          RUNCAST_STREAM_SILENCE_MS: "1500",
          RUNCAST_EXPIRY_GRACE_MS: "300",
          RUNCAST_MAX_SUBSCRIBERS: "64",
          RUNCAST_MAX_LAG_EVENTS: "200",
          RUNCAST_LAG_GRACE_MS: "300",
        },
        workers: [
          {
            name: "runcast-emulator",
            modules: true,
            // Built by `npm run build:emulator` (part of `npm test`) from emulator/src.
            scriptPath: "./.build/emulator.js",
            compatibilityDate: "2026-11-01",
            durableObjects: {
              THREADS: { className: "EmulatorThread", useSQLite: true },
              DIRECTORY: { className: "EmulatorDirectory", useSQLite: true },
            },
            // Flat out by default so the suite is quick; tests that need a pace set it per run.
            bindings: { EMULATOR_DELTA_MS: "0", EMULATOR_REPLY_WORDS: "12", EMULATOR_EXPIRES_SECONDS: "600", EMULATOR_POLL_AFTER_MS: "20", EMULATOR_API_KEY: "" },
          },
        ],
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    // The emulator's global settings (admin endpoint) are shared by every file, so files run one at a time.
    fileParallelism: false,
    testTimeout: 20_000,
  },
});
