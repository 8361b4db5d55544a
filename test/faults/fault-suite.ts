// What every fault scenario shares: its scale (small and deterministic in `npm test`, full in `npm run faults`), the
// provider it runs against, a seeded random source, and the row it reports for bench/FAULTS.md.
import { env } from "cloudflare:workers";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { TestContext } from "vitest";
import { createToolAssistant } from "../helpers/emulator";
import { provider, restSdk, runcastClient } from "../helpers/runcast";

/** What a scenario tells bench/FAULTS.md (scripts/faults-reporter.ts reads it from the test's meta). */
export interface FaultRow {
  scenario: string;
  /** What was injected, in words. */
  injected: string;
  /** How many times it was injected. */
  times: number;
  /** Events, runs or answers lost, doubled or wrong: the goal is zero. */
  lost: number;
  /** The scenario's own figure (subscribers resumed, runs finished, …), in words. */
  figure: string;
}

declare module "vitest" {
  interface TaskMeta {
    fault?: FaultRow & { provider: string; scale: string };
  }
}

const vars = env as unknown as Record<string, string | undefined>;

/** `ci` (the default) in `npm test`; `full` in `npm run faults`. */
export const SCALE = vars.RUNCAST_FAULTS_SCALE === "full" ? "full" : "ci";

/** The count for this scale. */
export const scaled = <T>(ci: T, full: T): T => (SCALE === "full" ? full : ci);

/** Attaches the scenario's row to the test, for the report; the test asserts `lost` is zero itself. */
export function report(context: TestContext, row: FaultRow): void {
  context.task.meta.fault = { ...row, provider: provider, scale: SCALE };
  console.log(
    `fault ${row.scenario} [${provider}, ${SCALE}]: ${row.injected} ×${row.times}, lost ${row.lost}; ${row.figure}`,
  );
}

/** A seeded source of whole numbers: the same seed plans the same faults. */
export function seeded(seed: number) {
  const rng = xoroshiro128plus(seed);
  return {
    /** A whole number from `from` to `to`, both included. */
    int: (from: number, to: number) => uniformInt(rng, from, to),
  };
}

/** Makes a tool assistant through Runcast's /v1; the function it answers starts a run of it on a new thread. */
export async function runMaker() {
  const sdk = restSdk();
  const assistant = await createToolAssistant(sdk);
  return async (text: string, metadata: Record<string, string> = {}) => {
    const thread = await sdk.beta.threads.create({ messages: [{ role: "user", content: text }] });
    const run = await runcastClient().runs.create.mutate({
      thread_id: thread.id,
      assistant_id: assistant.id,
      metadata,
    });
    return { thread, run };
  };
}

/** Events of the log a subscriber lacks, plus any it got twice: zero when it holds the log whole. */
export function eventsLost(logIds: number[], ids: number[]): number {
  const seen = new Set(ids);
  return logIds.filter((id) => !seen.has(id)).length + (ids.length - seen.size);
}
