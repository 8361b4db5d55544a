// How the emulator Worker reaches its Durable Objects (the directory, one object per thread) and applies the global request faults.
import type { Context, Next } from "hono";
import { ApiError } from "./api-error";
import type { RequestFaults } from "./directory-object";
import { isIdOf, newId } from "./ids";
import { injectedHttpError } from "./thread-service";
import { THREAD_ID_HEADER } from "./thread-routes";

type Env = { Bindings: EmulatorEnv };

export const directory = (env: EmulatorEnv) => env.DIRECTORY.get(env.DIRECTORY.idFromName("directory"));

const threadStub = (env: EmulatorEnv, threadId: string) => env.THREADS.get(env.THREADS.idFromName(threadId));

/** A new thread's id names its Durable Object; the Worker picks it and hands it over in a header. */
export function toNewThread(env: EmulatorEnv, request: Request): Promise<Response> {
  const threadId = newId("thread");
  const headers = new Headers(request.headers);
  headers.set(THREAD_ID_HEADER, threadId);
  return threadStub(env, threadId).fetch(new Request(request, { headers }));
}

/** Anything not shaped like one of our thread ids can never name a thread, so it never reaches (or creates) an object. */
export function toThread(env: EmulatorEnv, threadId: string, request: Request): Promise<Response> {
  if (!isIdOf("thread", threadId)) throw new ApiError(404, `No thread found with id '${threadId}'.`);
  return threadStub(env, threadId).fetch(request);
}

/** The admin endpoint's faults for every request: an injected HTTP error while any are left, and a first-byte delay. */
export async function requestFaults(c: Context<Env>, next: Next) {
  const faults = (await directory(c.env).requestFaults()) as RequestFaults;
  if (faults.first_byte_ms > 0) await new Promise((resolve) => setTimeout(resolve, faults.first_byte_ms));
  if (faults.http_error) throw injectedHttpError(faults.http_error.status, faults.http_error.retry_after);
  await next();
}
