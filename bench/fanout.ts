// Fan-out: one run's reply streamed to N subscribers by the hub, against the floor (the same number of frames of the
// same size sent by a bare Durable Object to the same number of sockets). Delivered events/s is counted from the first
// live frame any subscriber got to the last one every subscriber got; latency from the emulator's (or floor's) stamp
// to receipt, on the same machine's clock.
import { FloorSubscriber } from "./lib/floor-client.ts";
import { socketUrl, submitOutput, waitingRun } from "./lib/gateway-runs.ts";
import { measureGroup } from "./lib/processes.ts";
import { maxOf, median, minOf, percentile } from "./lib/stats.ts";
import { checkSequence, RunSubscriber } from "./lib/subscriber.ts";
import { resetUpstreamStats, upstreamStats } from "./lib/upstream-stats.ts";
import { within } from "./lib/within.ts";
import type { DevServer } from "./lib/dev-server.ts";

export interface FanoutFigures {
  subscribers: number;
  /** Events every subscriber should have got live, each. */
  eventsEach: number;
  delivered: number;
  eventsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  frameBytes: number;
  cpuSeconds: number;
  peakRssMiB: number;
  /** Subscribers whose sequence had a gap, a duplicate or a reordering (the goal is 0). */
  badSequences: number;
  /** Frames each subscriber got for the live events (fewer than the events when batched). */
  framesEach: number;
  /** What the upstream served for the measured segment (the tool output's continuation): streams and requests. */
  upstreamStreams: number;
  upstreamRequests: number;
}

async function openAll<T>(count: number, open: (index: number) => Promise<T>): Promise<T[]> {
  const opened: T[] = [];
  // In batches, as many clients arriving at once would; a thousand handshakes at the same instant only measure the listener.
  for (let start = 0; start < count; start += 100) {
    const batch = Array.from({ length: Math.min(100, count - start) }, (_, i) => open(start + i));
    opened.push(...(await Promise.all(batch)));
  }
  return opened;
}

function throughput(firsts: number[], lasts: number[], delivered: number): number {
  const span = (maxOf(lasts) - minOf(firsts)) / 1000;
  return span > 0 ? delivered / span : Number.NaN;
}

/** The hub: a run waits for its tool output while N subscribers gather; the output starts a reply of `words` deltas. */
export async function hubFanout(
  server: DevServer,
  assistantId: string,
  subscribers: number,
  pace: { words: number; deltaMs: number },
  batched = false,
): Promise<FanoutFigures> {
  const { ref, callId } = await waitingRun(server.baseUrl, assistantId, {
    emulator_reply_words: String(pace.words),
    emulator_delta_ms: String(pace.deltaMs),
    emulator_stamp: "true",
  });
  const subs = await openAll(subscribers, async () => {
    const sub = new RunSubscriber(socketUrl(server.baseUrl, ref, batched), ref);
    await sub.open();
    sub.subscribe();
    return sub;
  });
  await Promise.all(subs.map((sub) => sub.until((s) => s.requiresActionId !== null)));
  const backlog = maxOf(subs.map((sub) => sub.requiresActionId!));
  await resetUpstreamStats(server.baseUrl);
  const measured = await measureGroup(server.pid, async () => {
    await submitOutput(server.baseUrl, ref, callId);
    // Five minutes at most: a run that never ends is measured as far as it got.
    await within(Promise.all(subs.map((sub) => sub.done)), 300_000, "the run never ended").catch(() => undefined);
  });
  const upstream = await upstreamStats(server.baseUrl);
  const last = maxOf(subs.flatMap((sub) => sub.arrivals.map((a) => a.id)));
  const live = subs.map((sub) => sub.arrivals.filter((a) => a.id > backlog));
  const delivered = live.reduce((sum, arrivals) => sum + arrivals.length, 0);
  const latencies = live.flatMap((arrivals) => arrivals.filter((a) => a.stamp !== null).map((a) => a.at - a.stamp!));
  const badSequences = subs.filter((sub) => {
    const check = checkSequence(
      sub.arrivals.map((a) => a.id),
      1,
      last,
    );
    return check.missing + check.duplicates + check.outOfOrder > 0;
  }).length;
  subs.forEach((sub) => sub.close());
  return {
    subscribers,
    eventsEach: last - backlog,
    delivered,
    eventsPerSecond: throughput(
      live.filter((a) => a.length).map((a) => a[0]!.at),
      live.filter((a) => a.length).map((a) => a.at(-1)!.at),
      delivered,
    ),
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    frameBytes: median(live.flat().map((a) => a.bytes)),
    cpuSeconds: measured.cpuSeconds,
    peakRssMiB: measured.peakRssBytes / 2 ** 20,
    badSequences,
    upstreamStreams: upstream.streams_opened,
    upstreamRequests: upstream.requests,
    framesEach: median(subs.map((sub) => sub.frames)),
  };
}

/** The floor: `frames` frames of `bytes` bytes to N sockets, flat out (interval 0) or paced. */
export async function floorFanout(
  floor: DevServer,
  subscribers: number,
  frames: number,
  bytes: number,
  intervalMs: number,
): Promise<FanoutFigures> {
  const room = `room-${Math.random().toString(36).slice(2)}`;
  const url = `${floor.baseUrl.replace(/^http/, "ws")}/floor/${room}`;
  const subs = await openAll(subscribers, async () => {
    const sub = new FloorSubscriber();
    await sub.open(url);
    return sub;
  });
  const measured = await measureGroup(floor.pid, async () => {
    const answer = await fetch(
      `${floor.baseUrl}/floor/${room}/broadcast?frames=${frames}&bytes=${bytes}&interval_ms=${intervalMs}`,
      { method: "POST" },
    );
    if (!answer.ok) throw new Error(`floor broadcast: ${answer.status}`);
    await Promise.all(subs.map((sub) => sub.until(frames, 300_000)));
  });
  const delivered = subs.reduce((sum, sub) => sum + sub.arrivals.length, 0);
  const latencies = subs.flatMap((sub) => sub.arrivals.map((a) => a.at - a.stamp));
  subs.forEach((sub) => sub.close());
  return {
    subscribers,
    eventsEach: frames,
    delivered,
    eventsPerSecond: throughput(
      subs.filter((s) => s.arrivals.length).map((s) => s.arrivals[0]!.at),
      subs.filter((s) => s.arrivals.length).map((s) => s.arrivals.at(-1)!.at),
      delivered,
    ),
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    frameBytes: bytes,
    cpuSeconds: measured.cpuSeconds,
    peakRssMiB: measured.peakRssBytes / 2 ** 20,
    badSequences: subs.filter((sub) => sub.arrivals.some((a, i) => a.index !== i)).length,
    upstreamStreams: 0,
    upstreamRequests: 0,
    framesEach: frames,
  };
}
