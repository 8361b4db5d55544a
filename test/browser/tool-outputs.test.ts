// Tool calls: whoever watches the run may answer them, and every page follows the run to its end.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createAssistant,
  expectAccessibleBasics,
  launchChromium,
  openDemo,
  replyOf,
  screenshot,
  sendMessage,
  statusOf,
  storedReply,
  waitForAssistants,
  waitForStatus,
} from "./helpers";

const callStates = (page: import("playwright-core").Page) =>
  page
    .getByTestId("tool-call")
    .evaluateAll((calls) =>
      calls.map(
        (call) =>
          `${call.querySelector("code")?.textContent}:${call.getAttribute("data-pending") === "true" ? "pending" : "answered"}`,
      ),
    );

describe("tool outputs from another page", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("the second page submits the output and the first page sees the run continue to completion", async () => {
    const first = await openDemo(browser, "/?pace=40");
    await waitForAssistants(first.page);
    const ref = await sendMessage(first.page, "Please get_weather Paris.");

    await first.page.getByTestId("tool-form").waitFor({ timeout: 30_000 });
    expect(await first.page.getByTestId("run-status").textContent()).toBe("requires_action");
    expect(await first.page.getByTestId("tool-call").locator("label").textContent()).toBe(
      'Output of get_weather(city: "Paris")',
    );
    expect(await callStates(first.page)).toEqual(["get_weather:pending"]);
    await expectAccessibleBasics(first.page);

    const second = await openDemo(browser, `/?thread=${ref.thread_id}&run=${ref.run_id}`);
    await second.page.getByTestId("tool-form").waitFor({ timeout: 30_000 });
    // Labelled input, answered from the keyboard: Enter submits the form.
    const output = second.page.getByLabel('Output of get_weather(city: "Paris")');
    await output.fill("Sunny, 21 °C");
    await output.press("Enter");

    await Promise.all([waitForStatus(first.page, "completed"), waitForStatus(second.page, "completed")]);
    const stored = await storedReply(ref);
    expect(stored).toMatch(/^get_weather returned: Sunny, 21 °C\. /);
    expect(await replyOf(first.page)).toBe(stored);
    expect(await replyOf(second.page)).toBe(stored);
    expect(await first.page.getByTestId("tool-form").count()).toBe(0);

    await screenshot(first.page, "tool-output-first");
    await screenshot(second.page, "tool-output-second");
    expect([...first.errors, ...second.errors]).toEqual([]);
    await Promise.all([first.context.close(), second.context.close()]);
  });

  it("with two calls, each page shows which call another page already answered", async () => {
    const parameters = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
    const assistant = await createAssistant({
      name: "Weather and time",
      tools: [
        { type: "function", function: { name: "get_weather", parameters } },
        { type: "function", function: { name: "get_time", parameters } },
      ],
    });
    const first = await openDemo(browser, "/?pace=40");
    await waitForAssistants(first.page);
    await first.page.getByLabel("Assistant").selectOption(assistant);
    const ref = await sendMessage(first.page, "Please get_weather Paris and get_time Tokyo.");
    await first.page.getByTestId("tool-form").waitFor({ timeout: 30_000 });
    expect(await callStates(first.page)).toEqual(["get_weather:pending", "get_time:pending"]);

    const second = await openDemo(browser, `/?thread=${ref.thread_id}&run=${ref.run_id}`);
    await second.page.getByTestId("tool-form").waitFor({ timeout: 30_000 });
    await second.page.getByLabel('Output of get_weather(city: "Paris")').fill("Rain");
    await second.page.getByTestId("submit-tool-outputs").click();

    // The first page learns from the hub that get_weather is answered, and only get_time is left.
    await first.page.waitForFunction(
      () => document.querySelector('[data-testid="tool-call"]')?.getAttribute("data-pending") === "false",
      null,
      { timeout: 20_000 },
    );
    expect(await callStates(first.page)).toEqual(["get_weather:answered", "get_time:pending"]);
    expect(await first.page.getByTestId("tool-pending-count").textContent()).toMatch(/^1 of 2 calls still pending/);
    expect(await first.page.getByLabel('Output of get_weather(city: "Paris")').isDisabled()).toBe(true);
    expect(await callStates(second.page)).toEqual(["get_weather:answered", "get_time:pending"]);
    expect(await statusOf(first.page)).toBe("requires_action");
    await screenshot(first.page, "tool-outputs-split-waiting");

    await first.page.getByLabel('Output of get_time(city: "Tokyo")').fill("09:00");
    await first.page.getByTestId("submit-tool-outputs").click();

    await Promise.all([waitForStatus(first.page, "completed"), waitForStatus(second.page, "completed")]);
    const stored = await storedReply(ref);
    expect(stored).toMatch(/^get_weather returned: Rain\. get_time returned: 09:00\. /);
    expect(await replyOf(first.page)).toBe(stored);
    expect(await replyOf(second.page)).toBe(stored);

    await screenshot(first.page, "tool-outputs-split-first");
    await screenshot(second.page, "tool-outputs-split-second");
    expect([...first.errors, ...second.errors]).toEqual([]);
    await Promise.all([first.context.close(), second.context.close()]);
  });
});
