// Test access to the emulator's Responses and Conversations API: plain HTTP without the Assistants beta header, SSE
// parsing that keeps every frame (keepalives included), and the function tools the reply rules read.
import type OpenAI from "openai";
import { GATEWAY, emulatorFetch } from "./emulator";

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

/**
 * Reads an SSE body to its end or its error, never throwing: the complete frames (each parsed), the raw text, and
 * the error that ended it, if any (a cut stream).
 */
export async function readFrames(response: Response): Promise<{ frames: SseFrame[]; text: string; failure: unknown }> {
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
  const frames = text
    .split("\n\n")
    .slice(0, -1) // what follows the last blank line is not a complete frame
    .map((block) => {
      const lines = block.split("\n");
      const event = lines.find((line) => line.startsWith("event: "))?.slice(7) ?? "";
      const data = lines
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n");
      return { event, data: JSON.parse(data) as SseFrame["data"] };
    });
  return { frames, text, failure };
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
