// The Azure OpenAI client path: the provider speaks Azure's URLs, api-version and api-key header, and gets the same runs back.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { assistantsProvider, createClient } from "../src/providers/assistants-provider";
import type { Upstream } from "../src/providers/upstream";
import { createToolAssistant, emulatorSdk } from "./helpers/emulator";
import { streamedRun, waitForRun } from "./helpers/runcast";

describe("Azure OpenAI provider", () => {
  it("creates and retrieves a run through the emulator's Azure flavour", async () => {
    const sdk = emulatorSdk();
    const assistant = await createToolAssistant(sdk);
    const thread = await sdk.beta.threads.create({ messages: [{ role: "user", content: "Hello from Azure" }] });

    const seen: Array<{ method: string; url: URL; apiKey: string | null; authorization: string | null }> = [];
    const upstream: Upstream = {
      kind: "azure",
      endpoint: "http://emulator.runcast.internal",
      apiKey: "k",
      apiVersion: "2024-10-01-preview",
    };
    const client = createClient(upstream, (input, init) => {
      const request = new Request(input, init);
      seen.push({
        method: request.method,
        url: new URL(request.url),
        apiKey: request.headers.get("api-key"),
        authorization: request.headers.get("authorization"),
      });
      return env.EMULATOR!.fetch(request);
    });
    const provider = assistantsProvider(client);

    const created = await streamedRun(
      await provider.streamRun(thread.id, { assistant_id: assistant.id, metadata: { cloud: "azure" } }),
    );
    expect(created).toMatchObject({
      object: "thread.run",
      thread_id: thread.id,
      assistant_id: assistant.id,
      metadata: { cloud: "azure" },
    });
    await waitForRun(thread.id, created.id);
    const { run, pollAfterMs } = await provider.retrieveRun(thread.id, created.id);
    expect(run).toMatchObject({ id: created.id, status: "completed" });
    expect(run).toEqual(await sdk.beta.threads.runs.retrieve(created.id, { thread_id: thread.id }));
    expect(pollAfterMs).toBe(20);

    expect(seen.map(({ method, url }) => `${method} ${url.pathname}`)).toEqual([
      `POST /openai/threads/${thread.id}/runs`,
      `GET /openai/threads/${thread.id}/runs/${created.id}`,
    ]);
    for (const request of seen) {
      expect(request.url.host).toBe("emulator.runcast.internal");
      expect(request.url.searchParams.get("api-version")).toBe("2024-10-01-preview");
      expect(request.apiKey).toBe("k");
      expect(request.authorization).toBeNull();
    }
  });
});
