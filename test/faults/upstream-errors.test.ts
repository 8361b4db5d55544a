// Upstream errors: bursts of 500s and 429s (with retry-after) while runs are created, while they wait for tool
// outputs (the hub polls), and while outputs are submitted. A write is never retried by Runcast, so a refusal reaches
// the caller with the right code and leaves nothing behind; the caller's retry succeeds once the burst is spent.
// Reads absorb 5xx with their own retries. In the end: one upstream run per creation, one output per tool call, one
// reply, and every subscriber saw the run complete.
import { TRPCClientError } from "@trpc/client";
import { afterEach, describe, expect, it } from "vitest";
import { createToolAssistant, resetEmulatorSettings, setEmulatorSettings } from "../helpers/emulator";
import { Tab, expectContiguous, expectEachObjectOnce, storedRunReply, storedSteps } from "../helpers/hub-lifecycle";
import {
  emulatorRunIds,
  emulatorSettings,
  restSdk,
  runcastClient,
  runcastKeepsRecords,
  sleep,
} from "../helpers/runcast";
import { report, scaled, seeded } from "./fault-suite";

const ROUNDS = scaled(2, 10);
const STATUSES = [500, 429] as const;
const EXPECTED_CODE = { 500: "BAD_GATEWAY", 429: "TOO_MANY_REQUESTS" } as const;

afterEach(async () => {
  await resetEmulatorSettings();
});

type Status = (typeof STATUSES)[number];

/**
 * Calls `call` until it succeeds (at most `limit` times). Every failure must be the code a burst of `status` maps to,
 * carrying the upstream's status (and retry-after for a 429); anything else fails the test.
 */
async function untilAccepted<T>(call: () => Promise<T>, status: Status, refusals: { count: number }, limit = 10) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof TRPCClientError) || attempt >= limit) throw error;
      const data = error.data as { code?: string; upstream?: { status?: number; retry_after?: number | null } };
      expect(data.code).toBe(EXPECTED_CODE[status]);
      expect(data.upstream?.status).toBe(status);
      if (status === 429) expect(data.upstream?.retry_after).toBe(1);
      refusals.count++;
    }
  }
}

/** Arms a burst: the next `count` upstream requests, whoever makes them, get `status`. */
const burst = (status: Status, count: number) =>
  setEmulatorSettings({ http_errors: { status, count, retry_after: 1 } });

/** How many of the armed errors were taken so far. */
async function taken(armed: number): Promise<number> {
  const left = (await emulatorSettings()).http_errors?.count ?? 0;
  return armed - left;
}

describe("upstream errors", () => {
  it.for(STATUSES)(
    `bursts of %i during creation, waiting and tool-output submission: right codes, nothing doubled (${ROUNDS} runs)`,
    { timeout: scaled(60_000, 240_000) },
    async (status, context) => {
      const sdk = restSdk();
      const assistant = await createToolAssistant(sdk);
      const random = seeded(status);
      const refusals = { count: 0 };
      let injected = 0;
      let wrong = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const thread = await sdk.beta.threads.create({
          messages: [{ role: "user", content: `Please get_weather Paris (${round}).` }],
        });

        // Creation: a write, sent once; a refused one leaves no run behind.
        let armed = random.int(1, 3);
        await burst(status, armed);
        const run = await untilAccepted(
          () => runcastClient().runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id }),
          status,
          refusals,
        );
        injected += await taken(armed);
        await resetEmulatorSettings();
        const tab = new Tab(thread.id, run.id);
        const paused = await tab.waitFor("thread.run.requires_action");

        // Waiting: the hub's polls (reads) meet the burst; the run must still be waiting, its calls unchanged. (Not
        // under `responses`: Runcast answers a waiting run from its own records, and no read reaches the upstream.)
        if (!runcastKeepsRecords) {
          armed = random.int(1, 4);
          await burst(status, armed);
          await sleep(400);
          const tookWaiting = await taken(armed);
          expect(tookWaiting).toBeGreaterThan(0);
          injected += tookWaiting;
          await resetEmulatorSettings();
        }
        const waiting = await untilAccepted(
          () => runcastClient().runs.retrieve.query({ thread_id: thread.id, run_id: run.id }),
          status,
          refusals,
        );
        expect(waiting.status).toBe("requires_action");
        const calls = paused.data.required_action.submit_tool_outputs.tool_calls as Array<{ id: string }>;
        expect(waiting.required_action?.submit_tool_outputs.tool_calls.map((call) => call.id)).toEqual(
          calls.map((call) => call.id),
        );

        // Submission: a write, sent once; refused, the run still waits for the same calls.
        armed = random.int(1, 2);
        await burst(status, armed);
        await untilAccepted(
          () =>
            runcastClient().runs.submitToolOutputs.mutate({
              thread_id: thread.id,
              run_id: run.id,
              tool_outputs: calls.map((call) => ({ tool_call_id: call.id, output: `sunny ${round}` })),
            }),
          status,
          refusals,
        );
        injected += await taken(armed);
        await resetEmulatorSettings();
        await tab.finished(20_000);

        const runs = await emulatorRunIds(thread.id);
        const steps = await storedSteps(thread.id, run.id);
        const toolSteps = steps.filter((step) => step.type === "tool_calls");
        const outputs = toolSteps.flatMap((step) => step.step_details.tool_calls ?? []).map((c) => c.function.output);
        const ok =
          runs.length === 1 &&
          tab.names.at(-1) === "thread.run.completed" &&
          toolSteps.length === 1 &&
          outputs.length === calls.length &&
          outputs.every((output) => output === `sunny ${round}`) &&
          steps.filter((step) => step.type === "message_creation").length === 1 &&
          tab.text === (await storedRunReply(thread.id, run.id));
        if (!ok) wrong++;
        expectContiguous(tab.ids);
        expectEachObjectOnce(tab.events);
        tab.close();
      }
      report(context, {
        scenario: `upstream ${status}s in bursts`,
        injected: `${status}${status === 429 ? " with retry-after" : ""} on the next 1–4 upstream requests, during creation, ${runcastKeepsRecords ? "" : "while waiting (polls) "}and on tool-output submission`,
        times: injected,
        lost: wrong,
        figure: `${ROUNDS} runs completed once each, ${refusals.count} writes or reads refused to the caller with ${EXPECTED_CODE[status]} and retried by it`,
      });
      expect(injected).toBeGreaterThanOrEqual(ROUNDS * 2);
      expect(wrong).toBe(0);
    },
  );
});
