import { describe, expect, it } from "vitest";
import { createToolAssistant, emulatorSdk } from "./helpers/emulator";

describe("emulator smoke", () => {
  it("answers a run through the SDK", async () => {
    const client = emulatorSdk();
    const assistant = await createToolAssistant(client);
    const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "Hello there" }] });
    const run = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id },
      { pollIntervalMs: 10 },
    );
    expect(run.status).toBe("completed");
    const messages = await client.beta.threads.messages.list(thread.id);
    expect(messages.data[0]?.content[0]).toMatchObject({ type: "text" });
  });
});
