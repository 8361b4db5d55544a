// Bundles the emulator Worker into one module for the test pool, which runs it as an auxiliary Worker beside the gateway.
import { build } from "esbuild";

await build({
  entryPoints: ["emulator/src/index.ts"],
  outfile: ".build/emulator.js",
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2024",
  mainFields: ["module", "main"],
  conditions: ["workerd", "worker", "import"],
  external: ["cloudflare:*", "node:*"],
  logLevel: "warning",
});
