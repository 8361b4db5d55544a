// `node bench/profile.ts [subscribers] [words] [delta ms] [batched]`: a CPU profile of the gateway (and the emulator, which shares its
// workerd) while one run's reply fans out, taken over wrangler's DevTools inspector. Prints the functions with the most
// self time, and writes the whole profile to bench/profiles/ (open it in Chrome DevTools' Performance panel).
import { mkdir, writeFile } from "node:fs/promises";
import WebSocket from "ws";
import { hubFanout } from "./fanout.ts";
import { startDevServer } from "./lib/dev-server.ts";
import { createToolAssistant } from "./lib/gateway-runs.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

/**
 * One DevTools session: numbered commands, answers matched by id. Over the `ws` package: wrangler's inspector proxy
 * refuses Node's built-in WebSocket handshake.
 */
async function devtools(url: string) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", () => reject(new Error(`inspector at ${url} refused`)));
  });
  let next = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result);
  });
  return {
    send: <T>(method: string, params: Record<string, unknown> = {}) =>
      new Promise<T>((resolve) => {
        const id = ++next;
        waiting.set(id, resolve as (result: unknown) => void);
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

function topSelfTime(profile: Profile, count: number): Array<{ ms: number; share: number; where: string }> {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const sampleMs = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples?.length ?? 1);
  const totals = new Map<string, number>();
  for (const id of profile.samples ?? []) {
    const frame = byNode.get(id)!.callFrame;
    const where = `${frame.functionName || "(anonymous)"} ${frame.url.split("/").slice(-2).join("/")}:${frame.lineNumber + 1}`;
    totals.set(where, (totals.get(where) ?? 0) + sampleMs);
  }
  const all = [...totals.values()].reduce((a, b) => a + b, 0);
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([where, ms]) => ({ ms: Math.round(ms), share: Math.round((ms / all) * 1000) / 10, where }));
}

const subscribers = Number(process.argv[2] ?? 1);
const words = Number(process.argv[3] ?? 500);
const deltaMs = Number(process.argv[4] ?? 0);
const batched = process.argv[5] === "batched";
const server = await startDevServer({ configs: ["wrangler.toml", "emulator/wrangler.toml"], env: "dev" });
try {
  const targets = (await (await fetch(`http://127.0.0.1:${server.inspectorPort}/json`)).json()) as Array<{
    title: string;
    webSocketDebuggerUrl: string;
  }>;
  const sessions = await Promise.all(
    targets.map(async (target) => ({ target, tools: await devtools(target.webSocketDebuggerUrl) })),
  );
  const assistantId = await createToolAssistant(server.baseUrl);
  for (const { tools } of sessions) {
    await tools.send("Profiler.enable");
    await tools.send("Profiler.setSamplingInterval", { interval: 100 });
    await tools.send("Profiler.start");
  }
  const figures = await hubFanout(server, assistantId, subscribers, { words, deltaMs }, batched);
  console.log(
    `N = ${subscribers}: ${Math.round(figures.eventsPerSecond)} events/s, ${figures.eventsEach} events each, ` +
      `latency p50 ${Math.round(figures.latencyP50Ms)} ms, p99 ${Math.round(figures.latencyP99Ms)} ms`,
  );
  await mkdir("bench/profiles", { recursive: true });
  for (const { target, tools } of sessions) {
    const { profile } = await tools.send<{ profile: Profile }>("Profiler.stop");
    const file = `bench/profiles/${target.title.replace(/\W+/g, "-")}-n${subscribers}.cpuprofile`;
    await writeFile(file, JSON.stringify(profile));
    console.log(`\n${target.title} (${file}): most self time`);
    for (const row of topSelfTime(profile, 25))
      console.log(`${String(row.ms).padStart(6)} ms ${String(row.share).padStart(5)}%  ${row.where}`);
    tools.close();
  }
} finally {
  await server.stop();
}
