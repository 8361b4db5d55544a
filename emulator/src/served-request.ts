// What one answered request counts as in the emulator's stats (/admin/stats): its route class, and whether it opened a
// stream or was a poll. Pure, so the Worker decides it from the request and its answer alone.

export interface ServedRequest {
  /** Method and path with ids replaced by placeholders: `GET /v1/threads/{thread_id}/runs/{run_id}`. */
  route: string;
  /** The answer is an SSE stream: a streamed run, tool-output submission, response, or a resumed response. */
  stream: boolean;
  /** A GET of one run or one response that did not ask to stream it (a resume is a stream, not a poll). */
  poll: boolean;
  /** The thread the path names, if any: a run's polls, steps and messages all count against its thread. */
  thread: string | null;
}

/** The placeholder for the segment after each collection, named as the emulator's own routes name that id. */
const ID_AFTER = new Map([
  ["assistants", "{id}"],
  ["threads", "{thread_id}"],
  ["messages", "{message_id}"],
  ["runs", "{run_id}"],
  ["steps", "{step_id}"],
  ["responses", "{id}"],
  ["conversations", "{id}"],
  ["items", "{item_id}"],
  ["projects", "{project}"],
]);

const ENTRA_TOKEN = /^\/[^/]+\/oauth2\//;
const SINGLE_RUN_OR_RESPONSE = /(\/threads\/\{thread_id\}\/runs\/\{run_id\}|\/responses\/\{id\})$/;

/**
 * The path with its ids replaced: a segment after a collection is that collection's id, unless it names a collection
 * itself (`/threads/runs`). The Entra token endpoint's first segment is the tenant.
 */
export function routeTemplate(pathname: string): string {
  const segments = pathname.split("/");
  const templated = segments.map((segment, index) => {
    const placeholder = ID_AFTER.get(segments[index - 1] ?? "");
    return placeholder && segment && !ID_AFTER.has(segment) ? placeholder : segment;
  });
  const path = templated.join("/");
  return ENTRA_TOKEN.test(path) ? path.replace(/^\/[^/]+/, "/{tenant}") : path;
}

/** Admin calls drive the emulator rather than stand for the upstream, so they are not counted. */
export const isAdminPath = (pathname: string) => pathname === "/admin" || pathname.startsWith("/admin/");

/** What `request`, answered with `response`, counts as. */
export function servedRequest(request: Request, response: Response): ServedRequest {
  const url = new URL(request.url);
  const route = `${request.method} ${routeTemplate(url.pathname)}`;
  const stream = response.headers.get("content-type")?.startsWith("text/event-stream") ?? false;
  const poll =
    request.method === "GET" && SINGLE_RUN_OR_RESPONSE.test(route) && url.searchParams.get("stream") !== "true";
  const thread = /\/threads\/(thread_[^/]+)/.exec(url.pathname)?.[1] ?? null;
  return { route, stream, poll, thread };
}
