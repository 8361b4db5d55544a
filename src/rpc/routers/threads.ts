// Read-only thread procedures, so a frontend can render a conversation's history after a reload.
import { router, upstreamProcedure } from "../init";
import { listMessagesInput } from "../schemas/runs";

export const threadsRouter = router({
  messages: router({
    list: upstreamProcedure.input(listMessagesInput).query(({ ctx, input: { thread_id, ...query } }) => ctx.provider.listMessages(thread_id, query)),
  }),
});
