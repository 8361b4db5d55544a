// `node bench/faults-live.ts [--quick] [--only=restart|offenders|load] [--provider=assistants|responses]
// [--load=RUNS,SUBSCRIBERS,SECONDS]` (the second half of `npm run faults`): the fault scenarios that need a real
// `wrangler dev` process rather than the test pool: a restart (the process killed mid-run, started again on its
// persisted state) and a load run. Each adds its row to bench/faults.json and bench/FAULTS.md (written first by the
// vitest half, bench/faults-reporter.ts); `--quick` (run by CI) only checks, on smaller counts. Loopback and the
// emulator only. Exits 1 when a scenario lost anything.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { emulatorSdk } from "./direct.ts";
import { OFFENDERS_LAG_LIMIT, offenders } from "./faults-offenders.ts";
import { FAILED_BEFORE_REPORTING, rowKey, writeFaults, type FaultResult, type FaultsFile } from "./faults-reporter.ts";
import { freePort, startDevServer, type DevServer, type DevServerOptions } from "./lib/dev-server.ts";
import {
  createToolAssistant,
  retrieveRun,
  socketUrl,
  submitOutput,
  waitingRun,
  type RunRef,
} from "./lib/gateway-runs.ts";
import { runtimeRss, sampleGroup } from "./lib/processes.ts";
import { maxOf, percentile } from "./lib/stats.ts";
import { ResumingSubscriber } from "./lib/resuming-subscriber.ts";
import { checkSequence } from "./lib/subscriber.ts";

const quick = process.argv.includes("--quick");
const GATEWAY_CONFIGS = ["wrangler.toml", "emulator/wrangler.toml"];
const started = Date.now();
const progress = (step: string) =>
  console.log(`[faults ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${step}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A subscriber (or a replay) that gets nothing for this long gives up: the run is stuck, not just slow. */
const SILENCE_MS = 120_000;
/** A failure as it happened, stamped with the wall clock to line it up with wrangler dev's stamped output. */
const warn = (message: string) => console.warn(`${new Date().toISOString()} ${message.slice(0, 600)}`);

async function post<T>(base: string, route: string, body: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}/v1${route}`, {
    method: "POST",
    headers: { authorization: "Bearer faults", "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  // Not every answer is JSON: wrangler's proxy answers in plain text when the runtime restarted mid-request.
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as T };
  } catch {
    if (response.ok)
      throw new Error(`POST /v1${route} answered ${response.status} with no JSON: ${text.slice(0, 200)}`);
    return { status: response.status, body: text as T };
  }
}

/** A run through the gateway, streamed by Runcast from its creation. */
async function gatewayRun(base: string, assistantId: string, metadata: Record<string, string>): Promise<RunRef> {
  const { status, body } = await post<{ id: string; thread_id: string }>(base, "/threads/runs", {
    assistant_id: assistantId,
    thread: { messages: [{ role: "user", content: "Tell me a story." }] },
    metadata,
  });
  if (status !== 200) throw new CreationRefused(status, JSON.stringify(body).slice(0, 300));
  return { thread_id: body.thread_id, run_id: body.id };
}

class CreationRefused extends Error {
  readonly status: number;
  constructor(status: number, body: string) {
    super(`creating a run answered ${status}: ${body}`);
    this.status = status;
  }
}

/** How a run's subscribers compare with its log, replayed by a subscriber joining after the end. */
async function compare(base: string, ref: RunRef, subscribers: ResumingSubscriber[]) {
  const replay = new ResumingSubscriber(socketUrl(base, ref), ref);
  // A replay that cannot finish is the run's failure, counted below (it did not complete), not the scenario's end.
  await replay
    .follow(Infinity, { silenceMs: SILENCE_MS })
    .catch((error: unknown) => warn(`replay: ${describe(error)}`));
  const last = replay.lastId ?? 0;
  const completed = replay.arrivals.at(-1)?.event === "thread.run.completed";
  let lost = completed ? 0 : 1;
  for (const subscriber of subscribers) {
    const { missing, duplicates, outOfOrder } = checkSequence(
      subscriber.arrivals.map((arrival) => arrival.id),
      1,
      last,
    );
    lost += missing + duplicates + outOfOrder + (subscriber.finished ? 0 : 1);
  }
  return { lost, last };
}

// ---- Restart: the process killed while runs stream, poll and wait for tool outputs. ----

type Provider = "assistants" | "responses";

async function restart(provider: Provider): Promise<FaultResult> {
  const perKind = quick ? 2 : 5;
  const subscribersPerRun = quick ? 3 : 10;
  const persistTo = await mkdtemp(path.join(tmpdir(), "runcast-restart-"));
  const options: DevServerOptions = {
    configs: GATEWAY_CONFIGS,
    env: "dev",
    port: await freePort(),
    persistTo,
    vars: { RUNCAST_PROVIDER: provider },
  };
  let server: DevServer = await startDevServer(options);
  try {
    const base = server.baseUrl;
    const assistantId = await createToolAssistant(base);
    // 15 s replies: polled runs show their message within a content poll (3 s), well before the end.
    const pace = { emulator_delta_ms: "100", emulator_reply_words: "150" };
    // Under `responses` Runcast keeps the runs itself: none can be made upstream without it, so none is polled that way.
    const polledCount = provider === "assistants" ? perKind : 0;
    progress(
      `restart (${provider}): ${perKind} runs streaming, ${polledCount} polled, ${perKind} waiting for tool outputs`,
    );
    const streaming = await Promise.all(Array.from({ length: perKind }, () => gatewayRun(base, assistantId, pace)));
    // Created on the upstream without a stream (a backend made them): the hub polls them.
    const sdk = emulatorSdk(server);
    const polled = await Promise.all(
      Array.from({ length: polledCount }, async () => {
        const run = await sdk.beta.threads.createAndRun({
          assistant_id: assistantId,
          thread: { messages: [{ role: "user", content: "Tell me a story." }] },
          metadata: pace,
        });
        return { thread_id: run.thread_id, run_id: run.id };
      }),
    );
    const waiting = await Promise.all(Array.from({ length: perKind }, () => waitingRun(base, assistantId, pace)));
    const runs = [...streaming, ...polled, ...waiting.map((run) => run.ref)];
    const deadline = Date.now() + 180_000;
    const watched = runs.map((ref) => {
      const subscribers = Array.from(
        { length: subscribersPerRun },
        () => new ResumingSubscriber(socketUrl(base, ref), ref),
      );
      return { ref, subscribers, following: subscribers.map((subscriber) => subscriber.follow(deadline)) };
    });
    // Mid-run everywhere: every subscriber of a moving run has part of the reply, every waiting one the pause.
    const waitingIds = new Set(waiting.map(({ ref }) => ref.run_id));
    const midRun = (ref: RunRef, subscriber: ResumingSubscriber) =>
      waitingIds.has(ref.run_id)
        ? subscriber.arrivals.some((arrival) => arrival.event === "thread.run.requires_action")
        : subscriber.arrivals.some((arrival) => arrival.event === "thread.message.created");
    const until = Date.now() + 60_000;
    while (!watched.every(({ ref, subscribers }) => subscribers.every((s) => midRun(ref, s))) && Date.now() < until)
      await sleep(50);
    const moving = watched.filter(({ ref }) => !waitingIds.has(ref.run_id));
    const cutShort = moving.filter(({ subscribers }) => subscribers.some((s) => !s.finished)).length;

    progress("restart: killing wrangler dev (SIGKILL), then starting it again on the same state and port");
    await server.kill();
    const downAt = Date.now();
    server = await startDevServer(options);
    const upAfterMs = Date.now() - downAt;
    for (const { ref, callId } of waiting) await submitOutput(base, ref, callId);
    await Promise.all(watched.flatMap(({ following }) => following));
    const finishedAfterMs = Date.now() - downAt;

    let lost = 0;
    let reconnects = 0;
    for (const { ref, subscribers } of watched) {
      lost += (await compare(base, ref, subscribers)).lost;
      reconnects += subscribers.reduce((sum, subscriber) => sum + subscriber.reconnects, 0);
    }
    return {
      scenario: "restart: wrangler dev killed mid-run",
      provider,
      scale: quick ? "quick" : "full",
      injected: `SIGKILL of wrangler dev and workerd while runs streamed${polledCount ? ", were polled" : ""} and waited for tool outputs; started again on the persisted state`,
      times: 1,
      lost,
      figure: `${runs.length} runs (${cutShort} of ${moving.length} moving runs cut mid-reply), ${runs.length * subscribersPerRun} subscribers (${reconnects} reconnects) all finished ${(finishedAfterMs / 1000).toFixed(1)} s after the kill (back up after ${(upAfterMs / 1000).toFixed(1)} s)`,
      passed: lost === 0 && cutShort === moving.length,
    };
  } finally {
    await server.stop();
    await rm(persistTo, { recursive: true, force: true });
  }
}

// ---- Load: many concurrent runs with several subscribers each, for a while. ----

/** `--load=RUNS,SUBSCRIBERS,SECONDS` sets the load's scale by hand (to find what a machine holds); its row is not kept. */
const customLoad = process.argv
  .find((arg) => arg.startsWith("--load="))
  ?.slice("--load=".length)
  .split(",")
  .map(Number) as [number, number, number] | undefined;

async function load(provider: Provider): Promise<FaultResult> {
  const [concurrent, subscribersPerRun, seconds] = customLoad ?? (quick ? [20, 5, 20] : [200, 10, 120]);
  const durationMs = seconds * 1000;
  const serverLog = path.join(tmpdir(), `runcast-faults-load-${provider}.log`);
  const server = await startDevServer({
    configs: GATEWAY_CONFIGS,
    env: "dev",
    vars: { RUNCAST_MAX_SUBSCRIBERS: "100", RUNCAST_PROVIDER: provider },
    logFile: serverLog,
  });
  try {
    const base = server.baseUrl;
    const memory = () => runtimeRss(server.pid, Number(new URL(base).port));
    const assistantId = await createToolAssistant(base);
    progress(
      `load (${provider}): ${concurrent} runs at a time, ${subscribersPerRun} subscribers each, for ${durationMs / 1000} s`,
    );
    const end = Date.now() + durationMs;
    const count = { runs: 0, events: 0, lost: 0, serverErrors: 0, refused: 0, cutByReload: 0 };
    // Warm: once as many runs have ended as run at a time, every slot has been through a whole run (under overload,
    // a fixed share of the duration can come before the first run has ended).
    let warmRss: Promise<number> | null = null;
    // How long each step took (ms): answering a creation, following a run to its end, replaying it after.
    const took = { creation: [] as number[], run: [] as number[], replay: [] as number[] };
    const cpuBefore = (await sampleGroup(server.pid)).cpuSeconds;
    // The harness's own stalls: a client that cannot read its sockets in time looks like a slow gateway.
    const lag = monitorEventLoopDelay({ resolution: 50 });
    lag.enable();
    const oneRun = async () => {
      let ref: RunRef;
      const asked = Date.now();
      try {
        ref = await gatewayRun(base, assistantId, { emulator_delta_ms: "50", emulator_reply_words: "40" });
        took.creation.push(Date.now() - asked);
      } catch (error) {
        // wrangler's proxy answers a request it could not finish because the runtime restarted (a file changed).
        if (error instanceof CreationRefused && error.message.includes("restarted mid-request")) count.cutByReload++;
        // Any other 5xx, or a request cut at the connection, is the gateway's; a limit is retried after a pause.
        else if (!(error instanceof CreationRefused) || error.status >= 500) count.serverErrors++;
        else count.refused++;
        warn(`creating a run: ${describe(error)}`);
        await sleep(500);
        return;
      }
      const subscribers = Array.from(
        { length: subscribersPerRun },
        () => new ResumingSubscriber(socketUrl(base, ref), ref),
      );
      const created = Date.now();
      const followed = await Promise.allSettled(
        subscribers.map((subscriber) => subscriber.follow(Infinity, { silenceMs: SILENCE_MS })),
      );
      took.run.push(Date.now() - created);
      // A subscriber that gave up is that run's loss (compare counts it), and what the gateway says of the run is kept.
      const gaveUp = followed.find((result) => result.status === "rejected");
      if (gaveUp) warn(`${describe(gaveUp.reason)}; the gateway says: ${await runAsSeen(base, ref)}`);
      const followedAt = Date.now();
      const compared = await compare(base, ref, subscribers);
      took.replay.push(Date.now() - followedAt);
      count.lost += compared.lost;
      count.events += compared.last * subscribersPerRun;
      if (++count.runs === concurrent) warmRss = memory();
    };
    // A slot never throws: one that did would end the scenario, and stop the server under the other slots' requests.
    const slot = async () => {
      while (Date.now() < end)
        await oneRun().catch((error: unknown) => {
          count.lost++;
          warn(`a run failed in the harness: ${describe(error)}`);
        });
    };
    await Promise.all(Array.from({ length: concurrent }, slot));
    const busyCores =
      ((await sampleGroup(server.pid)).cpuSeconds - cpuBefore) / ((Date.now() - end + durationMs) / 1000);
    const spread = (ms: number[]) =>
      `${(percentile(ms, 50) / 1000).toFixed(1)}/${(percentile(ms, 99) / 1000).toFixed(1)}/${(maxOf(ms) / 1000).toFixed(1)}`;
    progress(
      `load (${provider}): seconds p50/p99/max to create a run ${spread(took.creation)}, to follow it to its end ${spread(took.run)}, to replay it ${spread(took.replay)}; wrangler dev busy ${busyCores.toFixed(2)} cores; this script's event loop stalled up to ${(lag.max / 1e9).toFixed(1)} s`,
    );
    await sleep(5_000);
    const [warm, atEnd, group] = [(await warmRss) ?? 0, await memory(), (await sampleGroup(server.pid)).rssBytes];
    const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
    const growth = warm > 0 ? atEnd / warm : 1;
    const reloads = server.reloads().length;
    const failed = count.lost + count.serverErrors;
    if (failed > 0 || reloads > 0) progress(`wrangler dev's output, stamped: ${serverLog}`);
    return {
      scenario: "load: concurrent runs with several subscribers each",
      provider,
      scale: customLoad ? "custom" : quick ? "quick" : "full",
      injected: `${concurrent} runs at a time, ${subscribersPerRun} subscribers each, new runs as old ones end, for ${durationMs / 1000} s`,
      times: count.runs,
      lost: failed,
      figure:
        `${count.runs} runs, ${count.events} events delivered, ${count.serverErrors} 5xx or failed requests, ${count.refused} refusals retried; ` +
        `runtime (gateway + emulator) memory ${mib(warm)} MiB warm, ${mib(atEnd)} MiB at the end (×${growth.toFixed(2)}), ${mib(group)} MiB with wrangler` +
        (reloads > 0
          ? `; wrangler dev reloaded ${reloads} times (a file changed), ${count.cutByReload} creations cut`
          : ""),
      // Flat: the end within a quarter of the warm figure; the quick run (in CI) is too short to tell warm-up from
      // growth. A reload restarts the runtime mid-run: the figures then measure something else, so the row fails.
      passed: failed === 0 && reloads === 0 && (quick || growth <= 1.25),
    };
  } catch (error) {
    progress(`wrangler dev's output, stamped: ${serverLog}`);
    throw error;
  } finally {
    await server.stop();
  }
}

// ---- Slow and stuck consumers: what a reader that stops and one that floods cost the others (faults-offenders.ts). ----

async function slowConsumers(provider: Provider): Promise<FaultResult> {
  const server = await startDevServer({
    configs: GATEWAY_CONFIGS,
    env: "dev",
    vars: {
      RUNCAST_MAX_SUBSCRIBERS: "100",
      RUNCAST_PROVIDER: provider,
      RUNCAST_MAX_LAG_EVENTS: String(OFFENDERS_LAG_LIMIT.events),
      RUNCAST_LAG_GRACE_MS: String(OFFENDERS_LAG_LIMIT.graceMs),
    },
  });
  try {
    progress(`slow and stuck consumers (${provider})`);
    return await offenders(server, provider, quick);
  } finally {
    await server.stop();
  }
}

/** The run as the gateway's REST surface answers it (status, and when it ended), or why it could not. */
async function runAsSeen(base: string, ref: RunRef): Promise<string> {
  try {
    const { status, completed_at, failed_at, last_error } = await retrieveRun(base, ref);
    return JSON.stringify({ status, completed_at, failed_at, last_error });
  } catch (error) {
    return describe(error);
  }
}

/**
 * An error with its cause: undici's `fetch failed` says why only in its cause (reset, refused, timeout), and its socket
 * what it had carried (bytes written before this request mean a reused keep-alive connection).
 */
function describe(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as UndiciCause | undefined) : undefined;
  if (!cause) return String(error);
  const socket = cause.socket ? ` socket ${JSON.stringify(cause.socket)}` : "";
  return `${String(error)} (${cause.code ?? ""} ${cause.message ?? ""}${socket})`;
}

interface UndiciCause {
  code?: string;
  message?: string;
  socket?: { localPort?: number; bytesWritten?: number; bytesRead?: number };
}

/** A scenario that throws is a failed row, with what it threw, and the others still run. */
async function failedAs(
  scenario: string,
  provider: Provider,
  run: (provider: Provider) => Promise<FaultResult>,
): Promise<FaultResult> {
  try {
    return await run(provider);
  } catch (error) {
    progress(`${scenario} (${provider}) failed: ${String(error)}`);
    return {
      scenario,
      provider,
      scale: quick ? "quick" : "full",
      injected: FAILED_BEFORE_REPORTING,
      times: 0,
      lost: Number.NaN,
      figure: String(error).slice(0, 300),
      passed: false,
    };
  }
}

async function main(): Promise<void> {
  const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length);
  const rows: FaultResult[] = [];
  const providerArg = process.argv.find((arg) => arg.startsWith("--provider="))?.slice("--provider=".length);
  const providers = (["assistants", "responses"] as const).filter(
    (provider) => !providerArg || provider === providerArg,
  );
  for (const provider of providers) {
    if (!only || only === "restart")
      rows.push(await failedAs("restart: wrangler dev killed mid-run", provider, restart));
    if (!only || only === "offenders")
      rows.push(await failedAs("slow and stuck consumers: what the others pay", provider, slowConsumers));
    if (!only || only === "load")
      rows.push(await failedAs("load: concurrent runs with several subscribers each", provider, load));
  }
  for (const row of rows) progress(`${row.scenario}: lost ${row.lost}; ${row.figure}`);
  if (rows.some((row) => !row.passed || row.lost !== 0)) process.exitCode = 1;
  // The quick run checks (CI runs it); only the full run's figures go into the report.
  if (quick || customLoad) return;
  const file = JSON.parse(await readFile("bench/faults.json", "utf8").catch(() => "null")) as FaultsFile | null;
  const names = new Set(rows.map(rowKey));
  writeFaults({
    ...(file ?? { machine: "", date: new Date().toISOString(), commit: "", command: "npm run faults" }),
    rows: [...(file?.rows ?? []).filter((row) => !names.has(rowKey(row))), ...rows],
  });
  progress("added the rows to bench/faults.json and bench/FAULTS.md");
}

await main();
