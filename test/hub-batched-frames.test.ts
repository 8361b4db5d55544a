// Batched frames on a run's socket: one opened with `?frames=batch` (@runcast/client's watchRun does) gets what the hub
// has ready at once as a few frames holding many messages; a plain socket (a stock wsLink) still gets one per frame.
import { afterEach, describe, expect, it } from "vitest";
import { frontendClient, runcastClient, waitForRun } from "./helpers/runcast";
import { RecordingWebSocket, runSetup, subscriptionFrame, wsUrl } from "./helpers/hub";

const sockets: RecordingWebSocket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

async function open(url: string) {
  const socket = new RecordingWebSocket(url);
  sockets.push(socket);
  await socket.opened();
  return socket;
}

const stopped = (socket: RecordingWebSocket) =>
  socket.waitFor((message) => message.id === 1 && message.result?.type === "stopped", 10_000);

describe("batched frames", () => {
  it("a finished run's replay comes in a few frames, holding exactly the messages a plain socket gets one by one", async () => {
    const { assistant, thread } = await runSetup();
    const run = await runcastClient().runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
    await waitForRun(thread.id, run.id);
    const plain = await open(wsUrl(thread.id, run.id));
    const batched = await open(`${wsUrl(thread.id, run.id)}?frames=batch`);
    for (const socket of [plain, batched]) socket.send(subscriptionFrame(1, thread.id, run.id));
    await Promise.all([stopped(plain), stopped(batched)]);

    const frames = plain.received.filter((frame) => frame !== "PING");
    expect(frames.every((frame) => frame.startsWith("{"))).toBe(true);
    expect(frames.length).toBeGreaterThan(20);
    expect(batched.messages()).toEqual(plain.messages());
    // started, then the whole log and the stop in one frame.
    expect(batched.received.filter((frame) => frame !== "PING")).toHaveLength(2);
  });

  it("@runcast/client's watchRun asks for them and still folds every event once, in order", async () => {
    const { assistant, thread } = await runSetup();
    const client = frontendClient();
    const run = await client.runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id });
    await waitForRun(thread.id, run.id);
    const ids: number[] = [];
    const done = new Promise<void>((resolve) => {
      const watch = client.watchRun(
        { thread_id: thread.id, run_id: run.id },
        { onEvent: (_event, id) => ids.push(Number(id)), onDone: () => (watch.stop(), resolve()) },
      );
    });
    await done;
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    expect(ids.length).toBeGreaterThan(20);
  });
});
