// Starts `wrangler dev` (gateway + emulator, the dev environment with the demo's static assets) on a free loopback
// port with fresh state in a temp dir, waits for /health, hands the address to the tests, and stops it afterwards.
import { spawn, type ChildProcess } from "node:child_process";
import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { DEMO_ASSISTANT } from "../../demo/src/demo-assistant";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    provider: string;
  }
}

const STARTUP_MS = 120_000;

function freePort(): Promise<number> {
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

/** Stops wrangler and everything it started (workerd): the whole process group this setup created. */
async function stop(child: ChildProcess): Promise<void> {
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

/**
 * The demo's assistant where Runcast keeps the records itself (`responses`): the emulator seeds it for the Assistants
 * API, and the tests expect it to be there before any page asks (the page makes it only on an empty list, and tests
 * make assistants of their own).
 */
async function seedDemoAssistant(baseUrl: string): Promise<void> {
  const response = await fetch(`${baseUrl}/v1/assistants`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(DEMO_ASSISTANT),
  });
  if (!response.ok) throw new Error(`seeding the demo assistant: ${response.status} ${await response.text()}`);
}

export default async function setup(project: TestProject) {
  const provider = project.config.provide.provider;
  try {
    await access("demo/dist/index.html");
  } catch {
    throw new Error("demo/dist is missing: build it with `node scripts/build-demo.js` (`npm run test:browser` does).");
  }
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const persist = await mkdtemp(path.join(tmpdir(), "runcast-browser-"));
  const bin = path.resolve("node_modules/.bin");
  const args = ["scripts/wrangler.js", "dev", "-c", "wrangler.toml", "-c", "emulator/wrangler.toml", "--env", "dev"];
  args.push(
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    persist,
    "--show-interactive-dev-session=false",
  );
  if (provider !== "assistants") args.push("--var", `RUNCAST_PROVIDER:${provider}`);
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so teardown stops wrangler and workerd together.
    detached: true,
  });
  let log = "";
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-200_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const saveLog = async () => {
    await mkdir("test-results", { recursive: true });
    await writeFile("test-results/browser-wrangler.log", log);
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + STARTUP_MS;
  for (;;) {
    if (exited(child)) {
      await saveLog();
      throw new Error(
        `wrangler dev exited (${child.exitCode ?? child.signalCode}) before /health answered:\n${log.slice(-4000)}`,
      );
    }
    try {
      const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(5_000) });
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop(child);
      await saveLog();
      throw new Error(`wrangler dev did not answer /health within ${STARTUP_MS / 1000} s:\n${log.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  // The pass tests the provider it names, or fails here.
  const health = (await (await fetch(`${baseUrl}/health`)).json()) as { provider?: string };
  if (health.provider !== provider) {
    await stop(child);
    throw new Error(`wrangler dev serves provider ${health.provider}, not ${provider}`);
  }
  if (provider === "responses") await seedDemoAssistant(baseUrl);
  project.provide("baseUrl", baseUrl);
  return async () => {
    await stop(child);
    await saveLog();
    await rm(persist, { recursive: true, force: true });
  };
}
