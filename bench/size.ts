// Size: the production bundle as `wrangler deploy` would upload it (a dry run into a temp dir), raw and gzipped.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";

export interface SizeFigures {
  rawKiB: number;
  gzipKiB: number;
}

export async function bundleSize(): Promise<SizeFigures> {
  const out = await mkdtemp(path.join(tmpdir(), "runcast-size-"));
  try {
    await promisify(execFile)(process.execPath, ["scripts/wrangler.js", "deploy", "--dry-run", "--outdir", out], {
      maxBuffer: 10 * 2 ** 20,
    });
    let raw = 0;
    let gzip = 0;
    for (const name of await readdir(out)) {
      if (!/\.(m?js|wasm)$/.test(name)) continue;
      const file = path.join(out, name);
      raw += (await stat(file)).size;
      gzip += gzipSync(await readFile(file), { level: 9 }).length;
    }
    return { rawKiB: raw / 1024, gzipKiB: gzip / 1024 };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
