// The gateway's deployable bundle, measured: a `wrangler deploy --dry-run` into a temporary folder, its size raw and
// gzipped (zlib's default level, the figure wrangler prints as "Total Upload ... / gzip"), and what fills it, summed
// from esbuild's metafile by package and by module. `--json` prints one JSON object for scripts; `--keep` keeps the folder.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = fileURLToPath(new URL("..", import.meta.url));
const json = process.argv.includes("--json");
const keep = process.argv.includes("--keep");
const TOP = 10;

const outdir = mkdtempSync(join(tmpdir(), "runcast-bundle-"));
const metafile = join(outdir, "meta.json");
try {
  // The same build `npm run check:deploy` does: production (no [env.dev]), nothing sent anywhere.
  const build = spawnSync(
    process.execPath,
    ["scripts/wrangler.js", "deploy", "--env=", "--dry-run", "--outdir", outdir, "--metafile", metafile],
    // The project's own wrangler, as `npm run` would find it, so a runner can call this script with plain `node`.
    {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, PATH: [join(root, "node_modules", ".bin"), process.env.PATH ?? ""].join(delimiter) },
    },
  );
  if (build.status !== 0) {
    process.stderr.write(build.stdout + build.stderr);
    // Thrown rather than exiting, so the temporary folder is still removed.
    throw new Error(`the dry run failed (exit ${build.status ?? build.signal})`);
  }

  const meta = JSON.parse(readFileSync(metafile, "utf8"));
  // The Worker's module is the output built from an entry point (the other is its source map).
  const [outPath, output] = Object.entries(meta.outputs).find(([, out]) => out.entryPoint);
  const code = readFileSync(join(root, outPath));

  const byPackage = new Map();
  const modules = [];
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    if (bytesInOutput === 0) continue;
    const path = relative(root, join(root, input)).replaceAll("\\", "/");
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? `(project) ${path.split("/")[0]}`;
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput);
    modules.push({ module: path.replace(/^.*node_modules\//, ""), bytes: bytesInOutput });
  }
  const top = (entries) => entries.sort((a, b) => b.bytes - a.bytes).slice(0, TOP);

  const report = {
    command: 'node scripts/wrangler.js deploy --env="" --dry-run --outdir <tmp> --metafile <tmp>/meta.json',
    bytes: code.length,
    gzipBytes: gzipSync(code).length,
    packages: top([...byPackage].map(([name, bytes]) => ({ package: name, bytes }))),
    modules: top(modules),
  };

  if (json) console.log(JSON.stringify(report, null, 2));
  else {
    const kib = (bytes) => `${(bytes / 1024).toFixed(2)} KiB`;
    console.log(`bundle: ${kib(report.bytes)} / gzip: ${kib(report.gzipBytes)}`);
    console.log(`\ntop ${TOP} packages (bytes in the bundle, before gzip):`);
    for (const { package: name, bytes } of report.packages) console.log(`  ${kib(bytes).padStart(12)}  ${name}`);
    console.log(`\ntop ${TOP} modules:`);
    for (const { module, bytes } of report.modules) console.log(`  ${kib(bytes).padStart(12)}  ${module}`);
  }
} finally {
  if (keep) console.error(`kept ${outdir}`);
  else rmSync(outdir, { recursive: true, force: true });
}
