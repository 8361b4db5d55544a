// The `token` connection param is for subscriptions only (EventSource cannot set headers): on a query or mutation, where
// nothing stops a client from using the Authorization header, a token in `?connectionParams=` (a URL, which logs keep)
// is not a credential, so the call is UNAUTHORIZED and reaches nothing.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { emulatorSdk, GATEWAY, gatewayFetch, resetEmulatorSettings } from "../helpers/emulator";
import { waitForRun } from "../helpers/runcast";
import {
  jwt,
  rpcAs,
  sseAs,
  subscribeOnce,
  trpcErrorBody,
  trpcQueryUrl,
  uniqueTenant,
  upstreamUntouchedBy,
} from "../helpers/secure";
import { API_KEYS } from "./fixtures";

afterEach(async () => {
  await resetEmulatorSettings();
});

const TENANT = uniqueTenant("acme");
let token: string;
let assistantId: string;
let owned: { thread_id: string; run_id: string };

beforeAll(async () => {
  token = await jwt({ sub: TENANT });
  assistantId = (
    await emulatorSdk().beta.assistants.create({ model: "gpt-4o", name: "Plain", instructions: "Answer briefly." })
  ).id;
  const run = await rpcAs(token).runs.createThreadAndRun.mutate({
    assistant_id: assistantId,
    thread: { messages: [{ role: "user", content: "Hi" }] },
  });
  owned = { thread_id: run.thread_id, run_id: run.id };
  await waitForRun(run.thread_id, run.id);
});

const params = (value: string) => `connectionParams=${encodeURIComponent(JSON.stringify({ token: value }))}`;

describe("a token only in connectionParams", () => {
  it("on a query (single and batched): UNAUTHORIZED (401), for a JWT and an API key", async () => {
    for (const credential of [token, API_KEYS.admin]) {
      const single = await gatewayFetch(`${trpcQueryUrl("runs.retrieve", owned)}&${params(credential)}`);
      expect(single.status).toBe(401);
      expect((await trpcErrorBody(single)).data.code).toBe("UNAUTHORIZED");
      const batch = await gatewayFetch(
        `${GATEWAY}/trpc/runs.list,threads.messages.list?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { thread_id: owned.thread_id }, 1: { thread_id: owned.thread_id } }))}&${params(credential)}`,
      );
      expect(batch.status).toBe(401);
      for (const item of (await batch.json()) as Array<{ error: { data: { code: string } } }>)
        expect(item.error.data.code).toBe("UNAUTHORIZED");
    }
  });

  it("on a mutation: UNAUTHORIZED (401) with no upstream call", async () => {
    let response: Response | undefined;
    const untouched = await upstreamUntouchedBy(async () => {
      response = await gatewayFetch(`${GATEWAY}/trpc/runs.createThreadAndRun?${params(token)}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ assistant_id: assistantId, thread: { messages: [{ role: "user", content: "Hi" }] } }),
      });
    });
    expect(untouched).toBe(true);
    expect(response?.status).toBe(401);
  });

  it("the same query with the token in the Authorization header is answered", async () => {
    const response = await gatewayFetch(trpcQueryUrl("runs.retrieve", owned), {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
  });
});

describe("a subscription (httpSubscriptionLink)", () => {
  it("still authenticates by its connectionParams and follows the run to its end", async () => {
    const outcome = await subscribeOnce(sseAs(token), owned);
    expect(outcome.error).toBeNull();
    expect(outcome.completed).toBe(true);
    expect(outcome.events.at(-1)?.event).toBe("thread.run.completed");
  });
});
