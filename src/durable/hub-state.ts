// The hub's own state beside its log: which run, the latest run object, the stream it reads, and its polling.
import type { Run } from "../providers/provider";

export interface HubState {
  thread_id: string;
  run_id: string;
  /** The tenant whose active-run slot the run holds (its creator), freed when the run ends. */
  slotTenant: string | null;
  /** The latest run object the hub has seen (from the stream or a poll). */
  run: Run;
  stream: {
    /** Bumped whenever a stream is opened or given up, so events from an older one are refused. */
    generation: number;
    open: boolean;
    /** `relay`: the creation step forwards the first segment; `hub`: the hub reads it itself. */
    source: "relay" | "hub";
    lastEventAt: number;
  };
  /**
   * Polls in a row that saw no change of status (the backoff grows with it), the upstream's last hint, when the next
   * poll is planned, and when a poll last read the run's steps and messages (absent in states from before: never).
   */
  poll: { attempt: number; hintMs: number | null; at: number | null; contentAt?: number | null };
  /** Bumped by every append: a poll whose answer arrives after something newer was logged is dropped, not logged. */
  version: number;
  terminalAt: number | null;
  /** Polling has stopped for good (expiry passed, or the run vanished upstream). */
  settled: boolean;
  /** The requires_action round whose outputs were submitted upstream: exactly one submission each. */
  submittedRound: string | null;
}

/** The run's `expires_at` (seconds, as the upstream gives it) in ms, or null for a run that does not expire. */
export const expiresAtMs = (run: Run): number | null => (run.expires_at === null ? null : run.expires_at * 1000);

export const TERMINAL_STATUSES = new Set<Run["status"]>(["completed", "failed", "cancelled", "expired", "incomplete"]);

/** Events after which an upstream stream (and a REST stream) of one segment ends. */
export const SEGMENT_END_EVENTS = new Set([
  "thread.run.requires_action",
  "thread.run.completed",
  "thread.run.incomplete",
  "thread.run.failed",
  "thread.run.cancelled",
  "thread.run.expired",
]);

export const isTerminalEvent = (event: string) =>
  SEGMENT_END_EVENTS.has(event) && event !== "thread.run.requires_action";

/** `thread.run.*` events carry the run itself; `thread.run.step.*` carry a step. */
export const isRunEvent = (event: string) => event.startsWith("thread.run.") && !event.startsWith("thread.run.step.");

/** A run the hub takes up: created through Runcast (a stream is open) or found upstream (it will be polled). */
export function newHubState(
  run: Run,
  threadId: string,
  options: { streamOpen: boolean; slotTenant: string | null; hintMs?: number | null },
): HubState {
  return {
    thread_id: threadId,
    run_id: run.id,
    slotTenant: options.slotTenant,
    run,
    stream: {
      generation: 1,
      open: options.streamOpen,
      source: options.streamOpen ? "relay" : "hub",
      lastEventAt: Date.now(),
    },
    poll: { attempt: 0, hintMs: options.hintMs ?? null, at: null },
    version: 0,
    terminalAt: null,
    settled: false,
    submittedRound: null,
  };
}

/**
 * Key-value storage of the state (the SQLite-backed object's synchronous KV), read once per instance: the run record is
 * its only writer, so the copy kept here is what storage holds. Reading storage on every event cost more than anything
 * else the hub did per event (bench/profile.ts: a quarter of the gateway's CPU at one subscriber).
 */
export class HubStateStore {
  /** The state as last read or written; `null` until storage is first read. */
  private cached: HubState | undefined | null = null;

  constructor(private readonly kv: SyncKvStorage) {}

  get(): HubState | undefined {
    if (this.cached === null) this.cached = this.kv.get<HubState>("hub");
    return this.cached;
  }

  put(state: HubState): void {
    this.kv.put("hub", state);
    this.cached = state;
  }

  has(): boolean {
    return this.get() !== undefined;
  }

  /** Storage changed without this store (deleted, or a write failed half-way): it is read again next time. */
  forget(): void {
    this.cached = null;
  }
}
