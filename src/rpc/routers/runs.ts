// The run procedures: every run operation, with the upstream's inputs and the upstream's objects as outputs.
// Creation, tool outputs, cancel and the live events go through the run's hub; lists read the upstream directly.
import { tracked } from "@trpc/server";
import { cancelRun, followRequest, hubFor, hubRefusal, retrieveRun, startRun, submitToolOutputs } from "../../durable/hub-client";
import { readEvents } from "../../durable/ndjson";
import { router, upstreamProcedure } from "../init";
import type { RunEvent } from "../run-event";
import {
  createRunInput,
  createThreadAndRunInput,
  listRunsInput,
  listStepsInput,
  retrieveStepInput,
  runEventsInput,
  runRef,
  submitToolOutputsInput,
  updateRunInput,
} from "../schemas/runs";

const steps = router({
  list: upstreamProcedure.input(listStepsInput).query(({ ctx, input: { thread_id, run_id, ...query } }) => ctx.provider.listSteps(thread_id, run_id, query)),
  retrieve: upstreamProcedure
    .input(retrieveStepInput)
    .query(({ ctx, input: { thread_id, run_id, step_id, include } }) => ctx.provider.retrieveStep(thread_id, run_id, step_id, include)),
});

export const runsRouter = router({
  create: upstreamProcedure.input(createRunInput).mutation(({ ctx, input: { thread_id, ...params } }) => startRun(ctx.env, { kind: "run", thread_id, params })),
  createThreadAndRun: upstreamProcedure.input(createThreadAndRunInput).mutation(({ ctx, input }) => startRun(ctx.env, { kind: "threadAndRun", params: input })),
  list: upstreamProcedure.input(listRunsInput).query(({ ctx, input: { thread_id, ...query } }) => ctx.provider.listRuns(thread_id, query)),
  retrieve: upstreamProcedure.input(runRef).query(async ({ ctx, input }) => {
    const { run, pollAfterMs } = await retrieveRun(ctx.env, ctx.provider, input.thread_id, input.run_id);
    // Passed on so pollers of the gateway (the SDK's `runs.poll` over REST) keep the upstream's pace.
    if (pollAfterMs !== null) ctx.resHeaders.set("openai-poll-after-ms", String(pollAfterMs));
    return run;
  }),
  update: upstreamProcedure.input(updateRunInput).mutation(({ ctx, input }) => ctx.provider.updateRun(input.thread_id, input.run_id, input.metadata)),
  submitToolOutputs: upstreamProcedure
    .input(submitToolOutputsInput)
    .mutation(async ({ ctx, input }) => (await submitToolOutputs(ctx.env, input.thread_id, input.run_id, input.tool_outputs)).run),
  cancel: upstreamProcedure.input(runRef).mutation(({ ctx, input }) => cancelRun(ctx.env, ctx.provider, input.thread_id, input.run_id)),
  /**
   * Every event of the run, as the upstream sent it, each tracked by its event id: a client that
   * resubscribes with `lastEventId` gets exactly the rest. Completes after the run's terminal event.
   * Over WebSockets the run's hub serves this itself (`/ws/threads/{thread_id}/runs/{run_id}`).
   */
  events: upstreamProcedure.input(runEventsInput).subscription(async function* ({ ctx, input, signal }) {
    const after = Number(input.lastEventId ?? 0);
    const response = await hubFor(ctx.env, input.run_id).fetch(followRequest(input.thread_id, input.run_id, after, "terminal", signal));
    if (!response.ok || !response.body) throw await hubRefusal(response);
    for await (const { seq, event, data } of readEvents(response.body)) yield tracked(String(seq), { event, data } as RunEvent);
  }),
  steps,
});
