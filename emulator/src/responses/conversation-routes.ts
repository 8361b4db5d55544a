// HTTP routes of one home's Durable Object: parse and validate, call the services, answer in the upstream's shapes.
import { Hono, type Context } from "hono";
import { ApiError, badRequest, toErrorResponse } from "../api-error";
import { parsePageParams } from "../pagination";
import type { ConversationService } from "./conversation-service";
import { HOME_HEADER } from "./homes";
import type { ResponseAnswer, ResponseService } from "./response-service";
import {
  readAddItems,
  readCreateConversation,
  readCreateResponse,
  readUpdateConversation,
  validateIncludeQuery,
} from "./response-validation";

async function answer(c: Context, answer: ResponseAnswer): Promise<Response> {
  if ("response" in answer) return c.json(answer.response);
  // The first-byte fault holds back the whole answer, headers included, as a slow upstream would.
  if (answer.firstByteDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, answer.firstByteDelayMs));
  return answer.stream;
}

/** Query booleans as the upstream reads them: `true`/`false`, absent is the default. */
function queryFlag(c: Context, name: string, fallback: boolean): boolean {
  const value = c.req.query(name);
  if (value === undefined) return fallback;
  if (value !== "true" && value !== "false")
    throw badRequest(`Invalid type for '${name}': expected a boolean, but got a string instead.`, name, "invalid_type");
  return value === "true";
}

function startingAfter(c: Context): number {
  const value = c.req.query("starting_after");
  if (value === undefined) return -1;
  if (!/^-?\d+$/.test(value))
    throw badRequest(
      "Invalid type for 'starting_after': expected an integer, but got a string instead.",
      "starting_after",
      "invalid_type",
    );
  return Number(value);
}

const page = (c: Context) => parsePageParams(new URL(c.req.url).searchParams);

export function conversationRoutes({
  responses,
  conversations,
}: {
  responses: ResponseService;
  conversations: ConversationService;
}): Hono {
  const app = new Hono();
  const home = (c: Context) => c.req.header(HOME_HEADER)!;

  app.post("/v1/responses", async (c) => {
    validateIncludeQuery(new URL(c.req.url));
    return answer(c, await responses.create(home(c), await readCreateResponse(c.req.raw)));
  });
  app.get("/v1/responses/:id", (c) => {
    validateIncludeQuery(new URL(c.req.url));
    const id = c.req.param("id");
    if (!queryFlag(c, "stream", false)) return c.json(responses.response(id));
    return answer(c, responses.resume(id, startingAfter(c), queryFlag(c, "include_obfuscation", true)));
  });
  app.delete("/v1/responses/:id", (c) => c.json(responses.delete(c.req.param("id"))));
  app.post("/v1/responses/:id/cancel", (c) => c.json(responses.cancel(c.req.param("id"))));
  app.get("/v1/responses/:id/input_items", (c) => {
    validateIncludeQuery(new URL(c.req.url));
    return c.json(responses.inputItems(c.req.param("id"), page(c)));
  });

  // Reads and writes of a conversation first bring its responses up to now, so their items are appended in time.
  app.use("/v1/conversations/*", async (_c, next) => {
    responses.catchUp();
    await next();
  });
  app.post("/v1/conversations", async (c) =>
    c.json(conversations.create(home(c), await readCreateConversation(c.req.raw))),
  );
  app.get("/v1/conversations/:id", (c) => c.json(conversations.conversation(c.req.param("id"))));
  app.post("/v1/conversations/:id", async (c) =>
    c.json(conversations.update(c.req.param("id"), (await readUpdateConversation(c.req.raw)).metadata)),
  );
  app.delete("/v1/conversations/:id", (c) => c.json(conversations.delete(c.req.param("id"))));
  app.post("/v1/conversations/:id/items", async (c) => {
    validateIncludeQuery(new URL(c.req.url));
    return c.json(conversations.addItems(c.req.param("id"), await readAddItems(c.req.raw)));
  });
  app.get("/v1/conversations/:id/items", (c) => {
    validateIncludeQuery(new URL(c.req.url));
    return c.json(conversations.items(c.req.param("id"), page(c)));
  });
  app.get("/v1/conversations/:id/items/:item_id", (c) => {
    validateIncludeQuery(new URL(c.req.url));
    return c.json(conversations.item(c.req.param("id"), c.req.param("item_id")));
  });
  app.delete("/v1/conversations/:id/items/:item_id", (c) =>
    c.json(conversations.deleteItem(c.req.param("id"), c.req.param("item_id"))),
  );

  // A path or method no route takes answers as the Worker's unknown routes do, in the upstream's error shape.
  app.notFound((c) => new ApiError(404, `Invalid URL (${c.req.method} ${new URL(c.req.url).pathname})`).toResponse());
  app.onError((error) => toErrorResponse(error));
  return app;
}
