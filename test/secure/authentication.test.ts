// Who is calling: every credential Runcast accepts (JWT HS256 with `sub` as the tenant, ES256 through a JWKS, API keys)
// and every one it refuses (expired, wrong issuer/audience, no subject, bad signature, `alg: none`, unknown key, none at
// all), over tRPC, REST and the WebSocket; a refusal is UNAUTHORIZED (401) with a clear message and never reaches the
// upstream. Also the safe default: a real upstream key with no authentication configured refuses every call.
import { env } from "cloudflare:workers";
import { base64url, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import OpenAI from "openai";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { gatewayApp } from "../../src/app";
import { authSetting } from "../../src/auth/auth-config";
import { createRuncastClient } from "../../src/client";
import type { GatewayEnv } from "../../src/env";
import { emulatorSdk, GATEWAY, gatewayFetch, resetEmulatorSettings } from "../helpers/emulator";
import { subscriptionFrame, TERMINAL_EVENTS, upgrade } from "../helpers/hub";
import { rejection, rpcError, waitForRun } from "../helpers/runcast";
import {
  closeAllSockets,
  jwt,
  rawSocket,
  restAs,
  rpcAs,
  sseAs,
  subscribeOnce,
  trpcErrorBody,
  trpcQueryUrl,
  uniqueTenant,
  upstreamUntouchedBy,
  wsAs,
} from "../helpers/secure";
import { API_KEYS, JWT_AUDIENCE, JWT_ISSUER } from "./fixtures";

afterEach(async () => {
  await closeAllSockets();
  await resetEmulatorSettings();
});

const TENANT = uniqueTenant("acme");
let assistantId: string;
/** A finished run on a thread TENANT created through Runcast. */
let owned: { threadId: string; runId: string };

beforeAll(async () => {
  const assistant = await emulatorSdk().beta.assistants.create({
    model: "gpt-4o",
    name: "Plain",
    instructions: "Answer briefly.",
  });
  assistantId = assistant.id;
  const run = await rpcAs(await jwt({ sub: TENANT })).runs.createThreadAndRun.mutate({
    assistant_id: assistantId,
    thread: { messages: [{ role: "user", content: "Tell me about lighthouses" }] },
  });
  owned = { threadId: run.thread_id, runId: run.id };
  await waitForRun(run.thread_id, run.id);
});

/** A call that would reach the upstream (it creates a thread and a run) if the gateway let it through. */
const createCall = (client: ReturnType<typeof rpcAs>) =>
  client.runs.createThreadAndRun.mutate({
    assistant_id: assistantId,
    thread: { messages: [{ role: "user", content: "Hello" }] },
  });

/** A JWT whose payload was changed after signing: the signature no longer matches. */
async function tampered(): Promise<string> {
  const [header, , signature] = (await jwt({ sub: TENANT })).split(".");
  const payload = base64url.encode(
    JSON.stringify({
      sub: "someone-else",
      iss: JWT_ISSUER,
      aud: JWT_AUDIENCE,
      exp: Math.floor(Date.now() / 1000) + 300,
    }),
  );
  return `${header}.${payload}.${signature}`;
}

/** `alg: none`: no signature at all. */
const unsigned = () =>
  new UnsecuredJWT({ scope: "runcast:admin" })
    .setSubject("ops")
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setExpirationTime("5m")
    .encode();

const REFUSED_TOKENS: Array<[string, () => Promise<string> | string, RegExp]> = [
  ["an expired JWT", () => jwt({ sub: TENANT, expiresIn: -60 }), /expired/],
  ["a JWT from another issuer", () => jwt({ sub: TENANT, issuer: "https://evil.example.com" }), /`iss` claim/],
  ["a JWT for another audience", () => jwt({ sub: TENANT, audience: "someone-else" }), /`aud` claim/],
  ["a JWT with no subject", () => jwt({ sub: null }), /no subject/],
  ["a JWT not yet valid (nbf in the future)", () => jwt({ sub: TENANT, notBefore: 3600 }), /`nbf` claim/],
  [
    "a JWT signed with another secret",
    () => jwt({ sub: TENANT, secret: "not-the-gateway-secret-at-all-0000" }),
    /not valid/,
  ],
  ["a JWT whose payload was changed after signing", tampered, /not valid/],
  ["a JWT signed with HS512 (only HS256 is accepted)", () => jwt({ sub: TENANT, alg: "HS512" }), /not valid/],
  ["an unsigned JWT (alg: none) claiming admin", unsigned, /not valid/],
  ["garbage shaped like a JWT", () => "abc.def.ghi", /not valid/],
  ["an unknown API key", () => "rk_test_unknown_0000000000000000", /Unknown API key/],
];

describe("tRPC over HTTP", () => {
  it("accepts an HS256 JWT; its `sub` is the tenant: another token for the same sub sees the thread, another sub does not", async () => {
    const again = rpcAs(await jwt({ sub: TENANT, expiresIn: 120 }));
    const run = await again.runs.retrieve.query({ thread_id: owned.threadId, run_id: owned.runId });
    expect(run).toMatchObject({ id: owned.runId, thread_id: owned.threadId, status: "completed" });
    const other = await rpcError(
      rpcAs(await jwt({ sub: uniqueTenant("other") })).runs.retrieve.query({
        thread_id: owned.threadId,
        run_id: owned.runId,
      }),
    );
    expect(other.data?.code).toBe("NOT_FOUND");
  });

  it("accepts an API key: its tenant is the key's, the same tenant a JWT with that `sub` is", async () => {
    const byKey = rpcAs(API_KEYS.acme);
    const run = await createCall(byKey);
    expect(run.thread_id).toMatch(/^thread_/);
    // The key's entry names tenant `acme`: a JWT for `acme` reaches the same thread.
    const page = await rpcAs(await jwt({ sub: "acme" })).runs.list.query({ thread_id: run.thread_id });
    expect(page.data.map((r) => r.id)).toContain(run.id);
    await waitForRun(run.thread_id, run.id);
  });

  it.each(REFUSED_TOKENS)(
    "refuses %s: UNAUTHORIZED (401) with a clear message, and nothing reaches the upstream",
    async (_name, token, message) => {
      const client = rpcAs(await token());
      let error: Awaited<ReturnType<typeof rpcError>> | undefined;
      expect(await upstreamUntouchedBy(async () => (error = await rpcError(createCall(client))))).toBe(true);
      expect(error?.data?.code).toBe("UNAUTHORIZED");
      expect(error?.data?.httpStatus).toBe(401);
      expect(error?.message).toMatch(message);
    },
  );

  it("refuses a call with no credential, saying how to send one, without an upstream call", async () => {
    let error: Awaited<ReturnType<typeof rpcError>> | undefined;
    expect(await upstreamUntouchedBy(async () => (error = await rpcError(createCall(rpcAs()))))).toBe(true);
    expect(error?.data?.code).toBe("UNAUTHORIZED");
    expect(error?.data?.httpStatus).toBe(401);
    expect(error?.message).toMatch(/Authorization: Bearer/);
  });

  it("an Authorization header that is not a bearer token counts as no credential: 401", async () => {
    const response = await gatewayFetch(
      trpcQueryUrl("runs.retrieve", { thread_id: owned.threadId, run_id: owned.runId }),
      {
        headers: { authorization: `Basic ${btoa(`acme:${API_KEYS.acme}`)}` },
      },
    );
    expect(response.status).toBe(401);
    expect((await trpcErrorBody(response)).data.code).toBe("UNAUTHORIZED");
  });

  it("the no-upstream-call proof is sound: an accepted credential's call does consume the armed fault", async () => {
    let error: Awaited<ReturnType<typeof rpcError>> | undefined;
    expect(
      await upstreamUntouchedBy(async () => (error = await rpcError(createCall(rpcAs(await jwt({ sub: TENANT })))))),
    ).toBe(false);
    expect(error?.data?.code).toBe("BAD_GATEWAY");
  });

  it("scopes come from `scope` (space-separated) or the `scopes`/`scp` arrays; a look-alike scope grants nothing", async () => {
    const input = { thread_id: owned.threadId, run_id: owned.runId };
    for (const admin of [{ scope: "openid runcast:admin" }, { scopes: ["runcast:admin"] }, { scp: ["runcast:admin"] }])
      expect((await rpcAs(await jwt({ sub: uniqueTenant("ops"), ...admin })).runs.retrieve.query(input)).id).toBe(
        owned.runId,
      );
    for (const lookalike of [
      { scope: "runcast:admins" },
      { scope: "runcast:admin:read" },
      { scopes: ["RUNCAST:ADMIN"] },
      { scope: "runcast:override" },
    ]) {
      const error = await rpcError(
        rpcAs(await jwt({ sub: uniqueTenant("ops"), ...lookalike })).runs.retrieve.query(input),
      );
      expect(error.data?.code).toBe("NOT_FOUND");
    }
  });
});

describe("REST (/v1, the openai SDK's apiKey is the Runcast token)", () => {
  it("accepts a JWT and an API key as the SDK's apiKey", async () => {
    const byJwt = await restAs(await jwt({ sub: TENANT })).beta.threads.runs.retrieve(owned.runId, {
      thread_id: owned.threadId,
    });
    expect(byJwt).toMatchObject({ id: owned.runId, status: "completed" });
    const page = await restAs(API_KEYS.admin).beta.threads.runs.list(owned.threadId);
    expect(page.data.map((run) => run.id)).toContain(owned.runId);
  });

  it.each(REFUSED_TOKENS)(
    "refuses %s with AuthenticationError (401), and nothing reaches the upstream",
    async (_name, token, message) => {
      const sdk = restAs(await token());
      let error: unknown;
      const untouched = await upstreamUntouchedBy(async () => {
        error = await rejection(
          sdk.beta.threads.createAndRun({
            assistant_id: assistantId,
            thread: { messages: [{ role: "user", content: "Hello" }] },
          }),
        );
      });
      expect(untouched).toBe(true);
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((error as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
      expect((error as Error).message).toMatch(message);
    },
  );

  it("refuses a request with no Authorization header: 401 in the upstream's error shape", async () => {
    const response = await gatewayFetch(`${GATEWAY}/v1/threads/${owned.threadId}/runs/${owned.runId}`);
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { message: string; type: string; code: string } };
    expect(body.error.message).toMatch(/Authorization: Bearer/);
    expect(body.error.code).toBe("unauthorized");
  });

  it("the run's event stream (GET …/events) refuses a bad token with 401 and sends no event", async () => {
    const response = await gatewayFetch(`${GATEWAY}/v1/threads/${owned.threadId}/runs/${owned.runId}/events`, {
      headers: { authorization: `Bearer ${await jwt({ sub: TENANT, expiresIn: -60 })}` },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).not.toMatch(/event-stream/);
    expect(await response.text()).not.toMatch(/thread\.run/);
  });
});

describe("subscriptions over SSE (httpSubscriptionLink, token as a connection param)", () => {
  it("a valid token follows the run to its end; a missing or bad one is UNAUTHORIZED with no event", async () => {
    const input = { thread_id: owned.threadId, run_id: owned.runId };
    const ok = await subscribeOnce(sseAs(await jwt({ sub: TENANT })), input);
    expect(ok.error).toBeNull();
    expect(ok.completed).toBe(true);
    expect(ok.events.at(-1)?.event).toBe("thread.run.completed");
    for (const token of [undefined, await jwt({ sub: TENANT, expiresIn: -60 }), "rk_test_unknown_0000000000000000"]) {
      const refused = await subscribeOnce(sseAs(token), input);
      expect(refused.error?.data?.code).toBe("UNAUTHORIZED");
      expect(refused.events).toEqual([]);
    }
  });
});

describe("WebSocket", () => {
  const path = () => `/ws/threads/${owned.threadId}/runs/${owned.runId}`;

  it.each(REFUSED_TOKENS)(
    "an upgrade with %s in Authorization is refused with 401 before any socket opens",
    async (_name, token, message) => {
      const response = await upgrade(path(), { upgrade: "websocket", authorization: `Bearer ${await token()}` });
      expect(response.status).toBe(401);
      expect(response.webSocket).toBeNull();
      const body = (await response.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(message);
    },
  );

  it("an upgrade whose Authorization header is not a bearer token is refused with 401, not left to time out", async () => {
    const response = await upgrade(path(), {
      upgrade: "websocket",
      authorization: `Basic ${btoa(`acme:${API_KEYS.acme}`)}`,
    });
    expect(response.status).toBe(401);
    expect(response.webSocket).toBeNull();
  });

  it("an upgrade with a valid Authorization header needs no connection params: the subscription gets the whole run", async () => {
    const socket = rawSocket(owned.threadId, owned.runId, { authorization: `Bearer ${await jwt({ sub: TENANT })}` });
    await socket.opened();
    socket.send(subscriptionFrame(1, owned.threadId, owned.runId));
    await socket.waitFor((frame) => frame.id === 1 && frame.result?.type === "stopped");
    const events = socket
      .messages()
      .filter((frame) => frame.result?.type === "data")
      .map((frame) => frame.result.data.data.event as string);
    expect(events.slice(0, 2)).toEqual(["thread.created", "thread.run.created"]);
    expect(events.at(-1)).toBe("thread.run.completed");
  });

  it("wsLink with connectionParams { token } subscribes and gets the whole run", async () => {
    const { client } = wsAs(owned.threadId, owned.runId, await jwt({ sub: TENANT }));
    const outcome = await subscribeOnce(client, { thread_id: owned.threadId, run_id: owned.runId });
    expect(outcome.error).toBeNull();
    expect(outcome.completed).toBe(true);
    expect(outcome.events.filter((event) => TERMINAL_EVENTS.includes(event.event)).map((event) => event.event)).toEqual(
      ["thread.run.completed"],
    );
  });

  it("a socket that never authenticates is closed with 4001 after about 5 s", async () => {
    const socket = rawSocket(owned.threadId, owned.runId);
    await socket.opened();
    const opened = Date.now();
    const close = await socket.closed();
    const waited = Date.now() - opened;
    expect(close.code).toBe(4001);
    expect(waited).toBeGreaterThanOrEqual(4_000);
    expect(waited).toBeLessThan(9_000);
  });

  it("a subscription sent before authenticating gets an UNAUTHORIZED error frame and no event; after the token it works", async () => {
    const socket = rawSocket(owned.threadId, owned.runId);
    await socket.opened();
    socket.send(subscriptionFrame(1, owned.threadId, owned.runId));
    const refused = await socket.waitFor((frame) => frame.id === 1);
    expect(refused.error?.data?.code).toBe("UNAUTHORIZED");
    expect(refused.error?.message).toMatch(/token/);
    expect(socket.messages().filter((frame) => frame.result)).toEqual([]);
    socket.send(JSON.stringify({ method: "connectionParams", data: { token: await jwt({ sub: TENANT }) } }));
    socket.send(subscriptionFrame(2, owned.threadId, owned.runId));
    await socket.waitFor((frame) => frame.id === 2 && frame.result?.type === "stopped");
    expect(
      socket.messages().some((frame) => frame.id === 2 && frame.result?.data?.data?.event === "thread.run.completed"),
    ).toBe(true);
  });

  it("connection params with a bad token close the socket with 4001, saying why", async () => {
    const socket = rawSocket(owned.threadId, owned.runId);
    await socket.opened();
    socket.send(
      JSON.stringify({ method: "connectionParams", data: { token: await jwt({ sub: TENANT, expiresIn: -60 }) } }),
    );
    const close = await socket.closed();
    expect(close.code).toBe(4001);
    expect(close.reason).toMatch(/expired/);

    // wsLink the same: its first socket is closed with 4001 and no event is ever delivered.
    const { client, sockets } = wsAs(owned.threadId, owned.runId, "rk_test_unknown_0000000000000000");
    const outcome = subscribeOnce(client, { thread_id: owned.threadId, run_id: owned.runId }, 1_500);
    await expect.poll(() => sockets[0]?.closes[0]?.code, { timeout: 3_000 }).toBe(4001);
    expect((await outcome).events).toEqual([]);
  });

  it("a socket opened without credentials makes no upstream call before it has authenticated", async () => {
    // A run Runcast has never seen (created on the upstream directly), so its hub holds nothing yet.
    const sdk = emulatorSdk();
    const thread = await sdk.beta.threads.create({ messages: [{ role: "user", content: "Hi" }] });
    const run = await sdk.beta.threads.runs.create(thread.id, { assistant_id: assistantId });
    await waitForRun(thread.id, run.id);
    const untouched = await upstreamUntouchedBy(async () => {
      const socket = rawSocket(thread.id, run.id);
      await socket.opened().catch(() => undefined);
      socket.close();
    });
    expect(untouched).toBe(true);
  });
});

describe("other credentials and configurations (env override on the gateway's app)", () => {
  const app = gatewayApp();
  /** A fetch into the gateway's app with some settings changed (Durable Objects keep the project's). */
  const overridden = (overrides: Partial<GatewayEnv>) =>
    ((input: RequestInfo | URL, init?: RequestInit) =>
      app.request(input instanceof Request ? input : String(input), init, { ...env, ...overrides })) as typeof fetch;

  it("ES256 through an inline JWKS: a token signed by the key is accepted, another key's and an HS256 one are not", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const publicJwk = { ...(await exportJWK(publicKey)), kid: "test-es256", alg: "ES256", use: "sig" };
    const settings = {
      RUNCAST_JWKS: JSON.stringify({ keys: [publicJwk] }),
      RUNCAST_JWT_SECRET: undefined,
    } as Partial<GatewayEnv>;
    const sub = uniqueTenant("es256");
    const es256 = (key: CryptoKey, kid = "test-es256") =>
      new SignJWT({})
        .setProtectedHeader({ alg: "ES256", kid })
        .setSubject(sub)
        .setIssuer(JWT_ISSUER)
        .setAudience(JWT_AUDIENCE)
        .setExpirationTime("5m")
        .sign(key);

    const client = createRuncastClient({ url: GATEWAY, fetch: overridden(settings), token: await es256(privateKey) });
    const run = await createCall(client);
    expect(run.thread_id).toMatch(/^thread_/);
    expect((await client.runs.list.query({ thread_id: run.thread_id })).data.map((r) => r.id)).toContain(run.id);
    await waitForRun(run.thread_id, run.id);

    const stranger = await generateKeyPair("ES256");
    for (const token of [await es256(stranger.privateKey), await jwt({ sub })]) {
      const refused = createRuncastClient({ url: GATEWAY, fetch: overridden(settings), token });
      let error: Awaited<ReturnType<typeof rpcError>> | undefined;
      expect(await upstreamUntouchedBy(async () => (error = await rpcError(createCall(refused))))).toBe(true);
      expect(error?.data?.code).toBe("UNAUTHORIZED");
    }
  });

  describe("the safe default", () => {
    // A real-looking upstream on a port nothing listens on: no assertion below may depend on reaching it.
    const realUpstream = {
      OPENAI_API_KEY: "sk-test-not-a-real-key",
      OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
    } as Partial<GatewayEnv>;
    const unset = { ...realUpstream, RUNCAST_AUTH_MODE: undefined } as Partial<GatewayEnv>;

    it("a real upstream key with RUNCAST_AUTH_MODE unset refuses every call (503, saying how to configure); /health answers", async () => {
      expect(authSetting({ ...env, ...unset } as GatewayEnv)).toMatchObject({ mode: "refuse" });
      const fetchUnset = overridden(unset);
      for (const token of [undefined, await jwt({ sub: TENANT }), API_KEYS.admin]) {
        const error = await rpcError(
          createCall(createRuncastClient({ url: GATEWAY, fetch: fetchUnset, ...(token ? { token } : {}) })),
        );
        expect(error.data?.code).toBe("SERVICE_UNAVAILABLE");
        expect(error.data?.httpStatus).toBe(503);
        expect(error.message).toMatch(/RUNCAST_AUTH_MODE/);
      }
      const health = await fetchUnset(`${GATEWAY}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok", upstream: "http://127.0.0.1:9/v1" });
    });

    it("REST and the WebSocket upgrade refuse the same way: 503 whose message says how to configure authentication", async () => {
      const fetchUnset = overridden(unset);
      const rest = await fetchUnset(`${GATEWAY}/v1/threads/${owned.threadId}/runs`, {
        headers: { authorization: `Bearer ${API_KEYS.admin}` },
      });
      const ws = await fetchUnset(`${GATEWAY}/ws/threads/${owned.threadId}/runs/${owned.runId}`, {
        headers: { upgrade: "websocket" },
      });
      expect(ws.webSocket ?? null).toBeNull();
      for (const response of [rest, ws]) {
        expect(response.status).toBe(503);
        expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/RUNCAST_AUTH_MODE/);
      }
    });

    it("the same with an Azure key, and with a misspelt mode: no fallback to `none`", async () => {
      const azure = {
        AZURE_OPENAI_ENDPOINT: "http://127.0.0.1:9",
        AZURE_OPENAI_API_KEY: "azure-test-key",
        RUNCAST_AUTH_MODE: undefined,
      } as Partial<GatewayEnv>;
      const misspelt = { ...realUpstream, RUNCAST_AUTH_MODE: "jtw" } as Partial<GatewayEnv>;
      for (const settings of [azure, misspelt]) {
        const error = await rpcError(
          createRuncastClient({ url: GATEWAY, fetch: overridden(settings) }).runs.list.query({
            thread_id: owned.threadId,
          }),
        );
        expect(error.data?.code).toBe("SERVICE_UNAVAILABLE");
        expect(error.message).toMatch(/RUNCAST_AUTH_MODE/);
      }
    });

    it("`none` chosen explicitly in front of a real key is accepted (the call passes authentication)", async () => {
      const none = { ...realUpstream, RUNCAST_AUTH_MODE: "none" } as Partial<GatewayEnv>;
      expect(authSetting({ ...env, ...none } as GatewayEnv)).toEqual({ mode: "none" });
      // An invalid input is refused after authentication, before any upstream call: BAD_REQUEST, not 401/503.
      const error = await rpcError(
        createRuncastClient({ url: GATEWAY, fetch: overridden(none) }).runs.list.query({
          thread_id: "not a thread id",
        }),
      );
      expect(error.data?.code).toBe("BAD_REQUEST");
      expect(error.message).toMatch(/thread_id/);
    });

    it("`jwt` mode with no secret or JWKS refuses (503) rather than accepting unsigned or arbitrary tokens", async () => {
      const bare = {
        RUNCAST_AUTH_MODE: "jwt",
        RUNCAST_JWT_SECRET: undefined,
        RUNCAST_JWKS: undefined,
        RUNCAST_JWKS_URL: undefined,
      } as Partial<GatewayEnv>;
      const error = await rpcError(
        createRuncastClient({ url: GATEWAY, fetch: overridden(bare), token: unsigned() }).runs.list.query({
          thread_id: owned.threadId,
        }),
      );
      expect(error.data?.code).toBe("SERVICE_UNAVAILABLE");
      expect(error.message).toMatch(/RUNCAST_JWT_SECRET/);
    });
  });
});
