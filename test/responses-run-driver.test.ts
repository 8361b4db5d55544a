// The Responses run driver's follower on its own (a recorded stream, a store in memory): what it leaves behind once a
// run's round has ended. A timer left pending keeps the thread's Durable Object active until it fires, so a bound that
// is not needed any more must be cleared, not left to run out.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ResponsesStream } from "../src/providers/responses/responses-upstream";
import { RunDriver } from "../src/providers/responses/run-driver";
import type { RunState } from "../src/providers/responses/run-objects";
import type { ResponsesEvent } from "../src/providers/responses/snapshot";
import type { ThreadStore } from "../src/providers/responses/thread-store";
import recorded from "./fixtures/responses-streams.json";
import { queuedRunState, testAssistant } from "./helpers/responses-run";

const ASSISTANT = testAssistant();

/** A run as a thread starts it: queued, with the default bound on how long its response may stay queued (180 s). */
const startedRun = (): RunState => queuedRunState(ASSISTANT, 180_000);

/** The recorded events as an open stream whose response is already on its way. */
function replay(events: ResponsesEvent[]): ResponsesStream {
  return {
    abort: () => {},
    async *[Symbol.asyncIterator]() {
      yield* events;
    },
  };
}

/** A driver over a store in memory and no upstream: the recorded stream carries the round to its end. */
function driver() {
  const followed: Promise<unknown>[] = [];
  const saved = new Map<string, RunState>();
  const store = {
    run: (id: string) => saved.get(id) ?? null,
    putRun: (state: RunState) => void saved.set(state.run.id, state),
  } as unknown as ThreadStore;
  const upstream = () => {
    throw new Error("the recorded stream is enough: no upstream call is expected");
  };
  const runDriver = new RunDriver({
    store,
    upstream,
    settings: { pollMinMs: 250, pollMaxMs: 5_000 },
    busy: () => {},
    background: (work) => void followed.push(work),
  });
  return { runDriver, saved, followed };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("following a run's round", () => {
  it("leaves no timer behind once the round has ended, though the response was queued at first", async () => {
    vi.useFakeTimers();
    const { runDriver, saved, followed } = driver();
    const fixture = recorded as unknown as Record<string, ResponsesEvent[]>;
    const told = runDriver.follow(startedRun(), replay(fixture.text!));
    await new Response(told).text();
    await Promise.all(followed);
    expect(saved.get("run_test")!.run.status).toBe("completed");
    // The bound on `queued` was armed while the response was queued; it must go when the response moves on.
    expect(vi.getTimerCount()).toBe(0);
  });
});
