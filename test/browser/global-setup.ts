// Starts `wrangler dev` (gateway + emulator, the dev environment with the demo's static assets) on a free loopback
// port with fresh state in a temp dir, waits for /health, hands the address to the tests, and stops it afterwards.
import { access, mkdir, writeFile } from "node:fs/promises";
import type { TestProject } from "vitest/node";
import { DEMO_ASSISTANT } from "../../demo/src/demo-assistant";
import { startDevServer, type DevServer } from "../../bench/lib/dev-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    provider: string;
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
  const saveLog = async (log: string) => {
    await mkdir("test-results", { recursive: true });
    await writeFile("test-results/browser-wrangler.log", log);
  };
  let server: DevServer;
  try {
    server = await startDevServer({
      configs: ["wrangler.toml", "emulator/wrangler.toml"],
      env: "dev",
      vars: provider === "assistants" ? {} : { RUNCAST_PROVIDER: provider },
    });
  } catch (error) {
    await saveLog(String(error));
    throw error;
  }
  const stop = async () => {
    await server.stop();
    await saveLog(server.log());
  };

  // The pass tests the provider it names, or fails here.
  const health = (await (await fetch(`${server.baseUrl}/health`)).json()) as { provider?: string };
  if (health.provider !== provider) {
    await stop();
    throw new Error(`wrangler dev serves provider ${health.provider}, not ${provider}`);
  }
  if (provider === "responses") await seedDemoAssistant(server.baseUrl);
  project.provide("baseUrl", server.baseUrl);
  return stop;
}
