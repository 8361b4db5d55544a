// `npm run check:client` (part of `npm test`): builds @runcast/client (packages/client, tsdown), packs it as npm would
// publish it, checks what the tarball holds (its own files only: no gateway code, no Workers types), and proves it from
// the outside: the two example apps install the tarball and type-check under `strict` with every library's declarations
// checked (examples/node-client: Node's types only; examples/vite-react: the DOM's, then `vite build`).
// `--no-examples` stops after the tarball's checks. Prints the tarball's size.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const pkg = path.join(root, "packages/client");
const packDir = path.join(pkg, ".pack");
const bin = path.join(root, "node_modules/.bin");
const PATH = `${bin}${path.delimiter}${process.env.PATH ?? ""}`;

const fail = (why) => {
  console.error(`check:client: ${why}`);
  process.exit(1);
};
const run = (command, args, cwd) => {
  try {
    return execFileSync(command, args, {
      cwd,
      env: { ...process.env, PATH },
      stdio: ["ignore", "pipe", "inherit"],
    }).toString();
  } catch (error) {
    return fail(
      `${path.basename(command)} ${args.join(" ")} (in ${path.relative(root, cwd)}) failed:\n${error.stdout ?? error}`,
    );
  }
};

// Names only the Workers runtime (or the gateway's own modules) declare: none may reach a frontend's types or bundle.
const WORKERS_ONLY = [
  /\bDurableObject\w*/,
  /\bKVNamespace\b/,
  /\bD1Database\b/,
  /\bR2Bucket\b/,
  /\bExecutionContext\b/,
  /\bWebSocketPair\b/,
  /\bCfProperties\b/,
  /\bCloudflare\./,
  /cloudflare:/,
  /@cloudflare\//,
  /\bGatewayEnv\b/,
  /\bRunHub\b/,
  /\/\/\/\s*<reference/,
];

run(path.join(bin, "tsdown"), ["--log-level", "warn"], pkg);

rmSync(packDir, { recursive: true, force: true });
mkdirSync(packDir);
const [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", packDir], pkg));
renameSync(path.join(packDir, packed.filename), path.join(packDir, "runcast-client.tgz"));

const files = packed.files.map((file) => file.path);
const stray = files.filter((file) => !/^(package\.json|README\.md|dist\/[\w.-]+\.(js|d\.ts|js\.map))$/.test(file));
if (stray.length > 0) fail(`the tarball holds files that are not the package's: ${stray.join(", ")}`);
for (const entry of ["dist/index.js", "dist/index.d.ts", "dist/react.js", "dist/react.d.ts"])
  if (!files.includes(entry)) fail(`the tarball lacks ${entry}`);
if (!files.some((file) => file.endsWith(".js.map"))) fail("the tarball has no source maps");

const dist = path.join(pkg, "dist");
for (const file of readdirSync(dist).filter((name) => !name.endsWith(".map"))) {
  const text = readFileSync(path.join(dist, file), "utf8");
  const found = WORKERS_ONLY.find((pattern) => pattern.test(text));
  if (found) fail(`dist/${file} names ${text.match(found)[0]}, which only the gateway or the Workers runtime has`);
}
const declarations = readdirSync(dist)
  .filter((name) => name.endsWith(".d.ts"))
  .reduce((sum, name) => sum + readFileSync(path.join(dist, name)).length, 0);
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
console.log(
  `check:client: ${packed.name}@${packed.version}: ${files.length} files, tarball ${kib(packed.size)}, unpacked ${kib(packed.unpackedSize)} (declarations ${kib(declarations)}); no gateway code, no Workers types`,
);

if (!process.argv.includes("--no-examples")) {
  for (const example of ["node-client", "vite-react"]) {
    const dir = path.join(root, "examples", example);
    // A tarball of the same version is not reinstalled by npm, so the last build's copy goes first.
    rmSync(path.join(dir, "node_modules/@runcast"), { recursive: true, force: true });
    run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--no-package-lock"], dir);
    if (example === "node-client") run(path.join(dir, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], dir);
    else run("npm", ["run", "build", "--silent"], dir);
    console.log(
      `check:client: examples/${example} installs the tarball and ${example === "node-client" ? "type-checks" : "type-checks and builds"}`,
    );
  }
}
