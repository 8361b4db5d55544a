// A reload in the middle of a stream: the page resumes after the last event it showed (sessionStorage) and ends
// with the whole text, nothing missing and nothing twice.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  launchChromium,
  openDemo,
  replyOf,
  screenshot,
  sendMessage,
  storedReply,
  waitForAssistants,
  waitForStatus,
  wordCount,
} from "./helpers";

/** The inputs of the `runs.events` subscriptions the page sends on its run's WebSocket. */
function recordSubscriptions(page: Page): Array<Record<string, unknown>> {
  const inputs: Array<Record<string, unknown>> = [];
  page.on("websocket", (socket) =>
    socket.on("framesent", ({ payload }) => {
      if (typeof payload !== "string") return;
      try {
        const message = JSON.parse(payload) as {
          method?: string;
          params?: { path?: string; input?: Record<string, unknown> };
        };
        if (message.method === "subscription" && message.params?.path === "runs.events")
          inputs.push(message.params.input ?? {});
      } catch {
        // Not JSON: not a tRPC message.
      }
    }),
  );
  return inputs;
}

async function waitForStreamedWords(page: Page, words: number): Promise<void> {
  await page.waitForFunction(
    (least) => {
      const text = document.querySelector('[data-testid="reply"]')?.textContent ?? "";
      return text.split(/\s+/).filter(Boolean).length >= least;
    },
    words,
    { timeout: 30_000 },
  );
}

describe("a page reloaded mid-stream", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("resumes after its last event and ends with the full text, no part missing, no part doubled", async () => {
    const { page, context, errors } = await openDemo(browser, "/?pace=250");
    const subscriptions = recordSubscriptions(page);
    await waitForAssistants(page);
    const ref = await sendMessage(page, "Reload me in the middle of the stream");
    const key = `runcast:run:${ref.thread_id}:${ref.run_id}`;

    for (const words of [6, 14]) {
      await waitForStreamedWords(page, words);
      expect(await page.getByTestId("run-status").textContent()).toBe("in_progress");
      const before = await replyOf(page);
      const saved = JSON.parse(
        (await page.evaluate((storageKey) => sessionStorage.getItem(storageKey), key)) ?? "null",
      ) as { lastEventId: string | null } | null;
      expect(Number(saved?.lastEventId)).toBeGreaterThan(0);

      subscriptions.length = 0;
      await page.reload();
      // The restored page shows at least what it showed before, at once, and asks only for what came after.
      await page.getByTestId("reply").waitFor();
      await expect.poll(() => subscriptions.length, { timeout: 20_000 }).toBeGreaterThan(0);
      expect(subscriptions[0]).toMatchObject({ thread_id: ref.thread_id, run_id: ref.run_id });
      expect(Number(subscriptions[0]!.lastEventId)).toBeGreaterThanOrEqual(Number(saved!.lastEventId));
      expect((await replyOf(page)).startsWith(before)).toBe(true);
    }

    await waitForStatus(page, "completed");
    const stored = await storedReply(ref);
    expect(stored).toMatch(/^You said: "Reload me in the middle of the stream"\. /);
    expect(wordCount(stored)).toBe(24);
    expect(await replyOf(page)).toBe(stored);

    await screenshot(page, "reload-mid-stream");
    expect(errors).toEqual([]);
    await context.close();
  });
});
