// Tests run inside workerd: the gateway from wrangler.toml (its dev environment) and the emulator as an auxiliary Worker.
// Four projects: `gateway` (authentication `none`, as `npm start` has it), `secure` (jwt and API keys, tenants, limits),
// and the run tests again with `RUNCAST_PROVIDER=foundry` and `=responses` (the emulator's project surface, and its
// Responses and Conversations APIs); and the fault suite with each provider (test/faults).
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** The emulator, built by `npm run build:emulator` (part of `npm test`) from emulator/src. */
const emulator = {
  name: "runcast-emulator",
  modules: true,
  scriptPath: "./.build/emulator.js",
  compatibilityDate: "2026-11-01",
  durableObjects: {
    THREADS: { className: "EmulatorThread", useSQLite: true },
    DIRECTORY: { className: "EmulatorDirectory", useSQLite: true },
    CONVERSATIONS: { className: "EmulatorConversation", useSQLite: true },
  },
  // Flat out by default so the suite is quick; tests that need a pace set it per run.
  bindings: {
    EMULATOR_DELTA_MS: "0",
    EMULATOR_REPLY_WORDS: "12",
    EMULATOR_EXPIRES_SECONDS: "600",
    EMULATOR_POLL_AFTER_MS: "20",
    EMULATOR_API_KEY: "",
    EMULATOR_SEED_DEMO: "false",
    // Foundry's Entra app registration, test-only values (test/helpers/foundry.ts uses the same).
    EMULATOR_ENTRA_TENANT_ID: "00000000-0000-4000-8000-00000000e001",
    EMULATOR_ENTRA_CLIENT_ID: "11111111-2222-4333-8444-000000000001",
    EMULATOR_ENTRA_CLIENT_SECRET: "emulator-test-only-client-secret",
    EMULATOR_ENTRA_SIGNING_KEY: "emulator-test-only-entra-signing-key",
  },
};

/** The hub's timings, shortened so polling, silence and expiry show within a test (README lists the defaults). */
const hubTimings = {
  RUNCAST_POLL_MIN_MS: "50",
  RUNCAST_POLL_MAX_WATCHED_MS: "200",
  RUNCAST_POLL_MAX_IDLE_MS: "400",
  RUNCAST_POLL_MAX_WAITING_MS: "300",
  RUNCAST_POLL_CONTENT_MS: "300",
  RUNCAST_HEARTBEAT_MS: "300",
  RUNCAST_STREAM_SILENCE_MS: "1500",
  RUNCAST_EXPIRY_GRACE_MS: "300",
  RUNCAST_MAX_SUBSCRIBERS: "64",
  RUNCAST_MAX_LAG_EVENTS: "200",
  RUNCAST_LAG_GRACE_MS: "300",
  RUNCAST_FOLLOW_HEARTBEAT_MS: "500",
};

/** The `secure` project's authentication: test-only credentials (test/secure/fixtures.ts). */
const security = {
  RUNCAST_AUTH_MODE: "jwt,keys",
  RUNCAST_JWT_SECRET: "test-only-jwt-secret-3f9c1a7e5b2d4c6e8a0b",
  RUNCAST_JWT_ISSUER: "https://auth.runcast.test",
  RUNCAST_JWT_AUDIENCE: "runcast",
  RUNCAST_API_KEYS: JSON.stringify([
    { sha256: "70bd7125c058abcae4b46173bd0552990b6ea2c6706dfff05b9d46f94b5b02de", tenant: "acme", scopes: [] },
    {
      sha256: "0ad704200a2cb55d36fc7a97ac3707627eb58cbcc7b09918cc762268453312d2",
      tenant: "globex",
      scopes: ["runcast:override"],
    },
    {
      sha256: "2b309c6dc1f18253a37b95172899099a47e03fd9dd7578ea0a6577286320c4f3",
      tenant: "ops",
      scopes: ["runcast:admin"],
    },
  ]),
  RUNCAST_CORS_ORIGINS: "https://app.example.com,http://localhost:5173",
  RUNCAST_MAX_ACTIVE_RUNS: "3",
  RUNCAST_MAX_SUBSCRIBERS_PER_TENANT: "5",
  RUNCAST_MAX_BODY_BYTES: "65536",
  RUNCAST_MAX_UNAUTHENTICATED_SOCKETS: "16",
};

/** The fault suite's room: hundreds of subscribers on a run, and its scale (`npm run faults` sets it to `full`). */
const faults = {
  RUNCAST_FAULTS_SCALE: process.env.RUNCAST_FAULTS_SCALE ?? "ci",
  RUNCAST_MAX_SUBSCRIBERS: "1100",
  RUNCAST_MAX_SUBSCRIBERS_PER_TENANT: "1100",
  RUNCAST_MAX_UNAUTHENTICATED_SOCKETS: "1100",
};

/**
 * What every provider must serve the same way: runs, events, tool rounds, REST and the SDK, README's example, and the
 * request ids and failure lines that follow one request through them.
 */
const PER_PROVIDER = [
  "test/rpc-runs.test.ts",
  "test/hub-subscribers.test.ts",
  "test/hub-lifecycle.test.ts",
  "test/rest-surface.test.ts",
  "test/rest-streaming.test.ts",
  "test/rest-assistants-flow.test.ts",
  "test/readme-example.test.ts",
  "test/provider-selected.test.ts",
  "test/request-ids.test.ts",
];

function workersProject(name: string, include: string[], bindings: Record<string, string>, exclude: string[] = []) {
  return {
    // The README's example imports the client as a frontend would, by its package's name (packages/client is built from
    // this same source).
    resolve: { alias: { "@runcast/client": "/src/client/index.ts" } },
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml", environment: "dev" },
        miniflare: { bindings: { ...hubTimings, ...bindings }, workers: [emulator] },
      }),
    ],
    test: {
      name,
      include,
      exclude,
      setupFiles: ["test/setup.ts"],
      // The emulator's global settings (admin endpoint) are shared by a project's files, so they run one at a time.
      fileParallelism: false,
      testTimeout: 20_000,
    },
  };
}

export default defineConfig({
  test: {
    projects: [
      workersProject("gateway", ["test/*.test.ts"], {}),
      workersProject("secure", ["test/secure/*.test.ts"], security),
      // The run surface again with Foundry classic agents behind it (the emulator's project endpoint, Entra tokens).
      workersProject("foundry", [...PER_PROVIDER, "test/foundry/*.test.ts"], { RUNCAST_PROVIDER: "foundry" }),
      // And with the Responses API behind it: Runcast's own records, runs as chains of background responses. The shared
      // run tests set up and read through Runcast, so they run here too (the few that need the emulator's Assistants API
      // itself skip under `responses`, saying why).
      workersProject("responses", [...PER_PROVIDER, "test/responses/*.test.ts"], {
        RUNCAST_PROVIDER: "responses",
      }),
      // The fault suite (test/faults), with each provider: small and seeded here, full under `npm run faults`.
      workersProject("faults", ["test/faults/*.test.ts"], faults),
      workersProject("faults-responses", ["test/faults/*.test.ts"], {
        ...faults,
        RUNCAST_PROVIDER: "responses",
        // Runs waiting for tool outputs expire in 5 s, 20 s at full scale (the Assistants emulator's runs take
        // `emulator_expire_after`): soon enough for the expiry scenario, late enough for the others to answer first.
        RUNCAST_RESPONSES_EXPIRES_SECONDS: faults.RUNCAST_FAULTS_SCALE === "full" ? "20" : "5",
      }),
    ],
  },
});
