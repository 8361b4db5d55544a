// A run's link opened after the run ended shows the whole run; the page works from the keyboard alone.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectAccessibleBasics,
  launchChromium,
  openDemo,
  replyOf,
  runFromUrl,
  screenshot,
  storedReply,
  waitForAssistants,
  waitForStatus,
} from "./helpers";

describe("a finished run's link", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("shows the whole run: prompt, full reply and final status", async () => {
    const author = await openDemo(browser, "/");
    await waitForAssistants(author.page);
    // Keyboard only: from the assistant picker, Tab reaches the message box, and Enter sends.
    await author.page.getByLabel("Assistant").focus();
    await author.page.keyboard.press("Tab");
    expect(await author.page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("message-input");
    await author.page.keyboard.type("Show me the whole run later");
    await author.page.keyboard.press("Enter");
    await author.page.waitForURL(/[?&]run=run_/, { timeout: 30_000 });
    const ref = runFromUrl(author.page.url());
    await waitForStatus(author.page, "completed");
    await author.context.close();

    const stored = await storedReply(ref);
    expect(stored).toMatch(/^You said: "Show me the whole run later"\. /);
    const late = await openDemo(browser, `/?thread=${ref.thread_id}&run=${ref.run_id}`);
    await waitForStatus(late.page, "completed");
    expect(await late.page.getByTestId("run").getAttribute("data-done")).toBe("true");
    expect(await replyOf(late.page)).toBe(stored);
    await expect
      .poll(() => late.page.getByTestId("prompt").textContent(), { timeout: 20_000 })
      .toBe("Show me the whole run later");
    await expect.poll(() => late.page.getByTestId("watchers").textContent(), { timeout: 20_000 }).toMatch(/^\d+$/);
    expect(await late.page.getByTestId("tool-form").count()).toBe(0);
    await expectAccessibleBasics(late.page);
    await screenshot(late.page, "finished-run");

    // Closing the run leaves the address bar at `/`; Back brings the run again.
    await late.page.getByTestId("new-run").click();
    await late.page.getByTestId("no-run").waitFor();
    expect(new URL(late.page.url()).search).toBe("");
    await late.page.goBack();
    await waitForStatus(late.page, "completed");
    expect(await replyOf(late.page)).toBe(stored);
    expect(late.errors).toEqual([]);
    await late.context.close();
  });

  it("a link to a run that does not exist says so instead of waiting", async () => {
    const { page, context, errors } = await openDemo(
      browser,
      "/?thread=thread_NoSuchThread0000000000000&run=run_NoSuchRun00000000000000000",
    );
    await page.getByTestId("run-missing").waitFor({ timeout: 20_000 });
    expect(await page.getByTestId("run-missing").textContent()).toMatch(
      /^This run cannot be shown: No thread found with id 'thread_NoSuchThread0000000000000'/,
    );
    expect(await page.getByTestId("run-status").count()).toBe(0);
    await screenshot(page, "missing-run");
    expect(errors).toEqual([]);
    await context.close();
  });
});
