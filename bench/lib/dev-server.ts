// Starts `wrangler dev` on a free loopback port with fresh state in a temp dir, waits until it answers, and stops it
// (and the workerd it started) afterwards. Used by the benchmarks and the browser tests' global setup.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export interface DevServer {
  baseUrl: string;
  /** Where wrangler serves the Chrome DevTools protocol for its Workers (the CPU profiler uses it). */
  inspectorPort: number;
  /** The wrangler process; workerd runs in its process group. */
  pid: number;
  /** The last 200 kB of wrangler's output. */
  log(): string;
  /**
   * When wrangler restarted the runtime since it started (epoch ms): it does when a file it bundles or serves changes,
   * and the requests in flight then fail (a POST is answered 503 "Your worker restarted mid-request").
   */
  reloads(): number[];
  stop(): Promise<void>;
  /** Kills wrangler and workerd at once (SIGKILL), as a crash would: nothing is flushed, the persisted state stays. */
  kill(): Promise<void>;
}

export interface DevServerOptions {
  /** `-c` configs, the first one served (the others reachable through its service bindings). */
  configs: string[];
  /** `--env`, e.g. `dev`. */
  env?: string;
  /** `--var KEY:VALUE` overrides. */
  vars?: Record<string, string>;
  /** A path that answers 200 once the server is ready. */
  readyPath?: string;
  startupMs?: number;
  /** Serve on this port (default: a free one), e.g. to come back where subscribers reconnect after a restart. */
  port?: number;
  /** Keep state in this directory, and leave it there on stop (default: a fresh temp dir, removed on stop). */
  persistTo?: string;
  /** Also write all of wrangler's output here, each line stamped with when it was read (to line it up with a client's failures). */
  logFile?: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === "object" ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Stops wrangler and everything it started (workerd): the whole process group. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || exited(child)) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  signalGroup("SIGTERM");
  if (!(await waitForExit(child, 10_000))) {
    signalGroup("SIGKILL");
    await waitForExit(child, 5_000);
  }
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const [port, inspectorPort] = [options.port ?? (await freePort()), await freePort()];
  const persist = options.persistTo ?? (await mkdtemp(path.join(tmpdir(), "runcast-dev-")));
  const args = ["scripts/wrangler.js", "dev", ...options.configs.flatMap((config) => ["-c", config])];
  if (options.env) args.push("--env", options.env);
  for (const [key, value] of Object.entries(options.vars ?? {})) args.push("--var", `${key}:${value}`);
  args.push(
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    persist,
    "--show-interactive-dev-session=false",
  );
  const bin = path.resolve("node_modules/.bin");
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so stopping it stops wrangler and workerd together.
    detached: true,
  });
  let log = "";
  const reloads: number[] = [];
  const file = options.logFile ? createWriteStream(options.logFile) : null;
  let lineStart = true;
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    log = (log + text).slice(-200_000);
    if (text.includes("Reloading local server")) reloads.push(Date.now());
    if (!file) return;
    // Stamped at each line's start; a chunk that goes on a line the last one began is not stamped again.
    const at = `${new Date().toISOString()} `;
    file.write((lineStart ? at : "") + text.replace(/\n(?=.)/g, `\n${at}`));
    lineStart = text.endsWith("\n");
  };
  child.once("exit", () => file?.end());
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const stop = async () => {
    await stopGroup(child);
    if (!options.persistTo) await rm(persist, { recursive: true, force: true });
  };
  const kill = async () => {
    if (child.pid === undefined || exited(child)) return;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
    await waitForExit(child, 10_000);
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  const startupMs = options.startupMs ?? 120_000;
  const deadline = Date.now() + startupMs;
  for (;;) {
    if (exited(child))
      throw new Error(
        `wrangler dev exited (${child.exitCode ?? child.signalCode}) before it answered:\n${log.slice(-4000)}`,
      );
    try {
      const response = await fetch(`${baseUrl}${options.readyPath ?? "/health"}`, {
        signal: AbortSignal.timeout(5_000),
      });
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer within ${startupMs / 1000} s:\n${log.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { baseUrl, inspectorPort, pid: child.pid!, log: () => log, reloads: () => reloads, stop, kill };
}
