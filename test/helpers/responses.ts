// Test access to the emulator's Responses and Conversations API: plain HTTP without the Assistants beta header, SSE
// parsing that keeps every frame (keepalives included), and the function tools the reply rules read.
import type OpenAI from "openai";
import { GATEWAY, emulatorFetch, readRawSse } from "./emulator";

/** Plain HTTP to the emulator's `/v1`, with only the API key (the Responses API needs no beta header). */
export function responsesRequest(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return emulatorFetch(`${GATEWAY}/emulator/v1${path}`, {
    method,
    headers: { authorization: "Bearer test-key", "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export interface SseFrame {
  event: string;
  data: Record<string, unknown> & { type: string; sequence_number: number };
}

/** As `readRawSse`, with each frame's data parsed: Responses frames are JSON, keepalives included. */
export async function readFrames(response: Response): Promise<{ frames: SseFrame[]; text: string; failure: unknown }> {
  const { frames, text, failure } = await readRawSse(response);
  return {
    frames: frames.map(({ event, data }) => ({ event, data: JSON.parse(data) as SseFrame["data"] })),
    text,
    failure,
  };
}

export const WEATHER_FUNCTION = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};
export const TIME_FUNCTION = {
  type: "function" as const,
  name: "get_time",
  description: "Local time in a city",
  parameters: { type: "object", properties: { city: { type: "string" } } },
  strict: false,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retrieves a response until its status is one of `statuses`. */
export async function waitForResponse(
  client: OpenAI,
  id: string,
  statuses = ["completed", "failed", "incomplete", "cancelled"],
  timeoutMs = 10_000,
): Promise<OpenAI.Responses.Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await client.responses.retrieve(id);
    if (statuses.includes(response.status ?? "")) return response;
    if (Date.now() > deadline) throw new Error(`response ${id} still ${response.status} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** The documented event order of a streamed text reply in `deltas` deltas (notes §1.7), after the lifecycle prefix. */
export const textReplyEvents = (deltas: number) => [
  "response.output_item.added",
  "response.content_part.added",
  ...Array<string>(deltas).fill("response.output_text.delta"),
  "response.output_text.done",
  "response.content_part.done",
  "response.output_item.done",
];
