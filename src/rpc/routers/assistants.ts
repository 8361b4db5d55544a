// The assistant procedures. Everyone sees only the assistants it may run (the allow-lists); managing them
// (create, update, delete) needs runcast:assistants, and naming the account's files needs runcast:override.
import { assertMayNameResources, mayRunAssistant } from "../../auth/access";
import { assertAssistantVisible, assertMayManageAssistants } from "../../auth/assistant-access";
import { upstreamResourceFields } from "../../auth/upstream-resources";
import { assistantRef, createAssistantInput, updateAssistantInput } from "../../schemas/assistants";
import { listAssistantsInput } from "../../schemas/runs";
import { filteredPage } from "../filtered-page";
import type { TRPCRouterRecord } from "@trpc/server";
import { authedProcedure } from "../init";

export const assistantProcedures = {
  list: authedProcedure.input(listAssistantsInput).query(({ ctx, input }) =>
    filteredPage({
      query: input,
      fetchPage: (query) => ctx.provider.listAssistants(query),
      keep: (assistant) => mayRunAssistant(ctx.env, ctx.principal, assistant.id),
    }),
  ),
  /** A new assistant is runnable only once the allow-lists that bind its creator (if any) name it. */
  create: authedProcedure.input(createAssistantInput).mutation(({ ctx, input }) => {
    assertMayManageAssistants(ctx.principal);
    assertMayNameResources(ctx.principal, upstreamResourceFields(input));
    return ctx.provider.createAssistant(input);
  }),
  retrieve: authedProcedure.input(assistantRef).query(({ ctx, input }) => {
    assertAssistantVisible(ctx.env, ctx.principal, input.assistant_id);
    return ctx.provider.retrieveAssistant(input.assistant_id);
  }),
  update: authedProcedure.input(updateAssistantInput).mutation(({ ctx, input: { assistant_id, ...changes } }) => {
    assertMayManageAssistants(ctx.principal);
    assertAssistantVisible(ctx.env, ctx.principal, assistant_id);
    assertMayNameResources(ctx.principal, upstreamResourceFields(changes));
    return ctx.provider.updateAssistant(assistant_id, changes);
  }),
  delete: authedProcedure.input(assistantRef).mutation(({ ctx, input }) => {
    assertMayManageAssistants(ctx.principal);
    assertAssistantVisible(ctx.env, ctx.principal, input.assistant_id);
    return ctx.provider.deleteAssistant(input.assistant_id);
  }),
} satisfies TRPCRouterRecord;
