// `node bench/faults-live.ts [--quick] [--only=restart|load]` (the second half of `npm run faults`): the fault scenarios that need a real
// `wrangler dev` process rather than the test pool: a restart (the process killed mid-run, started again on its
// persisted state) and a load run. Each adds its row to bench/faults.json and bench/FAULTS.md (written first by the
// vitest half, bench/faults-reporter.ts); `--quick` (run by CI) only checks, on smaller counts. Loopback and the
// emulator only. Exits 1 when a scenario lost anything.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { emulatorSdk } from "./direct.ts";
import { FAILED_BEFORE_REPORTING, rowKey, writeFaults, type FaultResult, type FaultsFile } from "./faults-reporter.ts";
import { freePort, startDevServer, type DevServer, type DevServerOptions } from "./lib/dev-server.ts";
import { createToolAssistant, socketUrl, submitOutput, waitingRun, type RunRef } from "./lib/gateway-runs.ts";
import { sampleGroup } from "./lib/processes.ts";
import { ResumingSubscriber } from "./lib/resuming-subscriber.ts";
import { checkSequence } from "./lib/subscriber.ts";

const quick = process.argv.includes("--quick");
const GATEWAY_CONFIGS = ["wrangler.toml", "emulator/wrangler.toml"];
const started = Date.now();
const progress = (step: string) =>
  console.log(`[faults ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${step}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function post<T>(base: string, route: string, body: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}/v1${route}`, {
    method: "POST",
    headers: { authorization: "Bearer faults", "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
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
  await replay.follow(Date.now() + 30_000);
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

async function load(provider: Provider): Promise<FaultResult> {
  const concurrent = quick ? 20 : 200;
  const subscribersPerRun = quick ? 5 : 10;
  const durationMs = quick ? 20_000 : 120_000;
  const server = await startDevServer({
    configs: GATEWAY_CONFIGS,
    env: "dev",
    vars: { RUNCAST_MAX_SUBSCRIBERS: "100", RUNCAST_PROVIDER: provider },
  });
  try {
    const base = server.baseUrl;
    const assistantId = await createToolAssistant(base);
    progress(
      `load (${provider}): ${concurrent} runs at a time, ${subscribersPerRun} subscribers each, for ${durationMs / 1000} s`,
    );
    const end = Date.now() + durationMs;
    let runs = 0;
    let serverErrors = 0;
    let refused = 0;
    let lost = 0;
    let events = 0;
    let warmRss = 0;
    const slot = async () => {
      while (Date.now() < end) {
        let ref: RunRef;
        try {
          ref = await gatewayRun(base, assistantId, { emulator_delta_ms: "50", emulator_reply_words: "40" });
        } catch (error) {
          // A 5xx is a failure of the gateway; anything else (a limit, the network) is retried after a pause.
          if (!(error instanceof CreationRefused) || error.status >= 500) serverErrors++;
          else refused++;
          console.warn(describe(error).slice(0, 300));
          await sleep(500);
          continue;
        }
        const subscribers = Array.from(
          { length: subscribersPerRun },
          () => new ResumingSubscriber(socketUrl(base, ref), ref),
        );
        await Promise.all(subscribers.map((subscriber) => subscriber.follow(Date.now() + 120_000)));
        const compared = await compare(base, ref, subscribers);
        lost += compared.lost;
        events += compared.last * subscribersPerRun;
        runs++;
      }
    };
    const warm = (async () => {
      await sleep(durationMs / 5);
      warmRss = (await sampleGroup(server.pid)).rssBytes;
    })();
    await Promise.all([...Array.from({ length: concurrent }, slot), warm]);
    await sleep(5_000);
    const endRss = (await sampleGroup(server.pid)).rssBytes;
    const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
    const growth = warmRss > 0 ? endRss / warmRss : 1;
    if (serverErrors > 0) await keepServerLog(server, `load-${provider}`);
    return {
      scenario: "load: concurrent runs with several subscribers each",
      provider,
      scale: quick ? "quick" : "full",
      injected: `${concurrent} runs at a time, ${subscribersPerRun} subscribers each, new runs as old ones end, for ${durationMs / 1000} s`,
      times: runs,
      lost: lost + serverErrors,
      figure: `${runs} runs, ${events} events delivered, ${serverErrors} 5xx or failed requests, ${refused} refusals retried; gateway + emulator memory ${mib(warmRss)} MiB warm, ${mib(endRss)} MiB at the end (×${growth.toFixed(2)})`,
      // Flat: the end within a quarter of the warm figure. The quick run (in CI) is too short to tell warm-up from growth.
      passed: lost === 0 && serverErrors === 0 && (quick || growth <= 1.25),
    };
  } catch (error) {
    await keepServerLog(server, `load-${provider}`);
    throw error;
  } finally {
    await server.stop();
  }
}

/** What wrangler dev printed, kept where a failed scenario says, to tell why it failed. */
async function keepServerLog(server: DevServer, name: string): Promise<void> {
  const file = path.join(tmpdir(), `runcast-faults-${name}.log`);
  await writeFile(file, server.log());
  progress(`wrangler dev's output: ${file}`);
}

/** An error with its cause: undici's `fetch failed` says why only in its cause (reset, refused, timeout). */
function describe(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause ? `${String(error)} (${cause.code ?? ""} ${cause.message ?? ""})` : String(error);
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
  const providers = (["assistants", "responses"] as const).filter((provider) => !providerArg || provider === providerArg);
  for (const provider of providers) {
    if (!only || only === "restart")
      rows.push(await failedAs("restart: wrangler dev killed mid-run", provider, restart));
    if (!only || only === "load")
      rows.push(await failedAs("load: concurrent runs with several subscribers each", provider, load));
  }
  for (const row of rows) progress(`${row.scenario}: lost ${row.lost}; ${row.figure}`);
  if (rows.some((row) => !row.passed || row.lost !== 0)) process.exitCode = 1;
  // The quick run checks (CI runs it); only the full run's figures go into the report.
  if (quick) return;
  const file = JSON.parse(await readFile("bench/faults.json", "utf8").catch(() => "null")) as FaultsFile | null;
  const names = new Set(rows.map(rowKey));
  writeFaults({
    ...(file ?? { machine: "", date: new Date().toISOString(), commit: "", command: "npm run faults" }),
    rows: [...(file?.rows ?? []).filter((row) => !names.has(rowKey(row))), ...rows],
  });
  progress("added the rows to bench/faults.json and bench/FAULTS.md");
}

await main();
