// The run procedures: every run operation, with the upstream's inputs and the upstream's objects as outputs.
// Creation, tool outputs, cancel and the live events go through the run's hub; lists read the upstream directly.
// Every procedure first checks that the caller may reach the thread (src/auth/access.ts).
import { tracked } from "@trpc/server";
import { assertMayRun, assertThreadAccess } from "../../auth/access";
import { withRunSlot } from "../../auth/limits";
import { cancelRun, hubFor, retrieveRun, startRun, submitToolOutputs, updateRun } from "../../durable/hub-client";
import { followRequest, hubRefusal, readEvents } from "../../durable/hub-contract";
import type { TRPCRouterRecord } from "@trpc/server";
import { authedProcedure } from "../init";
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
  toolAnswers,
} from "../../schemas/runs";

const steps = {
  list: authedProcedure.input(listStepsInput).query(async ({ ctx, input: { thread_id, run_id, ...query } }) => {
    await assertThreadAccess(ctx.env, ctx.principal, thread_id);
    return ctx.provider.listSteps(thread_id, run_id, query);
  }),
  retrieve: authedProcedure
    .input(retrieveStepInput)
    .query(async ({ ctx, input: { thread_id, run_id, step_id, include } }) => {
      await assertThreadAccess(ctx.env, ctx.principal, thread_id);
      return ctx.provider.retrieveStep(thread_id, run_id, step_id, include);
    }),
} satisfies TRPCRouterRecord;

export const runProcedures = {
  create: authedProcedure.input(createRunInput).mutation(async ({ ctx, input: { thread_id, ...params } }) => {
    await assertThreadAccess(ctx.env, ctx.principal, thread_id);
    assertMayRun(ctx.env, ctx.principal, params);
    return withRunSlot(ctx.env, ctx.principal, (reservation) =>
      startRun(ctx, { kind: "run", thread_id, params, tenant: ctx.principal.tenant, reservation }),
    );
  }),
  /** The new thread belongs to the caller's tenant (the creation step records it before answering). */
  createThreadAndRun: authedProcedure.input(createThreadAndRunInput).mutation(({ ctx, input }) => {
    assertMayRun(ctx.env, ctx.principal, input);
    return withRunSlot(ctx.env, ctx.principal, (reservation) =>
      startRun(ctx, { kind: "threadAndRun", params: input, tenant: ctx.principal.tenant, reservation }),
    );
  }),
  list: authedProcedure.input(listRunsInput).query(async ({ ctx, input: { thread_id, ...query } }) => {
    await assertThreadAccess(ctx.env, ctx.principal, thread_id);
    return ctx.provider.listRuns(thread_id, query);
  }),
  retrieve: authedProcedure.input(runRef).query(async ({ ctx, input }) => {
    await assertThreadAccess(ctx.env, ctx.principal, input.thread_id);
    const { run, pollAfterMs } = await retrieveRun(ctx, ctx.provider, input.thread_id, input.run_id);
    // Passed on so pollers of the gateway (the SDK's `runs.poll` over REST) keep the upstream's pace.
    if (pollAfterMs !== null) ctx.resHeaders.set("openai-poll-after-ms", String(pollAfterMs));
    return run;
  }),
  update: authedProcedure.input(updateRunInput).mutation(async ({ ctx, input }) => {
    await assertThreadAccess(ctx.env, ctx.principal, input.thread_id);
    return updateRun(ctx, ctx.provider, input.thread_id, input.run_id, input.metadata);
  }),
  submitToolOutputs: authedProcedure.input(submitToolOutputsInput).mutation(async ({ ctx, input }) => {
    await assertThreadAccess(ctx.env, ctx.principal, input.thread_id);
    return (await submitToolOutputs(ctx, input.thread_id, input.run_id, toolAnswers(input))).run;
  }),
  cancel: authedProcedure.input(runRef).mutation(async ({ ctx, input }) => {
    await assertThreadAccess(ctx.env, ctx.principal, input.thread_id);
    return cancelRun(ctx, ctx.provider, input.thread_id, input.run_id);
  }),
  /** How many subscribers are watching the run right now. */
  watchers: authedProcedure.input(runRef).query(async ({ ctx, input }) => {
    await assertThreadAccess(ctx.env, ctx.principal, input.thread_id);
    return { subscribers: await hubFor(ctx.env, input.run_id).watchers(input.thread_id, input.run_id) };
  }),
  /**
   * Every event of the run, as the upstream sent it, each tracked by its event id: a client that
   * resubscribes with `lastEventId` gets exactly the rest. Completes after the run's terminal event.
   * Over WebSockets the run's hub serves this itself (`/ws/threads/{thread_id}/runs/{run_id}`).
   */
  events: authedProcedure.input(runEventsInput).subscription(async function* ({ ctx, input, signal }) {
    await assertThreadAccess(ctx.env, ctx.principal, input.thread_id);
    const after = Number(input.lastEventId ?? 0);
    const response = await hubFor(ctx.env, input.run_id).fetch(
      followRequest(
        { thread_id: input.thread_id, run_id: input.run_id, after, until: "terminal", tenant: ctx.principal.tenant },
        { signal, requestId: ctx.requestId },
      ),
    );
    if (!response.ok || !response.body) throw await hubRefusal(response);
    for await (const { seq, event, data } of readEvents(response.body))
      yield tracked(String(seq), { event, data } as RunEvent);
  }),
  steps,
} satisfies TRPCRouterRecord;
