// What the address bar says: the run being shown (`?thread=…&run=…`, shareable) and the demo's pace knob (`?pace=<ms>`).
import type { RunRef } from "../../src/client";

export interface PageState {
  run: RunRef | null;
  /** Milliseconds between streamed words for runs started here (the emulator's `emulator_delta_ms`), or null. */
  pace: number | null;
}

export function readLocation(search = window.location.search): PageState {
  const params = new URLSearchParams(search);
  const thread_id = params.get("thread");
  const run_id = params.get("run");
  const pace = params.get("pace");
  const paceMs = pace !== null && /^\d{1,5}$/.test(pace) ? Number(pace) : null;
  return { run: thread_id && run_id ? { thread_id, run_id } : null, pace: paceMs };
}

/** The link another tab or person opens to watch the same run (no pace: that only applies to runs started here). */
export function shareUrl(run: RunRef): string {
  const url = new URL("/", window.location.origin);
  url.searchParams.set("thread", run.thread_id);
  url.searchParams.set("run", run.run_id);
  return url.toString();
}

/** Puts the run in the address bar (keeping the pace knob), so a reload or the back button finds it again. */
export function showInLocation(state: PageState): void {
  const params = new URLSearchParams();
  if (state.run) {
    params.set("thread", state.run.thread_id);
    params.set("run", state.run.run_id);
  }
  if (state.pace !== null) params.set("pace", String(state.pace));
  const search = params.toString();
  window.history.pushState(null, "", search ? `/?${search}` : "/");
}
