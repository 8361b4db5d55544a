// `npm run bench [-- --quick]`: every benchmark against `wrangler dev` on loopback, the emulator as upstream and the
// floor beside it, each comparison side by side in the same run and repeated (medians quoted). Writes
// bench/results.json and bench/RESULTS.md. `--quick` runs a small version in a minute or two.
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { directFanout, type DirectFigures } from "./direct.ts";
import { floorFanout, hubFanout } from "./fanout.ts";
import { wsLinkPass, type WsLinkPassFigures } from "./wslink-pass.ts";
import { polling, type PollingFigures, type PollingPlan, type Watching } from "./polling.ts";
import { startDevServer, type DevServer } from "./lib/dev-server.ts";
import { createToolAssistant } from "./lib/gateway-runs.ts";
import { describeMachine } from "./lib/machine.ts";
import { median } from "./lib/stats.ts";
import { renderResults, type FanoutRow, type Results } from "./report.ts";
import { longRun, replay, type ResumeFigures } from "./resume.ts";
import { bundleSize } from "./size.ts";

const quick = process.argv.includes("--quick");
const plan = quick
  ? { subscribers: [1, 10, 100], repeats: 1, words: 200, pacedWords: 100, direct: [1, 10], resumeEvents: 2_000 }
  : {
      subscribers: [1, 10, 100, 1000],
      repeats: 3,
      words: 500,
      pacedWords: 500,
      direct: [1, 10, 100],
      resumeEvents: 10_000,
    };
const PACED_DELTA_MS = 20; // 50 events/s

const pollingPlan: PollingPlan = quick
  ? { runs: 20, seed: 12, replySeconds: [2, 10], expiringShare: 0.25, expireAfterSeconds: [10, 20], arrivalMs: 100 }
  : { runs: 100, seed: 12, replySeconds: [2, 20], expiringShare: 0.25, expireAfterSeconds: [30, 60], arrivalMs: 100 };
/** One way at a time: Direct's ten watchers a run load the machine enough to slow what runs beside them. */
const WATCHING: Watching[] = [
  { watcher: "hub", watchers: 1 },
  { watcher: "direct", watchers: 1, intervalMs: 1000 },
  { watcher: "direct", watchers: 10, intervalMs: 1000 },
  { watcher: "direct", watchers: 1, intervalMs: "sdk" },
];

const started = Date.now();
const progress = (step: string) =>
  console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${step}`);

/** The median of each numeric field over repeated runs, nested records of numbers included (the rest from the first). */
function medianOf<T extends object>(runs: T[]): T {
  const out = { ...runs[0]! } as Record<string, unknown>;
  for (const key of Object.keys(out)) {
    const values = runs.map((run) => (run as Record<string, unknown>)[key]);
    // A key some repetitions lack (a status one of them never reached) is the median of those that have it.
    if (typeof out[key] === "number") out[key] = median(values.filter((value) => typeof value === "number"));
    else if (out[key] !== null && typeof out[key] === "object" && !Array.isArray(out[key]))
      out[key] = medianOf(values.filter((value): value is object => typeof value === "object" && value !== null));
  }
  return out as T;
}

async function repeat<T extends object>(label: string, times: number, run: () => Promise<T>): Promise<T> {
  const runs: T[] = [];
  for (let i = 0; i < times; i++) {
    progress(`${label}${times > 1 ? ` (${i + 1} of ${times})` : ""}`);
    runs.push(await run());
  }
  return medianOf(runs);
}

async function main(): Promise<void> {
  progress(`plan: ${JSON.stringify(plan)}`);
  progress("building the demo page (wrangler dev's dev environment serves it)");
  execFileSync(process.execPath, ["scripts/build-demo.js"], { stdio: "ignore" });
  progress("starting wrangler dev: the gateway with the emulator, and the floor");
  const [gateway, floor] = await Promise.all([
    startDevServer({
      configs: ["wrangler.toml", "emulator/wrangler.toml"],
      env: "dev",
      // Room for a thousand subscribers on one run (the dev defaults allow exactly 1000).
      vars: { RUNCAST_MAX_SUBSCRIBERS: "1100", RUNCAST_MAX_SUBSCRIBERS_PER_TENANT: "1100" },
    }),
    startDevServer({ configs: ["bench/floor/wrangler.toml"] }),
  ]);
  try {
    const results = await measure(gateway, floor);
    await writeFile("bench/results.json", `${JSON.stringify(results, null, 2)}\n`);
    await writeFile("bench/RESULTS.md", renderResults(results));
    progress("wrote bench/RESULTS.md and bench/results.json");
  } finally {
    await Promise.all([gateway.stop(), floor.stop()]);
  }
}

async function measure(gateway: DevServer, floor: DevServer): Promise<Results> {
  const assistantId = await createToolAssistant(gateway.baseUrl);

  progress("size: wrangler deploy --dry-run");
  const size = await bundleSize();

  const flat: FanoutRow[] = [];
  const paced: FanoutRow[] = [];
  for (const [rows, deltaMs, words, name] of [
    [flat, 0, plan.words, "flat out"],
    [paced, PACED_DELTA_MS, plan.pacedWords, "50 events/s"],
  ] as const) {
    for (const n of plan.subscribers) {
      const hub = await repeat(`fan-out ${name}, N = ${n}: hub, one message per frame`, plan.repeats, () =>
        hubFanout(gateway, assistantId, n, { words, deltaMs }),
      );
      const batched = await repeat(`fan-out ${name}, N = ${n}: hub, batched frames`, plan.repeats, () =>
        hubFanout(gateway, assistantId, n, { words, deltaMs }, true),
      );
      const bare = await repeat(`fan-out ${name}, N = ${n}: floor`, plan.repeats, () =>
        floorFanout(floor, n, hub.eventsEach, hub.frameBytes, deltaMs),
      );
      rows.push({ hub, batched, floor: bare });
    }
  }

  const direct: DirectFigures[] = [];
  for (const n of plan.direct)
    direct.push(
      await repeat(`direct (openai SDK, one upstream stream per client), N = ${n}`, plan.repeats, () =>
        directFanout(gateway, n, { words: plan.words, deltaMs: 0 }),
      ),
    );

  progress(`resume: making a run of ${plan.resumeEvents} events`);
  const long = await longRun(gateway, assistantId, plan.resumeEvents);
  const resume: ResumeFigures[] = [];
  for (const from of ["start", "middle"] as const)
    for (const batched of [false, true])
      resume.push(
        await repeat(
          `resume from the ${from} of ${long.last} events, ${batched ? "batched frames" : "one message per frame"}`,
          plan.repeats,
          () => replay(gateway, long.ref, long.last, from, batched),
        ),
      );

  progress("correctness pass: @trpc/client's wsLink subscribers, stock and as watchRun builds them, some resuming");
  const wsLink: WsLinkPassFigures[] = await wsLinkPass(gateway, assistantId, {
    subscribers: quick ? 10 : 50,
    words: plan.words,
  });

  const pollingFigures: PollingFigures[] = [];
  for (const way of WATCHING)
    pollingFigures.push(
      await repeat(
        `polling: ${pollingPlan.runs} runs, ${way.watcher} × ${way.watchers}${way.intervalMs ? ` every ${way.intervalMs}` : ""}`,
        plan.repeats,
        () => polling(gateway, pollingPlan, way),
      ),
    );

  return {
    machine: describeMachine(),
    date: new Date().toISOString(),
    commit: execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim(),
    command: `npm run bench${quick ? " -- --quick" : ""}`,
    quick,
    plan,
    seconds: Math.round((Date.now() - started) / 1000),
    size,
    flat,
    paced,
    direct,
    resume,
    wsLink,
    pollingPlan,
    polling: pollingFigures,
  };
}

await main();
