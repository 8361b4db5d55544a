// Test access to the emulator at the gateway's /emulator paths: plain fetch, and the official openai SDK unchanged.
import { env, exports } from "cloudflare:workers";
import OpenAI from "openai";
import { authSetting } from "../../src/auth/auth-config";
import type { GatewayEnv } from "../../src/env";

export const GATEWAY = "http://runcast.test";

/** Sends a request into the gateway Worker under test. */
export const gatewayFetch = (input: RequestInfo | URL, init?: RequestInit) =>
  exports.default.fetch(new Request(input, init));

/**
 * Sends a request for `${GATEWAY}/emulator/…` to the emulator: through the gateway's mount in `none` mode (the
 * `gateway` project), and where the gateway has tenants and so no mount (the `secure` project) straight to the
 * emulator Worker through the gateway's EMULATOR service binding, as the mount would forward it.
 */
export const emulatorFetch = (input: RequestInfo | URL, init?: RequestInit) => {
  const setting = authSetting(env as GatewayEnv);
  if ("mode" in setting && setting.mode === "none") return gatewayFetch(input, init);
  const request = new Request(input, init);
  const url = new URL(request.url);
  url.pathname = url.pathname.replace(/^\/emulator/, "");
  return env.EMULATOR!.fetch(new Request(url, request));
};

/** The official SDK, pointed at the emulator; no retries unless a test asks for them. */
export function emulatorSdk(options: { maxRetries?: number; fetch?: typeof fetch } = {}) {
  return new OpenAI({
    apiKey: "test-key",
    baseURL: `${GATEWAY}/emulator/v1`,
    maxRetries: options.maxRetries ?? 0,
    fetch: options.fetch ?? (emulatorFetch as typeof fetch),
  });
}

const upstreamHeaders = {
  authorization: "Bearer test-key",
  "openai-beta": "assistants=v2",
  "content-type": "application/json",
};

/** Plain HTTP to the emulator's API, with the headers the upstream requires. */
export function emulatorRequest(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return emulatorFetch(`${GATEWAY}/emulator/v1${path}`, {
    method,
    headers: { ...upstreamHeaders, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Sets the emulator's global settings and faults; `resetEmulatorSettings` puts the defaults back. */
export async function setEmulatorSettings(patch: Record<string, unknown>) {
  const response = await emulatorFetch(`${GATEWAY}/emulator/admin/settings`, {
    method: "PATCH",
    body: JSON.stringify(patch),
    headers: { "content-type": "application/json" },
  });
  if (!response.ok) throw new Error(`settings rejected: ${await response.text()}`);
  return response.json();
}

export const resetEmulatorSettings = () => emulatorFetch(`${GATEWAY}/emulator/admin/settings`, { method: "DELETE" });

export const WEATHER_TOOL = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};
export const TIME_TOOL = {
  type: "function" as const,
  function: {
    name: "get_time",
    description: "Local time in a city",
    parameters: { type: "object", properties: { city: { type: "string" } } },
  },
};

/** The official SDK pointed at the gateway's REST surface, unchanged (`restSdk` in runcast.ts). */
export function gatewaySdk(options: { fetch?: typeof fetch } = {}) {
  return new OpenAI({ apiKey: "x", baseURL: `${GATEWAY}/v1`, fetch: options.fetch ?? gatewayFetch, maxRetries: 0 });
}

/**
 * An assistant with the two function tools above, for one test: on the emulator, or wherever `client` points (the
 * shared run tests pass Runcast's /v1, which keeps it upstream for `assistants` and `foundry`, in its own records for
 * `responses`).
 */
export async function createToolAssistant(client = emulatorSdk()) {
  return client.beta.assistants.create({
    model: "gpt-4o",
    name: "Weather",
    instructions: "Answer briefly.",
    tools: [WEATHER_TOOL, TIME_TOOL],
  });
}

/**
 * A tool assistant and a thread of its own holding one user message, made for one test on the emulator (the SDK
 * returned, for runs created straight on it), or wherever `sdk` points (Runcast's /v1 in the shared run tests).
 */
export async function toolAssistantAndThread(text = "Hello there", sdk = emulatorSdk()) {
  const assistant = await createToolAssistant(sdk);
  const thread = await sdk.beta.threads.create({ messages: [{ role: "user", content: text }] });
  return { sdk, assistant, thread };
}

/** The documented event order of a plain (no tool call) run whose reply streams in `deltas` message deltas. */
export const plainRunEvents = (deltas: number) => [
  "thread.run.created",
  "thread.run.queued",
  "thread.run.in_progress",
  "thread.run.step.created",
  "thread.run.step.in_progress",
  "thread.message.created",
  "thread.message.in_progress",
  ...Array<string>(deltas).fill("thread.message.delta"),
  "thread.message.completed",
  "thread.run.step.completed",
  "thread.run.completed",
];

/** One SSE frame: its event name and its data lines, joined, as text. */
export interface RawSseFrame {
  event: string;
  data: string;
}

function parseFrame(block: string): RawSseFrame {
  const lines = block.split("\n");
  const event = lines.find((line) => line.startsWith("event: "))?.slice(7) ?? "";
  const data = lines
    .filter((line) => line.startsWith("data: "))
    .map((line) => line.slice(6))
    .join("\n");
  return { event, data };
}

/** Parses an upstream SSE body into `{event, data}` pairs (data as text), `[DONE]` included. */
export async function readSse(response: Response): Promise<RawSseFrame[]> {
  const text = await response.text();
  return (
    text
      .split("\n\n")
      // Comment blocks (`: ping`, the heartbeat of an idle stream) are skipped, as every SSE reader does.
      .filter((block) => block.trim() && !block.split("\n").every((line) => line.startsWith(":")))
      .map(parseFrame)
  );
}

/**
 * Reads an SSE body to its end or its error, never throwing: the complete frames (what follows the last blank line is
 * not one), the raw text, and the error that ended it, if any (a cut stream).
 */
export async function readRawSse(
  response: Response,
): Promise<{ frames: RawSseFrame[]; text: string; failure: unknown }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let failure: unknown = null;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    failure = error;
  }
  return { frames: text.split("\n\n").slice(0, -1).map(parseFrame), text, failure };
}
