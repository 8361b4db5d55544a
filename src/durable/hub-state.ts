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
  /** Polls in a row that saw no change (the backoff grows with it), the upstream's last hint, and when the next is planned. */
  poll: { attempt: number; hintMs: number | null; at: number | null };
  /** Bumped by every append: a poll whose answer arrives after something newer was logged is dropped, not logged. */
  version: number;
  terminalAt: number | null;
  /** Polling has stopped for good (expiry passed, or the run vanished upstream). */
  settled: boolean;
  /** The requires_action round whose outputs were submitted upstream: exactly one submission each. */
  submittedRound: string | null;
}

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

/** Key-value storage of the state (the SQLite-backed object's synchronous KV). */
export class HubStateStore {
  constructor(private readonly kv: SyncKvStorage) {}

  get(): HubState | undefined {
    return this.kv.get<HubState>("hub");
  }

  put(state: HubState): void {
    this.kv.put("hub", state);
  }

  has(): boolean {
    return this.get() !== undefined;
  }
}
