// What the hub does with messages too large for a socket: an event past the limit goes out as a small stand-in under its
// id, so every subscriber moves on; a send the platform still refuses closes that one socket with 1009, and everything
// else (the other subscribers, the append that was being delivered) goes on.
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES } from "../src/durable/ws-protocol";
import { gatewaySdk, toolAssistantAndThread } from "./helpers/emulator";
import { RecordingWebSocket, subscriptionFrame, wsUrl } from "./helpers/hub";
import { hubStub } from "./helpers/hub-lifecycle";
import { runcastClient, sleep, waitForRun } from "./helpers/runcast";

const sockets: RecordingWebSocket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

/** A run waiting for its tool outputs: still live, so a metadata update is logged and delivered. */
async function waitingToolRun() {
  const { assistant, thread } = await toolAssistantAndThread("get_weather Oslo");
  const run = await runcastClient().runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
  await waitForRun(thread.id, run.id, ["requires_action"]);
  return { threadId: thread.id, runId: run.id };
}

/** A socket subscribed to the run, its backlog read up to the requires_action. */
async function subscriber(threadId: string, runId: string) {
  const socket = await subscribed(wsUrl(threadId, runId), threadId, runId);
  await socket.waitFor(eventNamed("thread.run.requires_action"));
  return socket;
}

async function subscribed(url: string, threadId: string, runId: string) {
  const socket = new RecordingWebSocket(url);
  sockets.push(socket);
  await socket.opened();
  socket.send(subscriptionFrame(1, threadId, runId));
  return socket;
}

const eventNamed = (name: string) => (message: Record<string, any>) => message.result?.data?.data?.event === name;

/** The tracked events a socket received, as `{ id, event, data }`. */
const eventsOf = (socket: RecordingWebSocket) =>
  socket
    .messages()
    .filter((message) => message.result?.type === "data")
    .map((message) => ({ id: Number(message.result.id), ...message.result.data.data }));

describe("an event too large for a WebSocket message", () => {
  it("reaches every socket as runcast.event_too_large under its id, and the events after it follow", async () => {
    // The emulator echoes the message's first 50 words: twenty words of 60,000 characters make each delta small and
    // the completed message 1.2 MB, as a long reply's would be. (Made upstream: Runcast's /v1 takes 1 MiB bodies.)
    const words = Array.from({ length: 20 }, (_, i) => String.fromCharCode(97 + i).repeat(60_000));
    const { assistant, thread } = await toolAssistantAndThread(words.join(" "));
    const run = await runcastClient().runs.create.mutate({
      thread_id: thread.id,
      assistant_id: assistant.id,
      // Paced, so the first two subscribers get the end live rather than in a replay.
      metadata: { emulator_delta_ms: "60" },
    });
    const plain = await subscribed(wsUrl(thread.id, run.id), thread.id, run.id);
    const batched = await subscribed(`${wsUrl(thread.id, run.id)}?frames=batch`, thread.id, run.id);
    await waitForRun(thread.id, run.id);
    const late = await subscribed(wsUrl(thread.id, run.id), thread.id, run.id);

    for (const socket of [plain, batched, late]) {
      await socket.waitFor((message) => message.result?.type === "stopped", 10_000);
      const events = eventsOf(socket);
      expect(events.map((event) => event.id)).toEqual(events.map((_, i) => i + 1));
      const standIn = events.find((event) => event.event === "runcast.event_too_large");
      expect(standIn?.data).toEqual({
        event: "thread.message.completed",
        id: expect.stringMatching(/^msg_/),
        bytes: expect.any(Number),
      });
      expect(standIn!.data.bytes).toBeGreaterThan(1_200_000);
      expect(events.slice(events.indexOf(standIn!) + 1).map((event) => event.event)).toEqual([
        "thread.run.step.completed",
        "thread.run.completed",
      ]);
      expect(Math.max(...socket.received.map((frame) => frame.length))).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(socket.closes).toEqual([]);
    }
    // What it names is there to read over REST.
    const standIn = eventsOf(late).find((event) => event.event === "runcast.event_too_large")!;
    const message = await gatewaySdk().beta.threads.messages.retrieve(standIn.data.id, { thread_id: thread.id });
    expect(message.status).toBe("completed");
  });
});

describe("a socket that refuses a message", () => {
  it("is closed with 1009 alone: the other subscriber gets the event, and the append it was part of stands", async () => {
    const { threadId, runId } = await waitingToolRun();
    const refusing = await subscriber(threadId, runId);
    // The platform throws from send() for a message it will not take; workerd here takes any size, so that is made so.
    await runInDurableObject(hubStub(runId), (_hub, state) => {
      const [ws] = state.getWebSockets();
      ws!.send = () => {
        throw new TypeError("message too large");
      };
    });
    const other = await subscriber(threadId, runId);

    const updated = await runcastClient().runs.update.mutate({
      thread_id: threadId,
      run_id: runId,
      metadata: { note: "after" },
    });
    expect(updated.metadata).toEqual({ note: "after" });
    expect(await refusing.closed()).toEqual({ code: 1009, reason: expect.stringContaining("last event id") });
    const event = await other.waitFor(eventNamed("runcast.run_updated"));
    expect(event.result.data.data.data.metadata).toEqual({ note: "after" });
  });
});
