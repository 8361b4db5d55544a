// Helpers for the run hub's lifecycle tests: subscribers ("tabs") on a run's WebSocket through tRPC's wsLink, what they saw,
// and access to a run's hub (its stored state and alarm) through the vitest plugin's Durable Object helpers.
import { createTRPCClient, createWSClient, wsLink } from "@trpc/client";
import { listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { AppRouter } from "../../src/client";
import type { HubState, HubStateStore } from "../../src/durable/hub-state";
import { forwardingIn } from "../../src/durable/run-starter";
import { restGet } from "./runcast";
import { WorkerWebSocket } from "./worker-websocket";

/** One event as a subscriber received it: its event id (the log's sequence number), name and data. */
export interface SeenEvent {
  id: number;
  event: string;
  // Event data is the upstream's object of whichever kind the event names; tests read the fields they need.
  data: any;
}

export interface TabOptions {
  /** Resume after this event id instead of starting from the first event. */
  lastEventId?: string;
  /** wsLink's lazy mode: no reconnect once no subscription is pending (so a closed socket stays closed). */
  lazy?: boolean;
}

/** Resolves with `promise`, or fails with `label` after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${label}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

/** Text of message delta events, in order. */
export function deltaText(events: SeenEvent[]): string {
  let text = "";
  for (const { event, data } of events) {
    if (event !== "thread.message.delta") continue;
    for (const part of data?.delta?.content ?? []) text += part?.text?.value ?? "";
  }
  return text;
}

/**
 * A subscriber, as a browser tab would be: its own wsLink client on the run's socket
 * (`/ws/threads/{thread_id}/runs/{run_id}`), subscribed to `runs.events`. wsLink reconnects by itself and
 * resubscribes with the last event id it received.
 */
export class Tab {
  readonly events: SeenEvent[] = [];
  /** Every socket this tab opened (one more per reconnect), with the close codes each received. */
  readonly sockets: WorkerWebSocket[] = [];
  readonly client;
  /** Settles when the subscription completes (after the run's terminal event) or fails. */
  readonly done: Promise<void>;
  completed = false;
  private readonly wsClient;
  private readonly waiters = new Set<{ test: (event: SeenEvent) => boolean; resolve: (event: SeenEvent) => void }>();
  private readonly subscription;

  constructor(
    readonly threadId: string,
    readonly runId: string,
    options: TabOptions = {},
  ) {
    const sockets = this.sockets;
    class TabSocket extends WorkerWebSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
      }
    }
    this.wsClient = createWSClient({
      url: `ws://runcast.test/ws/threads/${threadId}/runs/${runId}`,
      WebSocket: TabSocket as unknown as typeof WebSocket,
      // Reconnects quickly: a restart test should not wait for the default backoff.
      retryDelayMs: (attempt) => Math.min(50 * 2 ** attempt, 500),
      ...(options.lazy ? { lazy: { enabled: true, closeMs: 60_000 } } : {}),
    });
    this.client = createTRPCClient<AppRouter>({ links: [wsLink({ client: this.wsClient })] });
    let settle!: { resolve: () => void; reject: (error: unknown) => void };
    this.done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    // Marked handled here; awaiting `done` still sees the failure.
    this.done.catch(() => undefined);
    this.subscription = this.client.runs.events.subscribe(
      {
        thread_id: threadId,
        run_id: runId,
        ...(options.lastEventId !== undefined ? { lastEventId: options.lastEventId } : {}),
      },
      {
        onData: ({ id, data }) => {
          const seen: SeenEvent = { id: Number(id), event: data.event, data: data.data };
          this.events.push(seen);
          for (const waiter of this.waiters) {
            if (!waiter.test(seen)) continue;
            this.waiters.delete(waiter);
            waiter.resolve(seen);
          }
        },
        onComplete: () => {
          this.completed = true;
          settle.resolve();
        },
        onError: (error) => settle.reject(error),
      },
    );
  }

  get names(): string[] {
    return this.events.map((event) => event.event);
  }

  get ids(): number[] {
    return this.events.map((event) => event.id);
  }

  /** The reply text received so far. */
  get text(): string {
    return deltaText(this.events);
  }

  /** The first event (already received or still to come) that passes `test`. */
  waitFor(test: string | ((event: SeenEvent) => boolean), ms = 10_000): Promise<SeenEvent> {
    const check = typeof test === "string" ? (event: SeenEvent) => event.event === test : test;
    const seen = this.events.find(check);
    if (seen) return Promise.resolve(seen);
    return within(
      new Promise<SeenEvent>((resolve) => this.waiters.add({ test: check, resolve })),
      ms,
      `event ${String(test)} on run ${this.runId}`,
    );
  }

  /** Waits for the subscription to complete. */
  finished(ms = 15_000): Promise<void> {
    return within(this.done, ms, `subscription to run ${this.runId} completing`);
  }

  close(): void {
    this.subscription.unsubscribe();
    this.wsClient.close();
  }
}

/** Opens `count` tabs on a run. */
export const openTabs = (count: number, threadId: string, runId: string, options?: TabOptions) =>
  Array.from({ length: count }, () => new Tab(threadId, runId, options));

/** Every event id from 1 (or just after `after`) with no gap and no repeat. */
export function expectContiguous(ids: number[], after = 0): void {
  expect(ids).toEqual(Array.from({ length: ids.length }, (_, index) => after + index + 1));
}

/**
 * Each step and message of the run was created exactly once and ended exactly once
 * (completed, or whatever status closed it).
 */
export function expectEachObjectOnce(events: SeenEvent[]): void {
  const counts = new Map<string, number>();
  const objects = new Set<string>();
  for (const { event, data } of events) {
    const match = /^thread\.(run\.step|message)\.(\w+)$/.exec(event);
    if (!match || match[2] === "delta" || match[2] === "in_progress") continue;
    const phase = match[2] === "created" ? "created" : "ended";
    const key = `${match[1]} ${data.id} ${phase}`;
    objects.add(`${match[1]} ${data.id}`);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  expect(objects.size).toBeGreaterThan(0);
  for (const object of objects) {
    expect(counts.get(`${object} created`), `${object} created`).toBe(1);
    expect(counts.get(`${object} ended`), `${object} ended`).toBe(1);
  }
}

// ---- The run's hub. ----

export const hubStub = (runId: string) => env.RUN_HUB.get(env.RUN_HUB.idFromName(runId));

/** The hub's stored state (ctx.storage.kv "hub"), undefined when it holds no run. */
export const hubState = (runId: string) =>
  runInDurableObject(hubStub(runId), (_, state) => state.storage.kv.get<HubState>("hub"));

/** Replaces the hub's stored state. */
export const setHubState = (runId: string, change: (state: HubState) => HubState) =>
  runInDurableObject(hubStub(runId), (hub) => {
    const store = hubStore(hub);
    const current = store.get();
    if (!current) throw new Error(`the hub of ${runId} holds no run`);
    store.put(change(structuredClone(current)));
  });

/**
 * The hub's state store as the hub holds it. Tests write the state through it: the hub reads storage once and keeps
 * its copy, so a write beside it would not be seen.
 */
export const hubStore = (hub: unknown) => (hub as { record: { store: HubStateStore } }).record.store;

/** The hub's next alarm (ms since epoch), or null. */
export const hubAlarm = (runId: string) => runInDurableObject(hubStub(runId), (_, state) => state.storage.getAlarm());

/** Runs the hub's alarm now (if one is set); true when it ran. */
export const fireHubAlarm = (runId: string) => runDurableObjectAlarm(hubStub(runId));

/**
 * Restarts the hub at once (`ctx.abort()`): its in-memory state and any stream it was reading are lost, its
 * WebSockets break (subscribers see 1006), storage stays. The abort rejects the call that made it; that is expected.
 */
export const abortHub = async (runId: string): Promise<void> => {
  await abortObject(hubStub(runId), "test restart");
};

/** The creation steps still forwarding a run's first segment (RunStarters under unique ids), by run id. */
export async function forwardingStarters(): Promise<Map<string, DurableObjectId>> {
  const starters = new Map<string, DurableObjectId>();
  for (const id of await listDurableObjectIds(env.RUN_STARTER)) {
    const forwarding = await runInDurableObject(env.RUN_STARTER.get(id), (_, state) => forwardingIn(state.storage));
    if (forwarding) starters.set(forwarding.runId, id);
  }
  return starters;
}

/** The creation step forwarding a run's first segment, or null once it is done. */
export const forwardingStarter = async (runId: string): Promise<DurableObjectId | null> =>
  (await forwardingStarters()).get(runId) ?? null;

/**
 * Aborts an object as a crash or a deploy would: its memory (and what it was reading) goes, its storage stays.
 * `inspect` reads the object's state in the same turn, just before the abort; its answer is returned.
 */
export async function abortObject<T = undefined>(
  stub: DurableObjectStub,
  reason: string,
  inspect?: (state: DurableObjectState) => T,
): Promise<T | undefined> {
  let seen: T | undefined;
  const outcome = await runInDurableObject(stub, (_, state) => {
    seen = inspect?.(state);
    state.abort(reason);
  }).then(
    () => "returned",
    (error: unknown) => String(error),
  );
  if (!outcome.includes(reason)) throw new Error(`the object did not abort: ${outcome}`);
  return seen;
}

/** WebSockets the hub has open. */
export const hubSocketCount = (runId: string) =>
  runInDurableObject(hubStub(runId), (_, state) => state.getWebSockets().length);

/**
 * Fires the alarm and reads the next one: the delay the hub scheduled lies between the two
 * bounds (it was computed at some instant between `before` and `after`).
 */
export async function nextPollDelay(runId: string): Promise<{ min: number; max: number }> {
  // Only this test may fire the hub's alarm: an alarm of its own that is running now is waited out (the next one is
  // set when it is done), and the next is moved an hour away, so none can poll (and count a quiet poll) in between.
  for (let i = 0; i < 200 && (await hubAlarm(runId)) === null; i++) await new Promise((r) => setTimeout(r, 10));
  await runInDurableObject(hubStub(runId), async (hub, state) => {
    // The hub polls only when its planned poll is due: make it due now, as if its time had come.
    const store = hubStore(hub);
    const current = store.get();
    if (!current) throw new Error(`the hub of ${runId} holds no run`);
    store.put({ ...current, poll: { ...current.poll, at: Date.now() } });
    await state.storage.setAlarm(Date.now() + 60 * 60 * 1000);
  });
  const before = Date.now();
  await fireHubAlarm(runId);
  const at = await hubAlarm(runId);
  const after = Date.now();
  if (at === null) throw new Error(`the hub of ${runId} set no alarm`);
  return { min: at - after, max: at - before };
}

// ---- A run's replies and steps as stored, read through Runcast's /v1. ----

interface StoredMessage {
  id: string;
  role: string;
  status: string;
  content: Array<{ type: string; text?: { value: string } }>;
}

/** The text of the assistant messages the run wrote, as stored. */
export async function storedRunReply(threadId: string, runId: string): Promise<string> {
  const page = await restGet<{ data: StoredMessage[] }>(`/threads/${threadId}/messages?run_id=${runId}&order=asc`);
  return page.data.map((message) => message.content.map((part) => part.text?.value ?? "").join("")).join("");
}

export interface StoredStep {
  id: string;
  type: string;
  status: string;
  step_details: {
    type: string;
    tool_calls?: Array<{
      id: string;
      type: string;
      function: { name: string; arguments: string; output: string | null };
    }>;
  };
}

/** The run's steps as stored, oldest first. */
export async function storedSteps(threadId: string, runId: string): Promise<StoredStep[]> {
  return (await restGet<{ data: StoredStep[] }>(`/threads/${threadId}/runs/${runId}/steps?order=asc`)).data;
}
