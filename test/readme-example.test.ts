// README's frontend example is examples/ask.ts, word for word, and it works: asked through Runcast, it streams the reply
// and answers the assistant's tool call.
import { beforeAll, describe, expect, it } from "vitest";
import example from "../examples/ask.ts?raw";
import readme from "../README.md?raw";
import { ask } from "../examples/ask";
import { createToolAssistant, GATEWAY, gatewayFetch, gatewaySdk } from "./helpers/emulator";
import { WorkerWebSocket } from "./helpers/worker-websocket";

describe("README's example", () => {
  it("is examples/ask.ts as it stands", () => {
    expect(readme).toContain(example.trim());
  });

  describe("run against the gateway", () => {
    // The example uses the platform's fetch and WebSocket; inside workerd they are pointed at the Worker under test.
    beforeAll(() => {
      const realFetch = globalThis.fetch;
      globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) =>
        String(input instanceof Request ? input.url : input).startsWith(GATEWAY)
          ? gatewayFetch(input, init)
          : realFetch(input, init)) as typeof fetch;
      (globalThis as { WebSocket: unknown }).WebSocket = WorkerWebSocket;
    });

    it("streams the reply and answers the tool call", async () => {
      const assistant = await createToolAssistant(gatewaySdk());
      const texts: string[] = [];
      const snapshot = await ask({
        url: GATEWAY,
        assistantId: assistant.id,
        question: "What is it like outside? get_weather Lisbon.",
        tools: { get_weather: ({ city }) => `sunny in ${String(city)}` },
        onText: (text) => texts.push(text),
      });
      expect(snapshot.status).toBe("completed");
      expect(texts.at(-1)).toContain("get_weather returned: sunny in Lisbon.");
      // The reply grew delta by delta.
      expect(texts.length).toBeGreaterThan(3);
    });
  });
});
