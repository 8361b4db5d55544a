// The run procedures: every run operation, with the upstream's inputs and the upstream's objects as outputs.
import { router, upstreamProcedure } from "../init";
import {
  createRunInput,
  createThreadAndRunInput,
  listRunsInput,
  listStepsInput,
  retrieveStepInput,
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
  create: upstreamProcedure.input(createRunInput).mutation(({ ctx, input: { thread_id, ...params } }) => ctx.provider.createRun(thread_id, params)),
  createThreadAndRun: upstreamProcedure.input(createThreadAndRunInput).mutation(({ ctx, input }) => ctx.provider.createThreadAndRun(input)),
  list: upstreamProcedure.input(listRunsInput).query(({ ctx, input: { thread_id, ...query } }) => ctx.provider.listRuns(thread_id, query)),
  retrieve: upstreamProcedure.input(runRef).query(async ({ ctx, input }) => {
    const { run, pollAfterMs } = await ctx.provider.retrieveRun(input.thread_id, input.run_id);
    // Passed on so pollers of the gateway (the SDK's `runs.poll` over REST) keep the upstream's pace.
    if (pollAfterMs !== null) ctx.resHeaders.set("openai-poll-after-ms", String(pollAfterMs));
    return run;
  }),
  update: upstreamProcedure.input(updateRunInput).mutation(({ ctx, input }) => ctx.provider.updateRun(input.thread_id, input.run_id, input.metadata)),
  submitToolOutputs: upstreamProcedure
    .input(submitToolOutputsInput)
    .mutation(({ ctx, input }) => ctx.provider.submitToolOutputs(input.thread_id, input.run_id, input.tool_outputs)),
  cancel: upstreamProcedure.input(runRef).mutation(({ ctx, input }) => ctx.provider.cancelRun(input.thread_id, input.run_id)),
  steps,
});
