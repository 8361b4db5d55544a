// The thread and message procedures. A thread created here belongs to the creating tenant; every other call
// first checks that the caller may reach the thread (src/auth/access.ts), as the run procedures do.
import { assertMayNameResources, assertThreadAccess, claimThread, forgetThread } from "../../auth/access";
import { messageResourceFields, upstreamResourceFields } from "../../auth/upstream-resources";
import { logFailure } from "../../log/failure-log";
import { listMessagesInput } from "../../schemas/runs";
import { createMessageInput, createThreadInput, messageRef, threadRef, updateThreadInput } from "../../schemas/threads";
import type { TRPCRouterRecord } from "@trpc/server";
import { authedProcedure } from "../init";

const messages = {
  list: authedProcedure.input(listMessagesInput).query(async ({ ctx, input: { thread_id, ...query } }) => {
    await assertThreadAccess(ctx.env, ctx.principal, thread_id);
    return ctx.provider.listMessages(thread_id, query);
  }),
  create: authedProcedure.input(createMessageInput).mutation(async ({ ctx, input: { thread_id, ...message } }) => {
    await assertThreadAccess(ctx.env, ctx.principal, thread_id);
    assertMayNameResources(ctx.principal, messageResourceFields(message));
    return ctx.provider.createMessage(thread_id, message);
  }),
  retrieve: authedProcedure.input(messageRef).query(async ({ ctx, input }) => {
    await assertThreadAccess(ctx.env, ctx.principal, input.thread_id);
    return ctx.provider.retrieveMessage(input.thread_id, input.message_id);
  }),
} satisfies TRPCRouterRecord;

export const threadProcedures = {
  create: authedProcedure.input(createThreadInput).mutation(async ({ ctx, input }) => {
    assertMayNameResources(ctx.principal, upstreamResourceFields(input));
    const thread = await ctx.provider.createThread(input);
    try {
      // Claimed before anyone learns the id, as runs.createThreadAndRun does.
      await claimThread(ctx.env, thread.id, ctx.principal.tenant);
    } catch (error) {
      // An unclaimed thread would be reachable by admins only: it is taken back rather than left behind.
      await ctx.provider.deleteThread(thread.id).catch((cleanup: unknown) =>
        logFailure({
          what: "threads.orphan_left",
          thread: thread.id,
          tenant: ctx.principal.tenant,
          requestId: ctx.requestId,
          error: cleanup,
        }),
      );
      throw error;
    }
    return thread;
  }),
  retrieve: authedProcedure.input(threadRef).query(async ({ ctx, input }) => {
    await assertThreadAccess(ctx.env, ctx.principal, input.thread_id);
    return ctx.provider.retrieveThread(input.thread_id);
  }),
  update: authedProcedure.input(updateThreadInput).mutation(async ({ ctx, input: { thread_id, ...changes } }) => {
    await assertThreadAccess(ctx.env, ctx.principal, thread_id);
    assertMayNameResources(ctx.principal, upstreamResourceFields(changes));
    return ctx.provider.updateThread(thread_id, changes);
  }),
  /** The owner record goes with the thread, once the upstream says it is deleted. */
  delete: authedProcedure.input(threadRef).mutation(async ({ ctx, input }) => {
    await assertThreadAccess(ctx.env, ctx.principal, input.thread_id);
    const deleted = await ctx.provider.deleteThread(input.thread_id);
    // The thread is gone either way: a record left behind only costs storage, so it does not fail the call.
    if (deleted.deleted)
      await forgetThread(ctx.env, input.thread_id).catch((error: unknown) =>
        logFailure({
          what: "threads.owner_record_kept",
          thread: input.thread_id,
          tenant: ctx.principal.tenant,
          requestId: ctx.requestId,
          error,
        }),
      );
    return deleted;
  }),
  messages,
} satisfies TRPCRouterRecord;
