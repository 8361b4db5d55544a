// The hostile frames of issue 9 against a real `wrangler dev` (Node, not a page): frames of 32,000 items aimed at a live
// run's hub. The hub answers each with at most one frame and closes the socket (1008); workerd's memory stays flat; a
// subscriber of the same run still gets every event, in order, and retrieves stay quick.
import { readdir, readFile } from "node:fs/promises";
import { describe, expect, inject, it } from "vitest";
import { createAssistant, post } from "./helpers";

const baseUrl = inject("baseUrl");
const wsBase = baseUrl.replace(/^http/, "ws");

/** Resident memory (bytes) of every workerd process this machine runs: the gateway, its hubs and the emulator. */
async function workerdRss(): Promise<number> {
  let total = 0;
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const status = await readFile(`/proc/${pid}/status`, "utf8");
      if (!/^Name:\s+workerd$/m.test(status)) continue;
      total += Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0) * 1024;
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}

interface Opened {
  ws: WebSocket;
  frames: string[];
  bytes: number;
  closed: Promise<{ code: number; reason: string }>;
}

async function open(threadId: string, runId: string): Promise<Opened> {
  const ws = new WebSocket(`${wsBase}/ws/threads/${threadId}/runs/${runId}`);
  const opened: Opened = {
    ws,
    frames: [],
    bytes: 0,
    closed: new Promise((resolve) =>
      ws.addEventListener("close", (event) => resolve({ code: event.code, reason: event.reason })),
    ),
  };
  ws.addEventListener("message", (event) => {
    const data = String(event.data);
    opened.bytes += data.length;
    // wsLink answers PINGs; so does this subscriber, so it is never taken for a slow one.
    if (data === "PING") ws.send("PONG");
    else if (data !== "PONG") opened.frames.push(data);
  });
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", reject, { once: true });
  });
  return opened;
}

describe("hostile sockets against a live run (wrangler dev)", () => {
  it("frames of 32,000 items: at most one answer each, closed with 1008, memory flat, the run's subscriber unharmed", async () => {
    const assistantId = await createAssistant({
      name: "Plain",
      instructions: "Answer briefly.",
    });
    // A run that streams for a few seconds: 150 deltas, 20 ms apart, watched by one subscriber.
    const watchedRun = async () => {
      const run = await post<{ id: string; thread_id: string }>("/v1/threads/runs", {
        assistant_id: assistantId,
        thread: { messages: [{ role: "user", content: "Tell me about lighthouses" }] },
        metadata: { emulator_delta_ms: "20", emulator_reply_words: "150" },
      });
      const subscriber = await open(run.thread_id, run.id);
      subscriber.ws.send(
        JSON.stringify({
          id: 1,
          method: "subscription",
          params: { path: "runs.events", input: { thread_id: run.thread_id, run_id: run.id } },
        }),
      );
      return { run, subscriber };
    };
    const finished = async (subscriber: Opened) => {
      const deadline = Date.now() + 30_000;
      while (!subscriber.frames.some((frame) => frame.includes('"type":"stopped"')) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
    };
    // A first run with no attack warms the runtime up (code compiled, heaps grown), so what follows measures the attack.
    const warmUp = await watchedRun();
    await finished(warmUp.subscriber);
    warmUp.subscriber.ws.close();

    const { run, subscriber } = await watchedRun();
    const before = await workerdRss();
    const hostile = `[${Array<string>(32_000).fill("0").join(",")}]`;
    const attackers = await Promise.all(Array.from({ length: 5 }, () => open(run.thread_id, run.id)));
    // Fifteen frames in all (three per socket); a socket closed by the first frame takes no more.
    for (let round = 0; round < 3; round++)
      for (const attacker of attackers) if (attacker.ws.readyState === WebSocket.OPEN) attacker.ws.send(hostile);
    const closes = await Promise.all(attackers.map((attacker) => attacker.closed));
    const retrieveStarted = Date.now();
    const retrieved = await fetch(`${baseUrl}/v1/threads/${run.thread_id}/runs/${run.id}`);
    const retrieveMs = Date.now() - retrieveStarted;
    expect(retrieved.status).toBe(200);

    for (const close of closes) expect(close.code).toBe(1008);
    for (const attacker of attackers) {
      expect(attacker.frames.length).toBeLessThanOrEqual(1);
      expect(attacker.bytes).toBeLessThan(1024);
    }

    // The subscriber gets the whole run: every event id once, in order, to the terminal event.
    await finished(subscriber);
    const ids = subscriber.frames
      .map((frame) => JSON.parse(frame) as { result?: { type: string; id?: string } })
      .filter((frame) => frame.result?.type === "data")
      .map((frame) => Number(frame.result!.id));
    expect(ids.length).toBeGreaterThan(150);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, index) => index + 1));
    subscriber.ws.close();

    const after = await workerdRss();
    const grewMb = (after - before) / 2 ** 20;
    console.log(
      `hostile frames: 15 sent, answers ${attackers.map((a) => a.frames.length).join("/")}, workerd RSS ${(before / 2 ** 20).toFixed(0)} → ${(after / 2 ** 20).toFixed(0)} MiB, retrieve ${retrieveMs} ms`,
    );
    // Before the fix, fifteen such frames grew the runtime by about 545 MB (the review's figure). The run's own work
    // grows workerd's RSS by 90 to 130 MiB here with no attack at all (heaps, caches), so the bound leaves room for that.
    expect(grewMb).toBeLessThan(200);
  });
});
