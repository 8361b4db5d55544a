// HTTP subscribers whose connections are destroyed (issue 9, item 3), against a real `wrangler dev`: a destroyed TCP
// connection is not reported to the run's hub, so the hub's heartbeats (SSE comments on REST, tRPC's own pings on
// /trpc) must find it gone and give its seat back within seconds, while the run waits for tool outputs.
import { request } from "node:http";
import { describe, expect, inject, it } from "vitest";
import { createAssistant, post } from "./helpers";

const baseUrl = inject("baseUrl");
/** Opens a stream, reads until `until` has arrived (the whole backlog), then destroys the TCP connection without a word. */
function ghost(path: string, until: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => {
        text += chunk.toString();
        if (!text.includes(until)) return;
        req.socket?.destroy();
        resolve();
      });
      res.on("error", () => undefined);
    });
    req.on("error", () => undefined);
    req.setTimeout(15_000, () => reject(new Error(`no ${until} on ${path}`)));
    req.end();
  });
}

async function watchers(threadId: string, runId: string): Promise<number> {
  const input = encodeURIComponent(JSON.stringify({ thread_id: threadId, run_id: runId }));
  const response = await fetch(`${baseUrl}/trpc/runs.watchers?input=${input}`);
  return ((await response.json()) as { result: { data: { subscribers: number } } }).result.data.subscribers;
}

describe("HTTP subscribers whose connections are destroyed (wrangler dev)", () => {
  it("REST SSE and tRPC SSE ghosts give their seats back within seconds while the run waits for tool outputs", async () => {
    const tool = {
      type: "function",
      function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
    };
    const assistantId = await createAssistant({
      name: "Weather",
      tools: [tool],
    });
    const run = await post<{ id: string; thread_id: string }>("/v1/threads/runs", {
      assistant_id: assistantId,
      thread: { messages: [{ role: "user", content: "get_weather Oslo" }] },
    });
    const events = `/v1/threads/${run.thread_id}/runs/${run.id}/events`;
    const trpc = `/trpc/runs.events?input=${encodeURIComponent(JSON.stringify({ thread_id: run.thread_id, run_id: run.id }))}`;
    await Promise.all([
      ghost(events, "thread.run.requires_action"),
      ghost(events, "thread.run.requires_action"),
      ghost(trpc, "thread.run.requires_action"),
      ghost(trpc, "thread.run.requires_action"),
    ]);

    const gone = Date.now();
    let count = await watchers(run.thread_id, run.id);
    while (count > 0 && Date.now() - gone < 30_000) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      count = await watchers(run.thread_id, run.id);
    }
    console.log(`vanished HTTP subscribers: 4 destroyed, seats back after ${Date.now() - gone} ms`);
    expect(count).toBe(0);
    // Heartbeats every 3 s (RUNCAST_FOLLOW_HEARTBEAT_MS, tRPC's ping): well within 20 s.
    expect(Date.now() - gone).toBeLessThan(20_000);
  });
});
