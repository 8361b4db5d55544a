// Builds the demo page (demo/) into demo/dist, which `wrangler dev` serves at `/` as Workers static assets
// (wrangler.toml, [env.dev.assets]). Production React, minified, one ES module; index.html and the CSS are copied.
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";

const out = "demo/dist";
const started = Date.now();
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: ["demo/src/main.tsx"],
  outfile: `${out}/main.js`,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  jsx: "automatic",
  minify: true,
  legalComments: "none",
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
});
await Promise.all(["index.html", "styles.css"].map((file) => copyFile(`demo/${file}`, `${out}/${file}`)));
console.log(`demo built into ${out} in ${Date.now() - started} ms`);
