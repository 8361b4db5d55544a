// The frontend client's watchRun, over both transports: exact text, tool calls, resumption from a persisted snapshot.
import { describe, expect, it } from "vitest";
import { replyText, type RunSnapshot, type SnapshotStore, type WatchHandlers } from "../src/client";
import { createToolAssistant, emulatorSdk } from "./helpers/emulator";
import { frontendClient } from "./helpers/runcast";

const runcast = frontendClient;

/** A persisted store like sessionStorage, kept in memory. */
class MemoryStore implements SnapshotStore {
  readonly items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

async function startRun(message: string, metadata: Record<string, string> = {}) {
  const assistant = await createToolAssistant(emulatorSdk());
  return runcast().runs.createThreadAndRun.mutate({
    assistant_id: assistant.id,
    thread: { messages: [{ role: "user", content: message }] },
    metadata,
  });
}

/** Watches until done (or until `until` says stop), collecting what the handlers saw. */
function watch(
  ref: { thread_id: string; run_id: string },
  transport: "ws" | "sse",
  options: {
    persist?: SnapshotStore;
    until?: (snapshot: RunSnapshot) => boolean;
    onToolCalls?: WatchHandlers["onToolCalls"];
  } = {},
) {
  const seen = { text: "", ids: [] as string[], statuses: [] as string[], updates: 0 };
  return new Promise<{ snapshot: RunSnapshot; seen: typeof seen }>((resolve, reject) => {
    const handle = runcast().watchRun(
      ref,
      {
        onText: (delta) => (seen.text += delta),
        onEvent: (_event, id) => seen.ids.push(id),
        onStatus: (status) => seen.statuses.push(status),
        onToolCalls: (snapshot) => options.onToolCalls?.(snapshot),
        onUpdate: (snapshot) => {
          seen.updates++;
          if (options.until?.(snapshot)) {
            handle.stop();
            resolve({ snapshot, seen });
          }
        },
        onError: reject,
        onDone: (snapshot) => resolve({ snapshot, seen }),
      },
      { transport, ...(options.persist ? { persist: options.persist } : {}) },
    );
  });
}

const storedReply = async (threadId: string) => {
  const messages = await emulatorSdk().beta.threads.messages.list(threadId, { order: "asc" });
  const part = messages.data.at(-1)?.content[0];
  return part?.type === "text" ? part.text.value : "";
};

describe("watchRun", () => {
  it.each(["ws", "sse"] as const)(
    "over %s, streams the reply exactly and ends with the run's final status",
    async (transport) => {
      const run = await startRun("Tell me something", { emulator_delta_ms: "5", emulator_reply_words: "30" });
      const { snapshot, seen } = await watch({ thread_id: run.thread_id, run_id: run.id }, transport);
      const stored = await storedReply(run.thread_id);
      expect(seen.text).toBe(stored);
      expect(replyText(snapshot)).toBe(stored);
      expect(snapshot).toMatchObject({ status: "completed", done: true });
      expect(seen.statuses.at(-1)).toBe("completed");
      // Event ids are each applied once, in order.
      expect(seen.ids.map(Number)).toEqual(seen.ids.map((_, index) => index + 1));
    },
  );

  it("reports the tool calls a run waits for, and which remain after one is answered", async () => {
    const run = await startRun("get_weather Paris, get_time Tokyo");
    const ref = { thread_id: run.thread_id, run_id: run.id };
    const client = runcast();
    const pendingSeen: string[][] = [];
    const done = watch(ref, "ws", {
      onToolCalls: (snapshot) => {
        pendingSeen.push(snapshot.pendingToolCallIds);
        if (snapshot.pendingToolCallIds.length === 2 && pendingSeen.length === 1) {
          const [first, second] = snapshot.toolCalls;
          void client.runs.submitToolOutputs
            .mutate({ ...ref, tool_outputs: [{ tool_call_id: first!.id, output: "sunny" }] })
            .then(() =>
              client.runs.submitToolOutputs.mutate({
                ...ref,
                tool_outputs: [{ tool_call_id: second!.id, output: "noon" }],
              }),
            );
        }
      },
    });
    const { snapshot } = await done;
    expect(pendingSeen[0]).toHaveLength(2);
    expect(pendingSeen.some((pending) => pending.length === 1)).toBe(true);
    expect(pendingSeen.at(-1)).toEqual([]);
    expect(replyText(snapshot)).toContain("get_weather returned: sunny. get_time returned: noon.");
  });

  it.each(["ws", "sse"] as const)(
    "over %s, resumes from a persisted snapshot after a reload: nothing missing, nothing twice",
    async (transport) => {
      const run = await startRun("A long answer please", { emulator_delta_ms: "10", emulator_reply_words: "60" });
      const ref = { thread_id: run.thread_id, run_id: run.id };
      const store = new MemoryStore();
      // The first page goes away a few deltas in.
      const first = await watch(ref, transport, {
        persist: store,
        until: (snapshot) => replyText(snapshot).split(" ").length >= 8,
      });
      const partial = replyText(first.snapshot);
      expect(partial.length).toBeGreaterThan(0);
      // The reloaded page starts from the stored snapshot and gets only what came after it.
      const second = await watch(ref, transport, { persist: store });
      const stored = await storedReply(run.thread_id);
      expect(replyText(second.snapshot)).toBe(stored);
      expect(partial + second.seen.text).toBe(stored);
      expect(Number(second.seen.ids[0])).toBe(Number(first.snapshot.lastEventId) + 1);
    },
  );
});

describe("watchRun refusals", () => {
  it("reports a run that does not exist instead of reconnecting forever", async () => {
    const run = await startRun("hi");
    const error = await new Promise<unknown>((resolve) => {
      runcast().watchRun(
        { thread_id: run.thread_id, run_id: "run_doesNotExist0000000000" },
        { onError: resolve, onDone: () => resolve(null) },
        { transport: "ws" },
      );
    });
    expect((error as { data?: { code?: string } }).data?.code).toBe("NOT_FOUND");
  });
});
