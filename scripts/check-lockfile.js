// `npm run check:lockfile` (part of `npm test`): package-lock.json must be in step with package.json, every platform's
// entries included, or `npm ci` (what CI runs on a fresh clone) refuses it. `npm ci --dry-run` makes exactly that
// check and changes nothing; on failure this says which entries are missing and how to fix it.
import { spawnSync } from "node:child_process";

const result = spawnSync("npm", ["ci", "--dry-run", "--ignore-scripts", "--no-audit", "--no-fund"], {
  encoding: "utf8",
});
if (result.status !== 0) {
  const why = `${result.stdout}${result.stderr}`
    .split("\n")
    .filter((line) => /in sync|Missing:|Invalid:|ERESOLVE|ENOTFOUND/.test(line))
    .map((line) => line.replace(/^npm error\s*/, "  "));
  console.error(
    `check:lockfile: package-lock.json is not in step with package.json, so \`npm ci\` would refuse it:\n${why.join("\n")}\n` +
      "Run `npm install` (twice if it adds platform entries the first time) and commit package-lock.json.",
  );
  process.exit(1);
}
console.log("check:lockfile: package-lock.json is in step with package.json (npm ci accepts it)");
