// Polling: runs created on the upstream without streaming (a backend made them; no stream is open to anyone), watched
// through the hub, which must poll, against Direct watchers polling the upstream themselves every second. Durations
// come from a seeded distribution, and some runs wait for tool outputs nobody sends until they expire. The emulator
// counts each thread's requests (and when the last came) and says when each run's status changed, so the upstream
// cost and the delay from a change to a watcher seeing it are measured, not inferred.
import OpenAI from "openai";
import { emulatorSdk } from "./direct.ts";
import type { DevServer } from "./lib/dev-server.ts";
import { socketUrl, type RunRef } from "./lib/gateway-runs.ts";
import { maxOf, percentile } from "./lib/stats.ts";
import { RunSubscriber } from "./lib/subscriber.ts";
import { resetUpstreamStats, upstreamStats, type UpstreamStats } from "./lib/upstream-stats.ts";

export interface PollingPlan {
  runs: number;
  seed: number;
  /** Runs that reply: durations spread log-uniformly over this range (seconds). */
  replySeconds: [number, number];
  /** Share of runs that ask for a tool output and are left to expire in requires_action. */
  expiringShare: number;
  /** …their expires_at, this many seconds after creation. */
  expireAfterSeconds: [number, number];
  /** One run is created every this many ms. */
  arrivalMs: number;
}

/** How the runs are watched: through the hub, or by Direct clients polling the upstream themselves. */
export interface Watching {
  watcher: "hub" | "direct";
  /** Watchers per run (the hub's subscribers, or Direct clients each polling). */
  watchers: number;
  /** Direct: ms between a watcher's retrieves, or `sdk` for `runs.poll`'s default (the upstream's poll hint, else 5 s). */
  intervalMs?: number | "sdk";
}

export interface PollingFigures extends Watching {
  runs: number;
  expiring: number;
  /** Upstream requests per run after its creation (run, steps and messages reads, every watcher's), mean over the runs. */
  requestsPerRun: number;
  requestsPerReplyRun: number;
  requestsPerExpiringRun: number;
  /** Delay from the upstream's status change to a watcher seeing it, over every change of every run and watcher. */
  delayP50Ms: number;
  delayP95Ms: number;
  delayMaxMs: number;
  changes: number;
  /** p95 delay per status reached, to show which changes are slow to see. */
  delayP95ByStatusMs: Record<string, number>;
  /** Changes no watcher saw (the goal is 0). */
  missedChanges: number;
  /** Expiring runs that got a request after their expires_at, and the latest such request (ms after it). */
  runsPolledAfterExpiry: number;
  latestAfterExpiryMs: number;
  seconds: number;
}

const TERMINAL = new Set(["completed", "failed", "cancelled", "expired", "incomplete"]);
/** How far the emulator's clock (Date.now in workerd) and this process's may disagree before it is a fault. */
const CLOCK_SLACK_MS = 20;
/** `runs.poll`'s interval when the upstream gives no hint. */
const SDK_DEFAULT_INTERVAL_MS = 5000;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** mulberry32: a small seeded generator, so every run of the benchmark plans the same runs. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface PlannedRun {
  expiring: boolean;
  metadata: Record<string, string>;
}

const REPLY_WORDS = 20;
/** A reply's plan: a start, a message step, a delta per word and an end, each a tick apart. */
const REPLY_TICKS = REPLY_WORDS + 3;

export function planRuns(plan: PollingPlan): PlannedRun[] {
  const random = seeded(plan.seed);
  const between = ([low, high]: [number, number]) => low + (high - low) * random();
  return Array.from({ length: plan.runs }, (): PlannedRun => {
    if (random() < plan.expiringShare) {
      // A tool call in a second or so, then a wait for an output nobody sends.
      return {
        expiring: true,
        metadata: {
          emulator_delta_ms: String(Math.round(between([50, 250]))),
          emulator_expire_after: String(Math.round(between(plan.expireAfterSeconds))),
        },
      };
    }
    const [low, high] = plan.replySeconds;
    const seconds = low * (high / low) ** random();
    return {
      expiring: false,
      metadata: {
        emulator_reply_words: String(REPLY_WORDS),
        emulator_delta_ms: String(Math.round((seconds * 1000) / REPLY_TICKS)),
      },
    };
  });
}

interface Created {
  ref: RunRef;
  expiring: boolean;
  expiresAtMs: number | null;
  /** When its watchers started (epoch ms): changes before are nobody's delay. */
  watchedFrom: number;
}

async function pollingAssistant(sdk: OpenAI): Promise<string> {
  const assistant = await sdk.beta.assistants.create({
    model: "gpt-4o",
    name: "Polled",
    tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: {} } } }],
  });
  return assistant.id;
}

/** A run made on the upstream itself without streaming, as a backend would make it. */
async function createRun(sdk: OpenAI, assistantId: string, { expiring, metadata }: PlannedRun): Promise<Created> {
  const run = await sdk.beta.threads.createAndRun({
    assistant_id: assistantId,
    thread: {
      messages: [{ role: "user", content: expiring ? "Please get_weather Paris." : "Tell me about lighthouses." }],
    },
    metadata,
  });
  return {
    ref: { thread_id: run.thread_id, run_id: run.id },
    expiring,
    expiresAtMs: expiring && run.expires_at ? run.expires_at * 1000 : null,
    watchedFrom: Date.now(),
  };
}

interface StatusChange {
  status: string;
  at_ms: number;
}

async function statusChanges(server: DevServer, ref: RunRef): Promise<StatusChange[]> {
  const response = await fetch(
    `${server.baseUrl}/emulator/admin/threads/${ref.thread_id}/runs/${ref.run_id}/status_changes`,
  );
  if (!response.ok) throw new Error(`status changes of ${ref.run_id}: ${response.status}`);
  return ((await response.json()) as { data: StatusChange[] }).data;
}

/** When each of a run's watchers first saw each status. */
type Sightings = Array<Map<string, number>>;

/** The hub: one subscriber for the run (any number would cost the upstream the same), told of every event. */
async function watchThroughHub(server: DevServer, { ref }: Created): Promise<Sightings> {
  const subscriber = new RunSubscriber(socketUrl(server.baseUrl, ref), ref);
  await subscriber.open();
  subscriber.subscribe();
  await subscriber.done;
  const seen = new Map<string, number>();
  for (const { event, at } of subscriber.arrivals) {
    const status = /^thread\.run\.([a-z_]+)$/.exec(event ?? "")?.[1];
    if (status && !seen.has(status)) seen.set(status, at);
  }
  return [seen];
}

/**
 * Direct: each watcher retrieves the run until it ends, as `runs.poll` does (and on past requires_action, since nobody
 * answers), then lists the run's messages once to show its reply.
 */
async function watchDirectly(
  sdk: OpenAI,
  { ref }: Created,
  watchers: number,
  interval: number | "sdk",
): Promise<Sightings> {
  return Promise.all(
    Array.from({ length: watchers }, async () => {
      const seen = new Map<string, number>();
      for (;;) {
        const { data: run, response } = await sdk.beta.threads.runs
          .retrieve(ref.run_id, { thread_id: ref.thread_id })
          .withResponse();
        if (!seen.has(run.status)) seen.set(run.status, now());
        if (TERMINAL.has(run.status)) {
          // As a frontend does to show what the run wrote (the hub's subscribers get it as events).
          await sdk.beta.threads.messages.list(ref.thread_id, { run_id: ref.run_id });
          return seen;
        }
        const hint = Number(response.headers.get("openai-poll-after-ms") ?? Number.NaN);
        await sleep(interval === "sdk" ? (Number.isFinite(hint) ? hint : SDK_DEFAULT_INTERVAL_MS) : interval);
      }
    }),
  );
}

const mean = (values: number[]) => (values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : 0);

/**
 * The runs, planned from the seed, arrive one every `arrivalMs` (a hundred watchers arriving in the same instant would
 * measure the listener, not polling); each run's watchers start as soon as it is created.
 */
export async function polling(server: DevServer, plan: PollingPlan, way: Watching): Promise<PollingFigures> {
  const sdk = emulatorSdk(server);
  const assistantId = await pollingAssistant(sdk);
  const started = Date.now();
  await resetUpstreamStats(server.baseUrl);
  const watched = await Promise.all(
    planRuns(plan).map(async (planned, index) => {
      await sleep(index * plan.arrivalMs);
      // The creation names no thread, so it is not counted against the run: only what watching it costs is.
      const created = await createRun(sdk, assistantId, planned);
      const seen =
        way.watcher === "hub"
          ? await watchThroughHub(server, created)
          : await watchDirectly(sdk, created, way.watchers, way.intervalMs ?? 1000);
      return { created, seen };
    }),
  );
  const stats = await upstreamStats(server.baseUrl);
  return { ...way, ...(await figures(server, watched, stats)), seconds: (Date.now() - started) / 1000 };
}

async function figures(
  server: DevServer,
  watched: Array<{ created: Created; seen: Sightings }>,
  stats: UpstreamStats,
): Promise<Omit<PollingFigures, keyof Watching | "seconds">> {
  const delays: number[] = [];
  const byStatus = new Map<string, number[]>();
  let changes = 0;
  let missedChanges = 0;
  const requests = { reply: [] as number[], expiring: [] as number[] };
  let runsPolledAfterExpiry = 0;
  let latestAfterExpiryMs = 0;
  for (const { created: run, seen: sightings } of watched) {
    // Changes made before anyone watched (a quick start) are not a watcher's delay.
    for (const change of (await statusChanges(server, run.ref)).filter((c) => c.at_ms >= run.watchedFrom)) {
      for (const seen of sightings) {
        changes++;
        const at = seen.get(change.status);
        if (at === undefined) missedChanges++;
        else {
          // Statuses do not repeat in these runs, so the first sighting of a status is the sighting of its change.
          // The emulator's clock and this process's are the same machine's: a sighting before the change is a fault.
          if (at < change.at_ms - CLOCK_SLACK_MS)
            throw new Error(`${run.ref.run_id} was seen ${change.status} ${Math.round(change.at_ms - at)} ms early`);
          const delay = Math.max(0, at - change.at_ms);
          delays.push(delay);
          byStatus.set(change.status, [...(byStatus.get(change.status) ?? []), delay]);
        }
      }
    }
    // Every way of watching reads the run at least once: a thread missing from the counts is a counting fault.
    const served = stats.by_thread[run.ref.thread_id];
    if (!served) throw new Error(`the emulator counted no request for ${run.ref.thread_id}`);
    (run.expiring ? requests.expiring : requests.reply).push(served.requests);
    if (run.expiresAtMs !== null && served.last_at > run.expiresAtMs) {
      runsPolledAfterExpiry++;
      latestAfterExpiryMs = Math.max(latestAfterExpiryMs, served.last_at - run.expiresAtMs);
    }
  }
  return {
    runs: watched.length,
    expiring: requests.expiring.length,
    requestsPerRun: mean([...requests.reply, ...requests.expiring]),
    requestsPerReplyRun: mean(requests.reply),
    requestsPerExpiringRun: mean(requests.expiring),
    delayP50Ms: percentile(delays, 50),
    delayP95Ms: percentile(delays, 95),
    delayMaxMs: delays.length ? maxOf(delays) : Number.NaN,
    changes,
    delayP95ByStatusMs: Object.fromEntries([...byStatus].map(([status, values]) => [status, percentile(values, 95)])),
    missedChanges,
    runsPolledAfterExpiry,
    latestAfterExpiryMs,
  };
}
