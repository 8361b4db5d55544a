// When the hub's alarm next fires: heartbeat while a stream is open, the planned poll while none is, then retention.
import type { HubConfig } from "./hub-config";

export interface ScheduleState {
  /** The run reached a terminal status at this time (ms), or not yet. */
  terminalAt: number | null;
  streamOpen: boolean;
  lastEventAt: number;
  /** When the next poll is planned (ms): set when polling starts or after each poll, not by every alarm. */
  pollAt: number | null;
  /** The run's `expires_at`, in ms. */
  expiresAt: number | null;
  /** Polling stopped for good: expiry passed and the final state was settled. */
  settled: boolean;
}

/**
 * The poll delay after `attempt` quiet polls: doubling from the minimum to a cap that depends on whether anyone
 * watches and whether the run moves by itself. A watched run waiting for tool outputs moves when they are submitted
 * (through Runcast, the hub learns it at once; straight to the upstream, the waiting cap bounds how late) or at its
 * `expires_at` (a poll is planned there).
 */
export function pollDelay(
  config: HubConfig,
  attempt: number,
  subscribers: number,
  hintMs: number | null,
  waiting = false,
): number {
  const cap = subscribers === 0 ? config.pollMaxIdleMs : waiting ? config.pollMaxWaitingMs : config.pollMaxWatchedMs;
  const backoff = Math.min(config.pollMinMs * 2 ** Math.min(attempt, 20), cap);
  // The upstream's hint is a floor: polling sooner than it asks only spends its rate limit.
  return Math.max(backoff, hintMs ?? 0);
}

/**
 * When a poll planned `delay` after `now` is due: no later than the run's `expires_at` while that is still ahead, so
 * one poll lands there and reads what the upstream made of the run (its own `expired`, with the open step's).
 */
export function plannedPollAt(now: number, delay: number, expiresAt: number | null): number {
  const at = now + delay;
  return expiresAt !== null && now < expiresAt ? Math.min(at, expiresAt) : at;
}

/**
 * The planned poll, but never past expires_at plus grace: the last poll lands there and settles the run. (The poller
 * plans a poll at expires_at itself, which reads the upstream's `expired`; the grace is for an upstream that is late.)
 */
function pollDueAt(state: ScheduleState, now: number, config: HubConfig): number {
  const deadline = state.expiresAt === null ? Infinity : state.expiresAt + config.expiryGraceMs;
  return Math.min(state.pollAt ?? now, deadline);
}

export function nextAlarm(state: ScheduleState, now: number, config: HubConfig): number {
  if (state.terminalAt !== null) return state.terminalAt + config.retentionMs;
  if (state.streamOpen) return Math.min(now + config.heartbeatMs, state.lastEventAt + config.streamSilenceMs);
  if (state.settled) return state.lastEventAt + config.retentionMs;
  return Math.max(now, pollDueAt(state, now, config));
}

/** Whether an alarm at `now` should poll: the planned time (or the expiry deadline) has come. */
export const isPollDue = (state: ScheduleState, now: number, config: HubConfig) =>
  !state.streamOpen && state.terminalAt === null && !state.settled && now >= pollDueAt(state, now, config);

/** True when a poll at `now` is the last one: the run's expiry (plus grace) has come. */
export const isFinalPoll = (state: ScheduleState, now: number, config: HubConfig) =>
  state.expiresAt !== null && now >= state.expiresAt + config.expiryGraceMs;

/** What an alarm at `now` does: one answer from the state, the time and the config, so it can be tested alone. */
export type AlarmAction = "retire" | "loseStream" | "poll" | "finalPoll" | "wait";

export function alarmAction(state: ScheduleState, now: number, config: HubConfig): AlarmAction {
  if (state.terminalAt !== null || state.settled) {
    // A settled run never ended: its retention counts from its last event.
    const retireAt = (state.terminalAt ?? state.lastEventAt) + config.retentionMs;
    return now >= retireAt ? "retire" : "wait";
  }
  if (state.streamOpen) return now - state.lastEventAt >= config.streamSilenceMs ? "loseStream" : "wait";
  // An alarm set for something else (a token's expiry) does not poll early.
  if (!isPollDue(state, now, config)) return "wait";
  return isFinalPoll(state, now, config) ? "finalPoll" : "poll";
}
