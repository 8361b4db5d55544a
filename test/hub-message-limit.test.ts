// What the hub does with a message a subscriber's socket cannot take: the one socket is closed with 1009, and everything
// else (the other subscribers, the append that was being delivered) goes on.
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { toolAssistantAndThread } from "./helpers/emulator";
import { RecordingWebSocket, subscriptionFrame, wsUrl } from "./helpers/hub";
import { hubStub } from "./helpers/hub-lifecycle";
import { runcastClient, waitForRun } from "./helpers/runcast";

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
  const socket = new RecordingWebSocket(wsUrl(threadId, runId));
  sockets.push(socket);
  await socket.opened();
  socket.send(subscriptionFrame(1, threadId, runId));
  await socket.waitFor((frame) => frame.result?.data?.data?.event === "thread.run.requires_action");
  return socket;
}

const eventNamed = (name: string) => (frame: Record<string, any>) => frame.result?.data?.data?.event === name;

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
