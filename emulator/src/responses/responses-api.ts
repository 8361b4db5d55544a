// The Worker's side of the Responses and Conversations API: each request goes to the home (Durable Object) its ids name.
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { ApiError } from "../api-error";
import { HOME_HEADER, homeOf, newHome } from "./homes";

type Env = { Bindings: EmulatorEnv };

function toHome(c: Context<Env>, home: string, body?: string): Promise<Response> {
  const headers = new Headers(c.req.raw.headers);
  headers.set(HOME_HEADER, home);
  const stub = c.env.CONVERSATIONS.get(c.env.CONVERSATIONS.idFromName(home));
  return stub.fetch(new Request(c.req.raw, { headers, ...(body === undefined ? {} : { body }) }));
}

/** A response joins the home of its conversation or of its previous response; otherwise it starts a home of its own. */
async function toResponseHome(c: Context<Env>): Promise<Response> {
  const body = await c.req.text();
  let home: string | null = null;
  try {
    const parsed = JSON.parse(body) as { conversation?: unknown; previous_response_id?: unknown };
    const conversation = parsed.conversation as string | { id?: unknown } | null | undefined;
    const named =
      typeof conversation === "string" ? conversation : typeof conversation?.id === "string" ? conversation.id : null;
    if (named) home = homeOf(named);
    else if (typeof parsed.previous_response_id === "string") home = homeOf(parsed.previous_response_id);
  } catch {
    // Not JSON: a fresh home answers the upstream's 400 for it.
  }
  return toHome(c, home ?? newHome(), body);
}

/** Ids that name no home of ours are answered here, as the upstream answers an unknown id. */
function toIdHome(kind: "Response" | "Conversation") {
  return (c: Context<Env>) => {
    const id = c.req.param("id") ?? "";
    const home = homeOf(id);
    if (!home || !id.startsWith(kind === "Response" ? "resp_" : "conv_"))
      throw new ApiError(404, `${kind} with id '${id}' not found.`);
    return toHome(c, home);
  };
}

const unknownRoute = (c: Context<Env>) => {
  throw new ApiError(404, `Invalid URL (${c.req.method} ${new URL(c.req.url).pathname})`);
};

/**
 * `/responses` and `/conversations` under the upstream's `/v1`, behind `checks` (the API key and the global faults; no
 * Assistants beta header). Every path under them is answered here, unknown ones with the upstream's 404.
 */
export function responsesApi({ checks }: { checks: MiddlewareHandler<Env> }): Hono<Env> {
  const api = new Hono<Env>();
  // `/responses/*` also matches `/responses` itself: one pattern each, so the checks (and their faults) run once.
  api.use("/responses/*", checks);
  api.use("/conversations/*", checks);
  api.post("/responses", toResponseHome);
  api.all("/responses", unknownRoute);
  api.all("/responses/:id", toIdHome("Response"));
  api.all("/responses/:id/*", toIdHome("Response"));
  api.post("/conversations", (c) => toHome(c, newHome()));
  api.all("/conversations", unknownRoute);
  api.all("/conversations/:id", toIdHome("Conversation"));
  api.all("/conversations/:id/*", toIdHome("Conversation"));
  return api;
}
