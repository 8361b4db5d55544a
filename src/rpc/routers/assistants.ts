// Read-only: the assistants a caller may run, so a frontend can offer them (filtered by the allow-lists).
import { mayRunAssistant } from "../../auth/access";
import { filteredPage } from "../filtered-page";
import { authedProcedure, router } from "../init";
import { listAssistantsInput } from "../../schemas/runs";

export const assistantsRouter = router({
  list: authedProcedure.input(listAssistantsInput).query(({ ctx, input }) =>
    filteredPage({
      query: input,
      fetchPage: (query) => ctx.provider.listAssistants(query),
      keep: (assistant) => mayRunAssistant(ctx.env, ctx.principal, assistant.id),
    }),
  ),
});
