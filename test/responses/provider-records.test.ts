// Runcast's own records behind the Responses provider, as the Assistants API shapes them: assistants, threads and
// messages created, read, changed, paged and deleted (what the CRUD procedures will call once they land).
import { describe, expect, it } from "vitest";
import type { UpstreamError } from "../../src/errors/upstream-error";
import { expectValid } from "../helpers/openapi-schemas";
import { rejection } from "../helpers/runcast";
import { provider, WEATHER_TOOL } from "../helpers/responses-provider";

describe("assistants", () => {
  it("are created with the upstream's defaults, changed, listed in pages and deleted", async () => {
    const p = provider();
    const created = await p.createAssistant({ model: "gpt-4o", name: "Weather", tools: [WEATHER_TOOL] });
    expectValid("AssistantObject", created);
    expect(created).toMatchObject({
      object: "assistant",
      temperature: 1,
      top_p: 1,
      response_format: "auto",
      metadata: {},
    });
    expect(created.id).toMatch(/^asst_/);
    const updated = await p.updateAssistant(created.id, { instructions: "Be brief.", metadata: { v: "2" } });
    expect(updated).toMatchObject({ name: "Weather", instructions: "Be brief.", metadata: { v: "2" } });
    expect(await p.retrieveAssistant(created.id)).toEqual(updated);

    const more = [await p.createAssistant({ model: "gpt-4o" }), await p.createAssistant({ model: "gpt-4o" })];
    const newest = await p.listAssistants({ limit: 2 });
    expect(newest.data.map((a) => a.id)).toEqual([more[1]!.id, more[0]!.id]);
    expect(newest.has_more).toBe(true);
    const next = await p.listAssistants({ limit: 2, after: newest.last_id! });
    expect(next.data[0]!.id).toBe(created.id);
    const before = await p.listAssistants({ limit: 1, before: more[0]!.id });
    expect(before.data.map((a) => a.id)).toEqual([more[1]!.id]);

    expect(await p.deleteAssistant(created.id)).toEqual({ id: created.id, object: "assistant.deleted", deleted: true });
    const gone = (await rejection(p.retrieveAssistant(created.id))) as UpstreamError;
    expect(gone.message).toBe(`No assistant found with id '${created.id}'.`);
    expect(gone.details.status).toBe(404);
  });
});

describe("threads and messages", () => {
  it("a thread maps to a conversation; its messages keep the conversation's item ids, metadata and order", async () => {
    const p = provider();
    const thread = await p.createThread({
      messages: [
        { role: "user", content: "First", metadata: { n: "1" } },
        { role: "assistant", content: "Second" },
      ],
      metadata: { topic: "records" },
    });
    expectValid("ThreadObject", thread);
    expect(thread).toMatchObject({ object: "thread", metadata: { topic: "records" } });
    const third = await p.createMessage(thread.id, {
      role: "user",
      content: [
        { type: "text", text: "Third" },
        { type: "image_url", image_url: { url: "https://example.com/a.png" } },
      ],
    });
    expectValid("MessageObject", third);
    expect(third).toMatchObject({ role: "user", status: "completed", run_id: null, assistant_id: null });
    expect(third.id).toMatch(/^msg_/);
    expect(third.content[1]).toEqual({
      type: "image_url",
      image_url: { url: "https://example.com/a.png", detail: "auto" },
    });

    const listed = await p.listMessages(thread.id, { order: "asc" });
    expectValid("ListMessagesResponse", listed);
    expect(listed.data.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(listed.data[0]!.metadata).toEqual({ n: "1" });
    expect((await p.listMessages(thread.id, { limit: 1 })).data[0]!.id).toBe(third.id);
    expect(await p.retrieveMessage(thread.id, third.id)).toEqual(third);

    expect(await p.updateThread(thread.id, { metadata: { topic: "changed" } })).toMatchObject({
      metadata: { topic: "changed" },
    });
    expect(await p.retrieveThread(thread.id)).toMatchObject({ metadata: { topic: "changed" } });
    expect(await p.deleteThread(thread.id)).toEqual({ id: thread.id, object: "thread.deleted", deleted: true });
    const gone = (await rejection(p.retrieveThread(thread.id))) as UpstreamError;
    expect(gone.message).toBe(`No thread found with id '${thread.id}'.`);
  });
});
