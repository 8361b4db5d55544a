// The correctness pass with tRPC's own client: subscribers built from @trpc/client's stock wsLink (one message per
// frame) and as @runcast/client's watchRun builds them (wsLink over batched frames, split by splittingBatchedFrames),
// on one run streamed flat out, plus subscribers that drop mid-run and resume with their last event id. Every
// subscriber's ids are checked against the log: no gap, no duplicate, no reordering, and it completed on the run's last
// event (a subscription that failed or was cut counts as bad, even if every subscriber lost the same tail).
import { createTRPCClient, createWSClient, wsLink } from "@trpc/client";
import { splittingBatchedFrames } from "../src/client/batched-frames.ts";
import type { DevServer } from "./lib/dev-server.ts";
import { retrieveRun, socketUrl, submitOutput, waitingRun, type RunRef } from "./lib/gateway-runs.ts";
import { maxOf } from "./lib/stats.ts";
import { checkSequence } from "./lib/subscriber.ts";

export interface WsLinkPassFigures {
  kind: "stock wsLink" | "watchRun's wsLink (batched frames)";
  subscribers: number;
  /** Of them, how many dropped their socket mid-run and resumed with their last event id. */
  resumed: number;
  events: number;
  badSequences: number;
}

/** The one procedure used here, as the gateway's router declares it. */
interface EventsClient {
  runs: {
    events: {
      subscribe(
        input: RunRef & { lastEventId?: string },
        handlers: { onData(tracked: { id: string }): void; onComplete(): void; onError(error: unknown): void },
      ): { unsubscribe(): void };
    };
  };
}

interface Collected {
  ids: number[];
  /** Resolves when the subscription completes (the run ended) or fails. */
  done: Promise<void>;
  /** Completed, as the hub ends a subscription after the run's last event (not failed, not cut). */
  completed: boolean;
  close(): void;
}

/** A wsLink client subscribed to the run's events from `lastEventId` (or the start), collecting ids until it completes. */
function subscribe(url: string, ref: RunRef, batched: boolean, lastEventId?: number, ids: number[] = []): Collected {
  const ws = createWSClient({
    url,
    ...(batched ? { WebSocket: splittingBatchedFrames(WebSocket) } : {}),
  });
  // Typed by hand: the router's own types would pull the whole Worker into the benchmark's compilation.
  const client = createTRPCClient({ links: [wsLink({ client: ws })] }) as unknown as EventsClient;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const collected: Collected = {
    ids,
    done,
    completed: false,
    close: () => {
      subscription.unsubscribe();
      void ws.close();
    },
  };
  const subscription = client.runs.events.subscribe(
    { ...ref, ...(lastEventId !== undefined ? { lastEventId: String(lastEventId) } : {}) },
    {
      onData: (tracked: { id: string }) => ids.push(Number(tracked.id)),
      onComplete: () => {
        collected.completed = true;
        finish();
      },
      onError: finish,
    },
  );
  return collected;
}

export async function wsLinkPass(
  server: DevServer,
  assistantId: string,
  { subscribers, words }: { subscribers: number; words: number },
): Promise<WsLinkPassFigures[]> {
  const figures: WsLinkPassFigures[] = [];
  for (const batched of [false, true]) {
    // A run of its own for each kind, waiting for its tool output while the subscribers gather, then streamed live.
    const { ref, callId } = await waitingRun(server.baseUrl, assistantId, {
      emulator_reply_words: String(words),
      emulator_delta_ms: "0",
    });
    const url = socketUrl(server.baseUrl, ref, batched);
    const steady = Array.from({ length: subscribers }, () => subscribe(url, ref, batched));
    // Half as many again drop once they have a few events and resume from the last id they got.
    const resuming = Array.from({ length: Math.ceil(subscribers / 2) }, () => subscribe(url, ref, batched));
    figures.push({
      kind: batched ? "watchRun's wsLink (batched frames)" : "stock wsLink",
      subscribers: steady.length + resuming.length,
      resumed: resuming.length,
      events: 0,
      badSequences: 0,
    });
    await Promise.all([...steady, ...resuming].map((s) => until(() => s.ids.length > 0)));
    // The backlog (up to requires_action) is in; the drops come mid-reply, a few dozen events after the output.
    const backlog = Math.max(...resuming.map((s) => s.ids.length));
    await submitOutput(server.baseUrl, ref, callId);
    const resumed = await Promise.all(
      resuming.map(async (first, index) => {
        await until(() => first.ids.length >= backlog + 10 + index * 7);
        first.close();
        return subscribe(url, ref, batched, first.ids.at(-1), first.ids);
      }),
    );
    const all = [...steady, ...resumed];
    await Promise.all(all.map((s) => s.done));
    // The log's last event is the run's terminal one: every subscription that completed ends on it.
    const last = (await retrieveRun(server.baseUrl, ref)).status === "completed" ? maxOf(all.flatMap((s) => s.ids)) : 0;
    const row = figures.at(-1)!;
    row.events = last;
    row.badSequences = all.filter((s) => {
      const check = checkSequence(s.ids, 1, last);
      return !s.completed || s.ids.at(-1) !== last || check.missing + check.duplicates + check.outOfOrder > 0;
    }).length;
    all.forEach((s) => s.close());
  }
  return figures;
}

async function until(ready: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error("wsLink pass: a subscriber got nothing in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
