// The run hub's limits and timings, from the Worker's vars (RUNCAST_*), with the defaults documented in README.
import type { GatewayEnv } from "../env";

export interface HubConfig {
  /** WebSocket and SSE subscribers one run accepts. */
  maxSubscribers: number;
  /** Largest frame a subscriber may send, in bytes. */
  maxFrameBytes: number;
  /** Events a subscriber may have unread (measured by PING/PONG) before it is dropped… */
  maxLagEvents: number;
  /** …once it has also left a PING unanswered this long (a large replay takes a moment to read). */
  lagGraceMs: number;
  /** How long a finished run's log is kept. */
  retentionMs: number;
  /** While a stream is open: heartbeat period, and the silence after which it counts as dead. */
  heartbeatMs: number;
  streamSilenceMs: number;
  /** Polling: first delay, and the caps while someone watches / while nobody does. */
  pollMinMs: number;
  pollMaxWatchedMs: number;
  pollMaxIdleMs: number;
  /**
   * The cap while someone watches a run waiting for tool outputs: outputs submitted through Runcast are known at once,
   * ones sent to the upstream directly are seen within this.
   */
  pollMaxWaitingMs: number;
  /** While a polled run progresses with no change of status, its steps and messages are read again this often. */
  pollContentMs: number;
  /**
   * A poll lands at the run's `expires_at` to read the upstream's own `expired`; should the upstream not have
   * expired it yet, polling goes on for at most this long after, then stops.
   */
  expiryGraceMs: number;
  /** Messages one WebSocket frame may carry (wsLink batches several calls in an array). */
  maxMessagesPerFrame: number;
  /** Messages a socket may send per second, sustained (twice as many in a burst); more closes it. */
  socketMessagesPerSecond: number;
  /** Messages a socket may send before it has authenticated; more closes it. */
  maxMessagesBeforeAuth: number;
  /** A socket with no credentials on its upgrade must send them (connectionParams) within this time. */
  authTimeoutMs: number;
  /** Sockets of a run that hold no seat (still authenticating, or refused): a share of `maxSubscribers`. */
  maxUnauthenticatedSockets: number;
  /** HTTP subscribers get a heartbeat line this often; one that reads nothing through two of them in a row is gone. */
  followHeartbeatMs: number;
}

export const DEFAULT_HUB_CONFIG: HubConfig = {
  maxSubscribers: 1000,
  maxFrameBytes: 64 * 1024,
  maxLagEvents: 5000,
  lagGraceMs: 10_000,
  retentionMs: 24 * 60 * 60 * 1000,
  heartbeatMs: 10_000,
  streamSilenceMs: 45_000,
  pollMinMs: 500,
  pollMaxWatchedMs: 1_250,
  pollMaxIdleMs: 60_000,
  pollMaxWaitingMs: 10_000,
  pollContentMs: 3_000,
  expiryGraceMs: 5_000,
  maxMessagesPerFrame: 32,
  socketMessagesPerSecond: 100,
  maxMessagesBeforeAuth: 10,
  authTimeoutMs: 5_000,
  maxUnauthenticatedSockets: 100,
  followHeartbeatMs: 3_000,
};

const VARS: Record<keyof HubConfig, string> = {
  maxSubscribers: "RUNCAST_MAX_SUBSCRIBERS",
  maxFrameBytes: "RUNCAST_MAX_FRAME_BYTES",
  maxLagEvents: "RUNCAST_MAX_LAG_EVENTS",
  lagGraceMs: "RUNCAST_LAG_GRACE_MS",
  retentionMs: "RUNCAST_RETENTION_MS",
  heartbeatMs: "RUNCAST_HEARTBEAT_MS",
  streamSilenceMs: "RUNCAST_STREAM_SILENCE_MS",
  pollMinMs: "RUNCAST_POLL_MIN_MS",
  pollMaxWatchedMs: "RUNCAST_POLL_MAX_WATCHED_MS",
  pollMaxIdleMs: "RUNCAST_POLL_MAX_IDLE_MS",
  pollMaxWaitingMs: "RUNCAST_POLL_MAX_WAITING_MS",
  pollContentMs: "RUNCAST_POLL_CONTENT_MS",
  expiryGraceMs: "RUNCAST_EXPIRY_GRACE_MS",
  maxMessagesPerFrame: "RUNCAST_WS_MAX_MESSAGES_PER_FRAME",
  socketMessagesPerSecond: "RUNCAST_WS_MESSAGES_PER_SECOND",
  maxMessagesBeforeAuth: "RUNCAST_WS_MAX_MESSAGES_BEFORE_AUTH",
  authTimeoutMs: "RUNCAST_WS_AUTH_TIMEOUT_MS",
  maxUnauthenticatedSockets: "RUNCAST_MAX_UNAUTHENTICATED_SOCKETS",
  followHeartbeatMs: "RUNCAST_FOLLOW_HEARTBEAT_MS",
};

export function hubConfig(env: GatewayEnv): HubConfig {
  const vars = env as unknown as Record<string, string | undefined>;
  const config = { ...DEFAULT_HUB_CONFIG };
  for (const [key, name] of Object.entries(VARS) as Array<[keyof HubConfig, string]>) {
    const value = vars[name];
    if (value !== undefined && /^\d+$/.test(value)) config[key] = Number(value);
  }
  return config;
}
