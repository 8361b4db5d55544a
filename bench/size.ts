// Size and start: the production bundle as `wrangler deploy` would upload it (scripts/bundle-size.js: raw, gzip, and
// what fills it), and the Worker's start-up CPU as `wrangler check startup` profiles it locally.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

export interface SizeFigures {
  rawKiB: number;
  gzipKiB: number;
  /** The largest packages in the bundle, before gzip. */
  packages: Array<{ package: string; KiB: number }>;
  /** Start-up CPU measured locally ("Active" in `wrangler check startup`), ms. */
  startupMs: number;
}

const run = promisify(execFile);

export async function bundleSize(): Promise<SizeFigures> {
  const { stdout } = await run(process.execPath, ["scripts/bundle-size.js", "--json"], { maxBuffer: 10 * 2 ** 20 });
  const measured = JSON.parse(stdout) as {
    bytes: number;
    gzipBytes: number;
    packages: Array<{ package: string; bytes: number }>;
  };
  return {
    rawKiB: measured.bytes / 1024,
    gzipKiB: measured.gzipBytes / 1024,
    packages: measured.packages.slice(0, 5).map((p) => ({ package: p.package, KiB: p.bytes / 1024 })),
    startupMs: await startupMs(),
  };
}

async function startupMs(): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), "runcast-startup-"));
  try {
    const { stdout } = await run(
      process.execPath,
      ["scripts/wrangler.js", "check", "startup", "--outfile", path.join(dir, "startup.cpuprofile")],
      { maxBuffer: 10 * 2 ** 20 },
    );
    const active = /Active: ([\d.]+) ms/.exec(stdout);
    return active ? Number(active[1]) : Number.NaN;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
