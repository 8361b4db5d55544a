// The emulator Worker's entry, counting: every request it answers, admin calls aside, is recorded in the directory's stats.
import { directory } from "./durable-routing";
import { isAdminPath, servedRequest } from "./served-request";

type FetchHandler = (request: Request, env: EmulatorEnv, ctx: ExecutionContext) => Response | Promise<Response>;

/**
 * Wraps the Worker's `fetch`, where every request passes once (threads and homes are reached only through it), so
 * none is missed or counted twice; outside the Hono app, since its Azure `/openai` paths go through the app a second
 * time. The count is recorded before the answer goes out, so a stats read made after an answer always includes it;
 * the answer's content type tells a stream, as the Durable Object behind it decided.
 */
export function countServed({ fetch: answer }: { fetch: FetchHandler }): ExportedHandler<EmulatorEnv> {
  return {
    async fetch(request, env, ctx) {
      const response = await answer(request, env, ctx);
      if (!isAdminPath(new URL(request.url).pathname))
        await directory(env).recordServed(servedRequest(request, response));
      return response;
    },
  };
}
