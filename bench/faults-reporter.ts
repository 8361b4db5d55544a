// `npm run faults`' reporter: collects the row each fault scenario attaches to its test (test/faults/fault-suite.ts) and
// writes bench/faults.json and bench/FAULTS.md: what was injected, how many times, and what was lost (goal: zero).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";
import { describeMachine } from "./lib/machine.ts";

export interface FaultResult {
  scenario: string;
  provider: string;
  scale: string;
  injected: string;
  times: number;
  lost: number;
  figure: string;
  passed: boolean;
}

export interface FaultsFile {
  machine: string;
  date: string;
  commit: string;
  command: string;
  rows: FaultResult[];
}

/** What a row says it injected when its scenario failed before it could tell. */
export const FAILED_BEFORE_REPORTING = "(failed before reporting)";

/** A row's identity across runs: a scenario with one provider. */
export const rowKey = (row: FaultResult) => `${row.scenario}\n${row.provider}`;

/** Writes the report's data and its page. */
export function writeFaults(file: FaultsFile): void {
  writeFileSync("bench/faults.json", `${JSON.stringify(file, null, 2)}\n`);
  writeFileSync("bench/FAULTS.md", renderFaults(file));
}

export default class FaultsReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const rows: FaultResult[] = [];
    for (const module of modules)
      for (const test of module.children.allTests()) {
        const fault = (test.meta() as { fault?: Omit<FaultResult, "passed"> }).fault;
        const passed = test.result().state === "passed";
        if (fault) rows.push({ ...fault, passed });
        // A scenario that failed before it could report still gets its row, so the table never hides a failure.
        else if (!passed && test.result().state !== "skipped")
          rows.push({
            scenario: test.fullName,
            provider: test.project.name === "faults-responses" ? "responses" : "assistants",
            scale: "?",
            injected: FAILED_BEFORE_REPORTING,
            times: 0,
            lost: Number.NaN,
            figure: test.result().errors?.[0]?.message ?? "",
            passed,
          });
      }
    // FAULTS_MERGE=1: a partial rerun (one file, one project) replaces its own rows and keeps the others'.
    const ran = new Set(rows.map(rowKey));
    const earlier =
      process.env.FAULTS_MERGE === "1" && existsSync("bench/faults.json")
        ? (JSON.parse(readFileSync("bench/faults.json", "utf8")) as FaultsFile).rows
        : [];
    // An earlier failure recorded before its scenario could report is superseded by any rerun with its provider.
    const providers = new Set(rows.map((row) => row.provider));
    const superseded = (row: FaultResult) =>
      ran.has(rowKey(row)) || (row.injected === FAILED_BEFORE_REPORTING && providers.has(row.provider));
    rows.push(...earlier.filter((row) => !superseded(row)));
    rows.sort((a, b) => a.scenario.localeCompare(b.scenario) || a.provider.localeCompare(b.provider));
    const meta = {
      machine: describeMachine(),
      date: new Date().toISOString(),
      commit: execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim(),
      command: "npm run faults",
    };
    writeFaults({ ...meta, rows });
    console.log(
      `faults: ${rows.length} rows, ${rows.filter((row) => row.lost !== 0 || !row.passed).length} not clean; wrote bench/FAULTS.md`,
    );
  }
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

export function renderFaults({ rows, ...meta }: FaultsFile): string {
  const lines = [
    "# Runcast fault suite",
    "",
    `Machine: ${meta.machine}. Date: ${meta.date}. Commit: ${meta.commit}. Command: \`${meta.command}\` (the same scenarios run smaller, seeded, in \`npm test\`).`,
    "",
    "The test-pool scenarios (test/faults) run with the `assistants` and the `responses` provider against the emulator; the restart and load scenarios (bench/faults-live.ts) run a real `wrangler dev`. **Lost** counts events, runs or answers lost, doubled or wrong; the goal is zero in every row.",
    "",
    "| scenario | provider | injected | times | lost | figure | result |",
    "|---|---|---|---|---|---|---|",
    ...rows.map(
      (row) =>
        `| ${cell(row.scenario)} | ${row.provider} | ${cell(row.injected)} | ${row.times} | ${Number.isNaN(row.lost) ? "?" : row.lost} | ${cell(row.figure)} | ${row.passed && row.lost === 0 ? "pass" : "**FAIL**"} |`,
    ),
    "",
  ];
  return lines.join("\n");
}
