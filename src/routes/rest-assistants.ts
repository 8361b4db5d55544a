// /v1/assistants: the upstream's assistant paths and bodies, served by the assistant procedures.
import { Hono } from "hono";
import { answer, jsonBody, listQuery } from "./rest-call";
import type { RouteEnv } from "./request-id";

export const assistantRoutes = new Hono<RouteEnv>();
const assistant = "/assistants/:assistant_id";

assistantRoutes.post("/assistants", async (c) => {
  const body = await jsonBody(c);
  return answer(c, (api) => api.assistants.create(body as never));
});
assistantRoutes.get("/assistants", (c) => answer(c, (api) => api.assistants.list(listQuery(c) as never)));
assistantRoutes.get(assistant, (c) => answer(c, (api) => api.assistants.retrieve(c.req.param())));
assistantRoutes.post(assistant, async (c) => {
  const body = await jsonBody(c);
  return answer(c, (api) => api.assistants.update({ ...body, ...c.req.param() } as never));
});
assistantRoutes.delete(assistant, (c) => answer(c, (api) => api.assistants.delete(c.req.param())));
