// watchRun: follow one run live and get its text, messages, tool calls and status, resuming after network loss and reloads.
import { createTRPCClient, createWSClient, wsLink, type TRPCClient } from "@trpc/client";
import type { AppRouter } from "./app-router";
import type { RunEvent } from "../rpc/run-event";
import { BATCHED_FRAMES_QUERY, splittingBatchedFrames } from "./batched-frames";
import { applyEvent, emptySnapshot, type RunSnapshot } from "./run-snapshot";

export interface RunRef {
  thread_id: string;
  run_id: string;
}

export interface WatchHandlers {
  /** Every change: the run as folded so far. Called once at the start with what was restored. */
  onUpdate?(snapshot: RunSnapshot): void;
  /** A piece of text streamed into a message. */
  onText?(delta: string, messageId: string, snapshot: RunSnapshot): void;
  /** The run waits for tool outputs (`toolCalls`) or approvals (`approvalCalls`); `pendingToolCallIds` lists the calls still without an answer. */
  onToolCalls?(snapshot: RunSnapshot): void;
  onStatus?(status: NonNullable<RunSnapshot["status"]>, snapshot: RunSnapshot): void;
  /** Every raw event, with its event id. */
  onEvent?(event: RunEvent, id: string): void;
  onError?(error: unknown): void;
  /** The run ended; the subscription is over. */
  onDone?(snapshot: RunSnapshot): void;
}

/** Somewhere to keep a run's snapshot across page reloads: `sessionStorage`, `localStorage`, or your own. */
export interface SnapshotStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface WatchOptions {
  /** `ws` (the run's WebSocket; the default where WebSocket exists) or `sse` (Server-Sent Events over /trpc). */
  transport?: "ws" | "sse";
  /** Keep the snapshot (and with it the last event id) here, so a reloaded page resumes where it was. */
  persist?: SnapshotStore;
}

export interface Watch {
  stop(): void;
  snapshot(): RunSnapshot;
}

export interface WatchContext {
  url: string;
  token?: string | (() => string | Promise<string>);
  /** The client's own link set, used for SSE subscriptions. */
  client: TRPCClient<AppRouter>;
  WebSocket?: typeof WebSocket;
}

/** Answers that mean watching cannot succeed by retrying. */
const REFUSALS = new Set(["NOT_FOUND", "UNAUTHORIZED", "FORBIDDEN", "BAD_REQUEST"]);

const storageKey = (ref: RunRef) => `runcast:run:${ref.thread_id}:${ref.run_id}`;

function restore(store: SnapshotStore | undefined, ref: RunRef): RunSnapshot {
  try {
    const saved = store?.getItem(storageKey(ref));
    // Merged over an empty snapshot: one saved by an older client lacks the fields added since.
    return saved ? { ...emptySnapshot(), ...(JSON.parse(saved) as Partial<RunSnapshot>) } : emptySnapshot();
  } catch {
    return emptySnapshot();
  }
}

/**
 * Follows a run. Each event is applied once, in order: an event id at or below the last one seen is
 * ignored, so reconnects and replays never deliver anything twice.
 *
 * @example
 * const watch = runcast.watchRun({ thread_id, run_id }, {
 *   onText: (delta) => (reply.textContent += delta),
 *   onToolCalls: ({ toolCalls }) => showToolForm(toolCalls),
 *   onDone: ({ status }) => console.log("run ended", status),
 * }, { persist: sessionStorage });
 */
export function watchRun(
  context: WatchContext,
  ref: RunRef,
  handlers: WatchHandlers,
  options: WatchOptions = {},
): Watch {
  let snapshot = restore(options.persist, ref);
  let stopped = false;
  const seen = () => Number(snapshot.lastEventId ?? 0);

  const WebSocketImpl = context.WebSocket ?? (typeof WebSocket === "undefined" ? undefined : WebSocket);
  const transport = options.transport ?? (WebSocketImpl ? "ws" : "sse");
  let socket: ReturnType<typeof createWSClient> | null = null;
  let client = context.client;
  let probing = false;
  /**
   * A refused socket (unknown run, no access, bad credentials) only looks like a dropped one to wsLink,
   * which would retry forever; after each close one HTTP call tells a refusal (reported, watching stops) from a blip.
   */
  const probe = () => {
    if (probing || stopped) return;
    probing = true;
    context.client.runs.retrieve.query(ref).then(
      () => (probing = false),
      (error: unknown) => {
        probing = false;
        // Only a refusal ends the watch; a network blip (no answer at all) leaves wsLink to reconnect.
        const code = (error as { data?: { code?: string } } | null)?.data?.code;
        if (stopped || !code || !REFUSALS.has(code)) return;
        finish();
        handlers.onError?.(error);
      },
    );
  };
  if (transport === "ws") {
    const base = context.url.replace(/^http/, "ws").replace(/\/$/, "");
    socket = createWSClient({
      // Batched frames: a replay or a burst comes in a few frames instead of one per event (batched-frames.ts).
      url: `${base}/ws/threads/${encodeURIComponent(ref.thread_id)}/runs/${encodeURIComponent(ref.run_id)}?${BATCHED_FRAMES_QUERY}`,
      ...(WebSocketImpl ? { WebSocket: splittingBatchedFrames(WebSocketImpl) } : {}),
      onClose: probe,
      connectionParams: async (): Promise<Record<string, string>> => {
        const token = typeof context.token === "function" ? await context.token() : context.token;
        return token ? { token } : {};
      },
    });
    client = createTRPCClient<AppRouter>({ links: [wsLink({ client: socket })] });
  }

  const finish = () => {
    stopped = true;
    subscription.unsubscribe();
    socket?.close();
  };

  handlers.onUpdate?.(snapshot);
  const subscription = client.runs.events.subscribe(
    { ...ref, ...(snapshot.lastEventId ? { lastEventId: snapshot.lastEventId } : {}) },
    {
      onData: ({ id, data: wire }) => {
        if (stopped || Number(id) <= seen()) return;
        // The event as JSON carried it; at runtime it is exactly the upstream's event.
        const data = wire as RunEvent;
        const previous = snapshot.status;
        const applied = applyEvent(snapshot, id, data);
        snapshot = applied.snapshot;
        options.persist?.setItem(storageKey(ref), JSON.stringify(snapshot));
        handlers.onEvent?.(data, id);
        if (applied.textDelta && applied.messageId) handlers.onText?.(applied.textDelta, applied.messageId, snapshot);
        if (snapshot.status && snapshot.status !== previous) handlers.onStatus?.(snapshot.status, snapshot);
        if (data.event === "thread.run.requires_action" || data.event === "runcast.tool_outputs")
          handlers.onToolCalls?.(snapshot);
        handlers.onUpdate?.(snapshot);
      },
      onError: (error) => {
        if (!stopped) handlers.onError?.(error);
      },
      onComplete: () => {
        if (stopped) return;
        finish();
        handlers.onDone?.(snapshot);
      },
    },
  );
  // A run already finished in a restored snapshot still gets its completion from the server's replay end.
  return { stop: finish, snapshot: () => snapshot };
}
