// What the figures were measured on: they drift between machines, so RESULTS.md says which.
import { cpus, platform, release, totalmem } from "node:os";
import { readFileSync } from "node:fs";

function workerdVersion(): string {
  try {
    return (JSON.parse(readFileSync("node_modules/workerd/package.json", "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export function describeMachine(): string {
  const cores = cpus();
  return `${platform()} ${release()}, ${cores.length} × ${cores[0]?.model.trim() ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, workerd ${workerdVersion()}`;
}
