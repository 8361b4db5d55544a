// Builds the package from the gateway's own client source (src/client, src/react): ESM, bundled declarations, source
// maps. @trpc/* and React stay imports (dependencies and an optional peer); the few openai types the client's
// declarations name are bundled in, so a frontend needs neither the openai SDK nor any Workers types.
import { defineConfig } from "tsdown";

export default defineConfig({
  entry: { index: "../../src/client/index.ts", react: "../../src/react/index.ts" },
  format: "esm",
  platform: "neutral",
  sourcemap: true,
  outDir: "dist",
  tsconfig: "./tsconfig.build.json",
  dts: { resolve: ["openai"] },
  // The client's declarations name the gateway's procedures, whose source reaches the Worker's own modules; the
  // declarations bundled keep only what the client names (scripts/check-client-package.js proves it). openai's
  // declarations probe for fetch libraries by relative paths into node_modules (undici's would bring Node's types and
  // a `node:buffer` augmentation along): never followed, so they fall away with the SDK's request types.
  deps: {
    neverBundle: [
      /^@trpc\//,
      /^react($|\/)/,
      /^cloudflare:/,
      /node_modules\/(undici|undici-types|@types\/node-fetch|node-fetch)\//,
    ],
  },
  inputOptions: {
    // zod's locale declarations are CommonJS, which the declaration bundler reads past (no client type names them).
    onLog(level, log, handler) {
      if (log.message.includes("uses CommonJS dts syntax")) return;
      handler(level, log);
    },
  },
});
