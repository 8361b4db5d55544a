// A thread's routes in the Foundry flavour (`/foundry/threads/…` inside the thread's Durable Object): the Assistants
// routes with Foundry's validation, and a submit_tool_outputs that also takes `tool_approvals`.
import { Hono } from "hono";
import { ApiError, toErrorResponse } from "../api-error";
import type { SubmitToolApprovalsBody, SubmitToolOutputsBody, ThreadService } from "../thread-service";
import { answerRun, bodyReader, threadRoutes } from "../thread-routes";
import { FOUNDRY_PREFIX } from "./paths";
import { validateFoundryBody } from "./request-rules";

export function foundryThreadRoutes(service: ThreadService): Hono {
  const app = new Hono();
  const body = bodyReader(validateFoundryBody);
  // Registered before the shared routes, so this handler answers the path for both kinds of submission.
  app.post(`${FOUNDRY_PREFIX}/threads/:thread_id/runs/:run_id/submit_tool_outputs`, async (c) => {
    service.catchUp();
    const { thread_id, run_id } = c.req.param();
    const input = await body<SubmitToolOutputsBody & Partial<SubmitToolApprovalsBody>>(
      c,
      "SubmitToolOutputsRunRequest",
    );
    if (input.tool_approvals !== undefined)
      return answerRun(
        c,
        service.submitToolApprovals(thread_id, run_id, { tool_approvals: input.tool_approvals, stream: input.stream }),
      );
    return answerRun(c, service.submitToolOutputs(thread_id, run_id, input));
  });
  app.route("/", threadRoutes(service, { prefix: FOUNDRY_PREFIX, validate: validateFoundryBody }));
  app.notFound((c) => new ApiError(404, `Invalid URL (${c.req.method} ${new URL(c.req.url).pathname})`).toResponse());
  app.onError((error) => toErrorResponse(error));
  return app;
}
