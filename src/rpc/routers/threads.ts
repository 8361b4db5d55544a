// Read-only thread procedures, so a frontend can render a conversation's history after a reload.
import { assertThreadAccess } from "../../auth/access";
import { authedProcedure, router } from "../init";
import { listMessagesInput } from "../../schemas/runs";

export const threadsRouter = router({
  messages: router({
    list: authedProcedure.input(listMessagesInput).query(async ({ ctx, input: { thread_id, ...query } }) => {
      await assertThreadAccess(ctx.env, ctx.principal, thread_id);
      return ctx.provider.listMessages(thread_id, query);
    }),
  }),
});
