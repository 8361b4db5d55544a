// Read-only: the assistants a caller may run, so a frontend can offer them (filtered by the allow-lists).
import { mayRunAssistant } from "../../auth/access";
import { authedProcedure, router } from "../init";
import { listAssistantsInput } from "../schemas/runs";

export const assistantsRouter = router({
  list: authedProcedure.input(listAssistantsInput).query(async ({ ctx, input }) => {
    const page = await ctx.provider.listAssistants(input);
    const data = page.data.filter((assistant) => mayRunAssistant(ctx.env, ctx.principal, assistant.id));
    return { ...page, data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  }),
});
