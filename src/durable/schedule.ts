// When the hub's alarm next fires: heartbeat while a stream is open, backed-off polling while none is, then retention.

import type { HubConfig } from "./hub-config";

export interface ScheduleState {
  /** The run reached a terminal status at this time (ms), or not yet. */
  terminalAt: number | null;
  streamOpen: boolean;
  lastEventAt: number;
  /** Polls in a row that saw no change; the backoff grows with it. */
  pollAttempt: number;
  /** The upstream's `openai-poll-after-ms` from the last poll. */
  pollHintMs: number | null;
  /** The run's `expires_at`, in ms. */
  expiresAt: number | null;
  /** Polling stopped for good: expiry passed and the final state was settled. */
  settled: boolean;
  subscribers: number;
}

export type AlarmPurpose = "retention" | "heartbeat" | "poll" | "none";

export interface NextAlarm {
  at: number;
  purpose: AlarmPurpose;
}

/** The poll delay after `attempt` quiet polls: doubling from the minimum to a cap that depends on whether anyone watches. */
export function pollDelay(config: HubConfig, attempt: number, subscribers: number, hintMs: number | null): number {
  const cap = subscribers > 0 ? config.pollMaxWatchedMs : config.pollMaxIdleMs;
  const backoff = Math.min(config.pollMinMs * 2 ** Math.min(attempt, 20), cap);
  // The upstream's hint is a floor: polling sooner than it asks only spends its rate limit.
  return Math.max(backoff, hintMs ?? 0);
}

export function nextAlarm(state: ScheduleState, now: number, config: HubConfig): NextAlarm {
  if (state.terminalAt !== null) return { at: state.terminalAt + config.retentionMs, purpose: "retention" };
  if (state.streamOpen) return { at: Math.min(now + config.heartbeatMs, state.lastEventAt + config.streamSilenceMs), purpose: "heartbeat" };
  if (state.settled) return { at: now + config.retentionMs, purpose: "retention" };
  const at = now + pollDelay(config, state.pollAttempt, state.subscribers, state.pollHintMs);
  // Never past expires_at (plus grace): the last poll lands there and settles the run.
  const deadline = state.expiresAt === null ? Infinity : state.expiresAt + config.expiryGraceMs;
  return { at: Math.max(now, Math.min(at, deadline)), purpose: "poll" };
}

/** True when a poll at `now` is the last one: the run's expiry (plus grace) has come. */
export const isFinalPoll = (state: ScheduleState, now: number, config: HubConfig) =>
  state.expiresAt !== null && now >= state.expiresAt + config.expiryGraceMs;
