// /v1/threads and their messages: the upstream's paths and bodies, served by the thread procedures.
import { Hono } from "hono";
import { answer, jsonBody, listQuery } from "./rest-call";
import type { RouteEnv } from "./request-id";

export const threadRoutes = new Hono<RouteEnv>();
const thread = "/threads/:thread_id";
const messages = `${thread}/messages`;

threadRoutes.post("/threads", async (c) => {
  const body = await jsonBody(c);
  return answer(c, (api) => api.threads.create(body as never));
});
threadRoutes.get(thread, (c) => answer(c, (api) => api.threads.retrieve(c.req.param())));
threadRoutes.post(thread, async (c) => {
  const body = await jsonBody(c);
  return answer(c, (api) => api.threads.update({ ...body, ...c.req.param() } as never));
});
threadRoutes.delete(thread, (c) => answer(c, (api) => api.threads.delete(c.req.param())));

threadRoutes.post(messages, async (c) => {
  const body = await jsonBody(c);
  return answer(c, (api) => api.threads.messages.create({ ...body, ...c.req.param() } as never));
});
threadRoutes.get(messages, (c) =>
  answer(c, (api) =>
    api.threads.messages.list({ ...listQuery(c, ["run_id"]), thread_id: c.req.param("thread_id") } as never),
  ),
);
threadRoutes.get(`${messages}/:message_id`, (c) => answer(c, (api) => api.threads.messages.retrieve(c.req.param())));
