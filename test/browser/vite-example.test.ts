// examples/vite-react: the Vite + React app built against the packed @runcast/client, served by `vite preview` (which
// forwards /trpc and /ws to `wrangler dev`), in Chromium: ask the demo assistant, answer its tool call by hand, and
// see the whole reply the upstream stored.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../bench/lib/dev-server";
import { assertBuilt, VITE_REACT_DIR } from "./examples";
import { baseUrl, launchChromium, screenshot, storedReply } from "./helpers";

/** `vite preview` of the example's build on a free loopback port, forwarding to the gateway under test. */
async function preview(): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      path.join(VITE_REACT_DIR, "node_modules/vite/bin/vite.js"),
      "preview",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--strictPort",
    ],
    { cwd: VITE_REACT_DIR, env: { ...process.env, RUNCAST_GATEWAY: baseUrl() }, stdio: "ignore" },
  );
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    if (child.exitCode !== null) throw new Error(`vite preview exited with ${child.exitCode}`);
    if (
      await fetch(url).then(
        (response) => response.ok,
        () => false,
      )
    )
      return { url, process: child };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill();
  throw new Error("vite preview did not answer within 30 s");
}

describe("examples/vite-react (the packed @runcast/client in a Vite app)", () => {
  let browser: Browser;
  let server: { url: string; process: ChildProcess };
  beforeAll(async () => {
    await assertBuilt(path.join(VITE_REACT_DIR, "dist/index.html"));
    [browser, server] = await Promise.all([launchChromium(), preview()]);
  });
  afterAll(async () => {
    server?.process.kill();
    await browser?.close();
  });

  it("asks, shows the tool call, sends the output typed in, and shows the reply the upstream stored", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
    await page.goto(server.url);

    await page.getByRole("button", { name: "Ask" }).click();
    const form = page.getByTestId("tool-outputs");
    await form.waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("status").textContent()).toBe("requires_action");
    const output = form.getByLabel(/Output of get_weather\(\{"city":\s*"Lisbon"\}\)/);
    await output.fill("Cloudy, 17 °C");
    await form.getByRole("button", { name: "Send outputs" }).click();

    const status = page.getByTestId("status");
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toBe("completed");
    const ref = {
      thread_id: (await status.getAttribute("data-thread-id"))!,
      run_id: (await status.getAttribute("data-run-id"))!,
    };
    const stored = await storedReply(ref);
    expect(stored).toMatch(/^get_weather returned: Cloudy, 17 °C\. /);
    expect(await page.getByTestId("reply").textContent()).toBe(stored);
    expect(await form.count()).toBe(0);
    // The app's own watchRun set the title when the run ended.
    await expect.poll(() => page.title()).toBe("Run completed");
    await screenshot(page, "vite-example");
    expect(errors).toEqual([]);
    await context.close();
  });
});
