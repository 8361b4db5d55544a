// Test access to the Responses provider: built on the test's own bindings, with its store seeded directly (until the
// assistants and threads procedures land), and its streams drained into plain event lists.
import { env } from "cloudflare:workers";
import type { GatewayEnv } from "../../src/env";
import type { UpstreamEvent, UpstreamStream } from "../../src/providers/provider";
import { responsesProvider, type ResponsesProvider } from "../../src/providers/responses/responses-provider";
import type { RunLimits } from "../../src/providers/responses/run-objects";

export const WEATHER_TOOL = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

export function provider(limits: Partial<RunLimits> = {}): ResponsesProvider {
  return responsesProvider(env as GatewayEnv, limits);
}

/** An assistant with the weather tool and a thread holding one user message, in Runcast's own store. */
export async function seed(text = "Hello there", p: ResponsesProvider = provider()) {
  const assistant = await p.createAssistant({ model: "gpt-4o", instructions: "Be brief.", tools: [WEATHER_TOOL] });
  const thread = await p.createThread({ messages: [{ role: "user", content: text }] });
  return { assistant, thread };
}

export async function drain(stream: UpstreamStream): Promise<UpstreamEvent[]> {
  const events: UpstreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

export const names = (events: UpstreamEvent[]) => events.map((event) => event.event);
