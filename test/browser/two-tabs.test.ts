// Two people watch one run: the first starts it, the second opens its link while it streams.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  baseUrl,
  launchChromium,
  openDemo,
  replyOf,
  screenshot,
  sendMessage,
  storedReply,
  waitForAssistants,
  waitForStatus,
} from "./helpers";

describe("two pages watch one run", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("both count two watchers while it streams and end with the same text, the one the emulator stored", async () => {
    // `?pace=250`: one word every 250 ms, so the run is still streaming when the second page joins.
    const first = await openDemo(browser, "/?pace=250");
    await waitForAssistants(first.page);
    const ref = await sendMessage(first.page, "Hello from the first tab");
    expect(first.page.url()).toContain("pace=250");

    const link = await first.page.getByTestId("share-link").getAttribute("href");
    expect(link).toBe(`${baseUrl()}/?thread=${ref.thread_id}&run=${ref.run_id}`);
    const second = await openDemo(browser, link!);

    // Each page polls runs.watchers: both see the other one while the run goes on.
    const twoWatching = () => document.querySelector('[data-testid="watchers"]')?.textContent === "2";
    await Promise.all([
      first.page.waitForFunction(twoWatching, null, { timeout: 20_000 }),
      second.page.waitForFunction(twoWatching, null, { timeout: 20_000 }),
    ]);
    expect(await second.page.getByTestId("run").getAttribute("data-done")).toBe("false");

    await Promise.all([waitForStatus(first.page, "completed"), waitForStatus(second.page, "completed")]);
    const stored = await storedReply(ref);
    expect(stored).toMatch(/^You said: "Hello from the first tab"\. /);
    expect(await replyOf(first.page)).toBe(stored);
    expect(await replyOf(second.page)).toBe(stored);
    // The second page learns what was asked from the thread itself.
    expect(await second.page.getByTestId("prompt").textContent()).toBe("Hello from the first tab");

    await screenshot(first.page, "two-tabs-first");
    await screenshot(second.page, "two-tabs-second");
    expect([...first.errors, ...second.errors]).toEqual([]);
    await Promise.all([first.context.close(), second.context.close()]);
  });
});
