// HTTP routes of one thread's Durable Object: parse and validate, call the service, answer in the upstream's shapes.
import { Hono, type Context } from "hono";
import { ApiError, badRequest, toErrorResponse } from "./api-error";
import { parsePageParams } from "./pagination";
import { readJson, validateBody, validateMetadata, validateTools, type BodyValidator } from "./request-validation";
import type { CreateMessageBody } from "./objects";
import type {
  CreateRunBody,
  CreateThreadBody,
  RunAnswer,
  SubmitToolOutputsBody,
  ThreadService,
} from "./thread-service";

/** The header through which the Worker hands a new thread its id (the id also names the Durable Object). */
export const THREAD_ID_HEADER = "x-emulator-thread-id";

const INCLUDE_VALUES = new Set(["step_details.tool_calls[*].file_search.results[*].content"]);

/** Reads a JSON body and checks it: the schema, then the limits the spec states in prose. */
export function bodyReader(validate: BodyValidator = validateBody) {
  return async function body<T>(c: Context, schema: string): Promise<T> {
    const parsed = await readJson(c.req.raw);
    validate(schema, parsed);
    const value = parsed as { metadata?: unknown; tools?: unknown; tool_choice?: unknown };
    validateMetadata(value.metadata);
    validateTools(value, schema === "CreateAssistantRequest" ? 128 : 20);
    return parsed as T;
  };
}

function validateMessages(messages: Array<{ metadata?: unknown }> | null | undefined, param: string) {
  messages?.forEach((message, index) => validateMetadata(message.metadata, `${param}[${index}].metadata`));
}

function validateInclude(c: Context) {
  for (const value of c.req.queries("include[]") ?? [])
    if (!INCLUDE_VALUES.has(value))
      throw badRequest(`Invalid value for 'include[]': '${value}' is not supported.`, "include[]", "invalid_value");
}

export async function answerRun(c: Context, answer: RunAnswer): Promise<Response> {
  if ("run" in answer) return c.json(answer.run);
  // The first-byte fault holds back the whole answer, headers included, as a slow upstream would.
  if (answer.firstByteDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, answer.firstByteDelayMs));
  return answer.stream;
}

/**
 * The thread routes under `${prefix}/threads`: `/v1` for the Assistants API, `/foundry` for the Foundry flavour,
 * which validates bodies its own way (Azure's tool types and tool resources).
 */
export function threadRoutes(service: ThreadService, { prefix = "/v1", validate = validateBody } = {}): Hono {
  const app = new Hono();
  const threads = new Hono();
  const body = bodyReader(validate);

  threads.use("*", async (c, next) => {
    service.catchUp();
    await next();
  });

  threads.post("/", async (c) => {
    const input = await body<CreateThreadBody>(c, "CreateThreadRequest");
    validateMessages(input.messages, "messages");
    return c.json(service.createThread(c.req.header(THREAD_ID_HEADER)!, input));
  });

  threads.post("/runs", async (c) => {
    const input = await body<CreateRunBody & { thread?: CreateThreadBody; tool_resources?: unknown }>(
      c,
      "CreateThreadAndRunRequest",
    );
    validateMetadata(input.thread?.metadata, "thread.metadata");
    validateMessages(input.thread?.messages, "thread.messages");
    const { thread = {}, tool_resources, ...run } = input;
    const threadId = c.req.header(THREAD_ID_HEADER)!;
    service.createThread(threadId, { ...thread, tool_resources: thread.tool_resources ?? tool_resources });
    return answerRun(c, await service.createRun(threadId, run, true));
  });

  threads.get("/:thread_id", (c) => c.json(service.thread(c.req.param("thread_id"))));
  threads.post("/:thread_id", async (c) =>
    c.json(service.modifyThread(c.req.param("thread_id"), await body(c, "ModifyThreadRequest"))),
  );
  threads.delete("/:thread_id", async (c) => c.json(await service.deleteThread(c.req.param("thread_id"))));

  threads.post("/:thread_id/messages", async (c) =>
    c.json(service.createMessage(c.req.param("thread_id"), await body<CreateMessageBody>(c, "CreateMessageRequest"))),
  );
  threads.get("/:thread_id/messages", (c) =>
    c.json(
      service.listMessages(
        c.req.param("thread_id"),
        parsePageParams(new URL(c.req.url).searchParams),
        c.req.query("run_id"),
      ),
    ),
  );
  threads.get("/:thread_id/messages/:message_id", (c) =>
    c.json(service.message(c.req.param("thread_id"), c.req.param("message_id"))),
  );

  threads.post("/:thread_id/runs", async (c) => {
    validateInclude(c);
    const input = await body<CreateRunBody>(c, "CreateRunRequest");
    validateMessages(input.additional_messages, "additional_messages");
    return answerRun(c, await service.createRun(c.req.param("thread_id"), input));
  });
  threads.get("/:thread_id/runs", (c) =>
    c.json(service.listRuns(c.req.param("thread_id"), parsePageParams(new URL(c.req.url).searchParams))),
  );
  threads.get("/:thread_id/runs/:run_id", (c) => {
    const { thread_id, run_id } = c.req.param();
    const run = service.run(thread_id, run_id);
    // The poll hint tells pollers (the SDK's `runs.poll`, Runcast's hub) how long to wait before asking again.
    c.header("openai-poll-after-ms", String(service.knobs(run_id)?.poll_after_ms ?? 1000));
    return c.json(run);
  });
  threads.post("/:thread_id/runs/:run_id", async (c) =>
    c.json(service.modifyRun(c.req.param("thread_id"), c.req.param("run_id"), await body(c, "ModifyRunRequest"))),
  );
  threads.post("/:thread_id/runs/:run_id/cancel", (c) =>
    c.json(service.cancelRun(c.req.param("thread_id"), c.req.param("run_id"))),
  );
  threads.post("/:thread_id/runs/:run_id/submit_tool_outputs", async (c) => {
    const input = await body<SubmitToolOutputsBody>(c, "SubmitToolOutputsRunRequest");
    return answerRun(c, service.submitToolOutputs(c.req.param("thread_id"), c.req.param("run_id"), input));
  });
  threads.get("/:thread_id/runs/:run_id/steps", (c) => {
    validateInclude(c);
    return c.json(
      service.steps(c.req.param("thread_id"), c.req.param("run_id"), parsePageParams(new URL(c.req.url).searchParams)),
    );
  });
  threads.get("/:thread_id/runs/:run_id/steps/:step_id", (c) => {
    validateInclude(c);
    const { thread_id, run_id, step_id } = c.req.param();
    return c.json(service.step(thread_id, run_id, step_id));
  });

  // Admin (not counted as upstream traffic): when a run's status changed, for benchmarks of pollers' delay.
  app.get("/admin/threads/:thread_id/runs/:run_id/status_changes", (c) => {
    service.catchUp();
    const { thread_id, run_id } = c.req.param();
    return c.json({ data: service.statusChanges(thread_id, run_id) });
  });
  app.route(`${prefix}/threads`, threads);
  // A path or method no route takes answers as the Worker's unknown routes do, in the upstream's error shape.
  app.notFound((c) => new ApiError(404, `Invalid URL (${c.req.method} ${new URL(c.req.url).pathname})`).toResponse());
  app.onError((error) => toErrorResponse(error));
  return app;
}
