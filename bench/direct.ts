// Direct: what a frontend does without Runcast. Each of N clients streams a run from the upstream itself with the
// official openai SDK (one upstream stream per client), the same reply at the same pace as the hub's run.
import OpenAI from "openai";
import { maxOf, minOf, percentile } from "./lib/stats.ts";
import type { DevServer } from "./lib/dev-server.ts";
import { resetUpstreamStats, upstreamStats } from "./lib/upstream-stats.ts";

export interface DirectFigures {
  clients: number;
  delivered: number;
  eventsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  upstreamStreams: number;
  upstreamRequests: number;
}

const now = () => performance.timeOrigin + performance.now();

export function emulatorSdk(server: DevServer): OpenAI {
  return new OpenAI({ apiKey: "bench", baseURL: `${server.baseUrl}/emulator/v1`, maxRetries: 0 });
}

export async function directFanout(
  server: DevServer,
  clients: number,
  pace: { words: number; deltaMs: number },
): Promise<DirectFigures> {
  const sdk = emulatorSdk(server);
  const assistant = await sdk.beta.assistants.create({ model: "gpt-4o", name: "Direct" });
  const arrivals: number[][] = [];
  await resetUpstreamStats(server.baseUrl);
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const seen: number[] = [];
      arrivals.push(seen);
      const stream = await sdk.beta.threads.createAndRun({
        assistant_id: assistant.id,
        thread: { messages: [{ role: "user", content: "Tell me about lighthouses." }] },
        metadata: {
          emulator_reply_words: String(pace.words),
          emulator_delta_ms: String(pace.deltaMs),
          emulator_stamp: "true",
        },
        stream: true,
      });
      for await (const event of stream) {
        const at = now();
        seen.push(at);
        const stamp = (event.data as { emulator_emitted_at_ms?: number }).emulator_emitted_at_ms;
        if (typeof stamp === "number") latencies.push(at - stamp);
      }
    }),
  );
  const upstream = await upstreamStats(server.baseUrl);
  const delivered = arrivals.reduce((sum, seen) => sum + seen.length, 0);
  const first = minOf(arrivals.map((seen) => seen[0]!));
  const last = maxOf(arrivals.map((seen) => seen.at(-1)!));
  return {
    clients,
    delivered,
    eventsPerSecond: delivered / ((last - first) / 1000),
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    upstreamStreams: upstream.streams_opened,
    upstreamRequests: upstream.requests,
  };
}
