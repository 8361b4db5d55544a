// Foundry's project endpoint, `/api/projects/<project>/…`: api-version, an Entra bearer token and the global faults,
// then the same Durable Objects as the Assistants API under their `/foundry` routes. No OpenAI-Beta header is needed.
import { Hono, type Context, type Next } from "hono";
import { directory, requestFaults, toNewThread, toThread } from "../durable-routing";
import { isValidAccessToken, issuerFromEnv } from "./access-token";
import { listShape, requireApiVersion } from "./api-version";
import { AzureError, unauthorized } from "./azure-error";
import { internalUrl } from "./paths";

type Env = { Bindings: EmulatorEnv };

/** Only Entra tokens are accepted: the notes found resource keys unreliable on classic agents, so no `api-key` here. */
async function requireEntraToken(c: Context<Env>, next: Next) {
  const token = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
  if (!token || !(await isValidAccessToken(issuerFromEnv(c.env), token))) throw unauthorized();
  await next();
}

/** Azure's gateway stamps every answer with its own request id, beside the engine's `x-request-id`. */
async function azureHeaders(c: Context<Env>, next: Next) {
  await next();
  c.res = new Response(c.res.body, c.res);
  c.res.headers.set("apim-request-id", crypto.randomUUID());
}

const internal = (c: Context<Env>) => new Request(internalUrl(c.req.url), c.req.raw);
const toDirectory = (c: Context<Env>) => directory(c.env).fetch(internal(c));
const newThread = (c: Context<Env>) => toNewThread(c.env, internal(c));
const thread = (c: Context<Env>) => toThread(c.env, c.req.param("thread_id") ?? "", internal(c));

export function foundryProjectApi(): Hono<Env> {
  const api = new Hono<Env>();
  api.use("*", azureHeaders, requireApiVersion, requireEntraToken, requestFaults, listShape);
  // Agents keep the Assistants path (and `assistant_id` on the wire).
  api.all("/assistants", toDirectory);
  api.all("/assistants/*", toDirectory);
  api.post("/threads", newThread);
  api.post("/threads/runs", newThread);
  api.all("/threads/:thread_id", thread);
  api.all("/threads/:thread_id/*", thread);
  api.all("*", () => {
    throw new AzureError(404, "404", "Resource not found");
  });
  return api;
}
