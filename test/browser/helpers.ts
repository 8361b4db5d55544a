// Shared by the browser tests: Chromium, pages of the demo, the run they show, and what the upstream (or Runcast) stored.
import { mkdir } from "node:fs/promises";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { expect, inject } from "vitest";

export interface RunRef {
  thread_id: string;
  run_id: string;
}

/** The `wrangler dev` the global setup started. */
export const baseUrl = () => inject("baseUrl");

/** The provider that `wrangler dev` runs (`npm run test:browser` runs the files once with each it covers). */
export const provider = () => inject("provider");

/**
 * Where the Assistants records (assistants, threads, messages) live, to set them up and to read what was stored: the
 * emulator's own API for `assistants`, and Runcast's /v1 for `responses`, whose upstream has no such records.
 */
export const recordsPath = (path: string) => (provider() === "responses" ? `/v1${path}` : `/emulator/v1${path}`);

// The emulator wants a key and the Assistants beta header, as the upstream would; the gateway (auth `none` in dev)
// ignores them.
const HEADERS = {
  authorization: "Bearer browser-tests",
  "openai-beta": "assistants=v2",
  "content-type": "application/json",
};

/** A JSON POST to the server the tests run against (the gateway's routes, or the emulator's under /emulator). */
export async function post<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(`${baseUrl()}${path}`, { method: "POST", headers: HEADERS, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Debian's Chromium, as `.ci/run` installs it. */
export const CHROMIUM_PATH = process.env.RUNCAST_CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A fresh browser (playwright gives it a fresh user data dir). */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });

export interface DemoPage {
  page: Page;
  context: BrowserContext;
  /** Uncaught errors on the page: a working demo throws none. */
  errors: string[];
}

/** One person's tab: its own context (storage, cookies), showing the demo at `path`. */
export async function openDemo(browser: Browser, path = "/"): Promise<DemoPage> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(new URL(path, baseUrl()).toString());
  return { page, context, errors };
}

/** Waits until the assistants are listed and the demo's own is chosen (the emulator's seed, or the one made for it). */
export async function waitForAssistants(page: Page): Promise<void> {
  const chosen = () =>
    page.getByTestId("assistant-select").evaluate((select: HTMLSelectElement) => select.selectedOptions[0]?.text ?? "");
  await expect.poll(chosen, { timeout: 20_000 }).toMatch(/^Runcast demo\b/);
}

export function runFromUrl(url: string): RunRef {
  const params = new URL(url).searchParams;
  const thread_id = params.get("thread");
  const run_id = params.get("run");
  if (!thread_id || !run_id) throw new Error(`no run in ${url}`);
  return { thread_id, run_id };
}

/** Types the message, sends it with Enter, and returns the run the page then shows (from its address). */
export async function sendMessage(page: Page, text: string): Promise<RunRef> {
  const box = page.getByLabel("Message", { exact: true });
  await box.fill(text);
  await box.press("Enter");
  await page.waitForURL(/[?&]run=run_/, { timeout: 30_000 });
  return runFromUrl(page.url());
}

export const statusOf = async (page: Page) => (await page.getByTestId("run-status").textContent()) ?? "";
export const replyOf = async (page: Page) => (await page.getByTestId("reply").textContent()) ?? "";
export const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;

export async function waitForStatus(page: Page, status: string, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (expected) => document.querySelector('[data-testid="run-status"]')?.textContent === expected,
    status,
    { timeout },
  );
}

/** The run's assistant message as stored (see `recordsPath`): what every page must end up showing. */
export async function storedReply(ref: RunRef): Promise<string> {
  const response = await fetch(`${baseUrl()}${recordsPath(`/threads/${ref.thread_id}/messages?order=asc&limit=100`)}`, {
    headers: HEADERS,
  });
  expect(response.status).toBe(200);
  const page = (await response.json()) as {
    data: Array<{ role: string; run_id: string | null; content: Array<{ type: string; text?: { value: string } }> }>;
  };
  const messages = page.data.filter((message) => message.role === "assistant" && message.run_id === ref.run_id);
  expect(messages).toHaveLength(1);
  return messages[0]!.content.map((part) => part.text?.value ?? "").join("");
}

/** Creates an assistant where the records live (the demo lists it) and returns its id. */
export async function createAssistant(body: Record<string, unknown>): Promise<string> {
  return (await post<{ id: string }>(recordsPath("/assistants"), { model: "gpt-4o", ...body })).id;
}

/** Saves the page as it ends, for a person to look at: test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir("test-results/screenshots", { recursive: true });
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
}

/** Accessibility mechanics a screen reader depends on: every control has a label or name, the reply is a live region. */
export async function expectAccessibleBasics(page: Page): Promise<void> {
  const unnamed = await page.evaluate(() => [
    ...Array.from(
      document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>("input, select, textarea"),
    )
      .filter(
        (control) =>
          (control.labels?.length ?? 0) === 0 &&
          !control.getAttribute("aria-label") &&
          !control.getAttribute("aria-labelledby"),
      )
      .map((control) => control.outerHTML),
    ...Array.from(document.querySelectorAll("button"))
      .filter((button) => !button.textContent?.trim() && !button.getAttribute("aria-label"))
      .map((button) => button.outerHTML),
  ]);
  expect(unnamed).toEqual([]);
  expect(await page.getByTestId("reply").getAttribute("aria-live")).toBe("polite");
  expect(await page.locator('[role="status"]').count()).toBeGreaterThan(0);
}
