// Resume: a subscriber joining a finished run's long log, from the start and from the middle (a reconnect with a last
// event id). Events/s replayed (from the subscription frame sent to the last event received) and time to the first event.
import { retrieveRun, socketUrl, type RunRef } from "./lib/gateway-runs.ts";
import { RunSubscriber } from "./lib/subscriber.ts";
import type { DevServer } from "./lib/dev-server.ts";

export interface ResumeFigures {
  from: "start" | "middle";
  /** Frames of many messages (`?frames=batch`, as @runcast/client asks), or one message per frame (a stock wsLink). */
  batched: boolean;
  events: number;
  eventsPerSecond: number;
  firstEventMs: number;
  badSequences: number;
}

const HEADERS = { authorization: "Bearer bench", "content-type": "application/json" };

/** A finished run whose log holds about `events` events (a reply streamed flat out, one word per delta). */
export async function longRun(
  server: DevServer,
  assistantId: string,
  events: number,
): Promise<{ ref: RunRef; last: number }> {
  const response = await fetch(`${server.baseUrl}/v1/threads/runs`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({
      assistant_id: assistantId,
      thread: { messages: [{ role: "user", content: "Tell me everything." }] },
      // Eleven events besides the deltas: run created/queued/in_progress, step created/in_progress/completed,
      // message created/in_progress/completed, run completed, and the hub's own done.
      metadata: { emulator_reply_words: String(Math.max(1, events - 11)), emulator_delta_ms: "0" },
    }),
  });
  if (!response.ok) throw new Error(`create: ${response.status} ${await response.text()}`);
  const run = (await response.json()) as { id: string; thread_id: string };
  const ref = { thread_id: run.thread_id, run_id: run.id };
  for (let attempt = 0; attempt < 2400; attempt++) {
    const current = await retrieveRun(server.baseUrl, ref);
    if (current.status === "completed") break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The hub's log may take a moment more than the upstream to hold the last event: read it whole once.
  const sub = new RunSubscriber(socketUrl(server.baseUrl, ref), ref);
  await sub.open();
  sub.subscribe();
  await sub.done;
  sub.close();
  return { ref, last: sub.arrivals.at(-1)?.id ?? 0 };
}

export async function replay(
  server: DevServer,
  ref: RunRef,
  last: number,
  from: "start" | "middle",
  batched: boolean,
): Promise<ResumeFigures> {
  const after = from === "start" ? 0 : Math.floor(last / 2);
  const sub = new RunSubscriber(socketUrl(server.baseUrl, ref, batched), ref);
  await sub.open();
  const sent = performance.timeOrigin + performance.now();
  sub.subscribe(after === 0 ? undefined : after);
  await sub.done;
  sub.close();
  const ids = sub.arrivals.map((a) => a.id);
  const expected = last - after;
  const inOrder = ids.length === expected && ids.every((id, i) => id === after + 1 + i);
  const lastAt = sub.arrivals.at(-1)?.at ?? sent;
  return {
    from,
    batched,
    events: ids.length,
    eventsPerSecond: ids.length / ((lastAt - sent) / 1000),
    firstEventMs: (sub.arrivals[0]?.at ?? Number.NaN) - sent,
    badSequences: inOrder ? 0 : 1,
  };
}
