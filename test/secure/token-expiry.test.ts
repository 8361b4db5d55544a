// Every JWT must end: one without `exp` is refused on every surface, unless RUNCAST_JWT_MAX_AGE is set, and then no
// token is accepted longer than that after its `iat`. The Principal says when its credential ends (`expiresAt`).
import { env } from "cloudflare:workers";
import { decodeJwt } from "jose";
import OpenAI from "openai";
import { afterEach, describe, expect, it, vi } from "vitest";
import { gatewayApp } from "../../src/app";
import { authenticate } from "../../src/auth/authenticate";
import { durationSeconds } from "../../src/auth/duration";
import { createRuncastClient } from "../../src/client";
import type { GatewayEnv } from "../../src/env";
import { emulatorSdk, GATEWAY, gatewayFetch, resetEmulatorSettings } from "../helpers/emulator";
import { upgrade } from "../helpers/hub";
import { rejection, rpcError, waitForRun, type RuncastError } from "../helpers/runcast";
import { jwt, restAs, rpcAs, sseAs, subscribeOnce, uniqueTenant, upstreamUntouchedBy } from "../helpers/secure";
import { API_KEYS } from "./fixtures";

afterEach(async () => {
  vi.restoreAllMocks();
  await resetEmulatorSettings();
});

const UNKNOWN_THREAD = `thread_unknown${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;
const UNKNOWN_RUN = `run_unknown${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;
/** A call that would reach the upstream (a new thread and run) if the gateway let the caller through. */
const createCall = (client: ReturnType<typeof rpcAs>, assistantId = "asst_abc") =>
  client.runs.createThreadAndRun.mutate({
    assistant_id: assistantId,
    thread: { messages: [{ role: "user", content: "Hello" }] },
  });

describe("a JWT without `exp` (RUNCAST_JWT_MAX_AGE unset)", () => {
  it("tRPC: UNAUTHORIZED (401) saying the token has no expiry, with no upstream call", async () => {
    const client = rpcAs(await jwt({ sub: uniqueTenant("noexp"), expiresIn: null }));
    let error: RuncastError | undefined;
    expect(await upstreamUntouchedBy(async () => (error = await rpcError(createCall(client))))).toBe(true);
    expect(error?.data?.code).toBe("UNAUTHORIZED");
    expect(error?.data?.httpStatus).toBe(401);
    expect(error?.message).toMatch(/no expiry \(`exp`\)/);
  });

  it("REST: AuthenticationError (401), with no upstream call", async () => {
    const sdk = restAs(await jwt({ sub: uniqueTenant("noexp"), expiresIn: null }));
    let error: unknown;
    expect(
      await upstreamUntouchedBy(
        async () => (error = await rejection(sdk.beta.threads.createAndRun({ assistant_id: "asst_abc" }))),
      ),
    ).toBe(true);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as Error).message).toMatch(/exp/);
    const events = await gatewayFetch(`${GATEWAY}/v1/threads/${UNKNOWN_THREAD}/runs/${UNKNOWN_RUN}/events`, {
      headers: { authorization: `Bearer ${await jwt({ expiresIn: null })}` },
    });
    expect(events.status).toBe(401);
  });

  it("subscriptions and the WebSocket upgrade refuse it too", async () => {
    const token = await jwt({ sub: uniqueTenant("noexp"), expiresIn: null });
    const sse = await subscribeOnce(sseAs(token), { thread_id: UNKNOWN_THREAD, run_id: UNKNOWN_RUN });
    expect(sse.error?.data?.code).toBe("UNAUTHORIZED");
    expect(sse.events).toEqual([]);
    const ws = await upgrade(`/ws/threads/${UNKNOWN_THREAD}/runs/${UNKNOWN_RUN}`, {
      upgrade: "websocket",
      authorization: `Bearer ${token}`,
    });
    expect(ws.status).toBe(401);
    expect(ws.webSocket).toBeNull();
  });
});

describe("with RUNCAST_JWT_MAX_AGE", () => {
  const app = gatewayApp();
  const withMaxAge = (maxAge: string | undefined) =>
    ((input: RequestInfo | URL, init?: RequestInit) =>
      app.request(input instanceof Request ? input : String(input), init, {
        ...env,
        RUNCAST_JWT_MAX_AGE: maxAge,
      } as GatewayEnv)) as typeof fetch;
  const clientWith = (maxAge: string | undefined, token: string) =>
    createRuncastClient({ url: GATEWAY, fetch: withMaxAge(maxAge), token });

  it("a token without `exp` is accepted while its `iat` is within the max age", async () => {
    const assistantId = (
      await emulatorSdk().beta.assistants.create({ model: "gpt-4o", name: "Plain", instructions: "Answer briefly." })
    ).id;
    const client = clientWith("15m", await jwt({ sub: uniqueTenant("maxage"), expiresIn: null, issuedIn: -60 }));
    const run = await createCall(client, assistantId);
    expect(run.thread_id).toMatch(/^thread_/);
    await waitForRun(run.thread_id, run.id);
    // Seconds work as well as a duration.
    const page = await clientWith("900", await jwt({ sub: uniqueTenant("maxage"), expiresIn: null }))
      .runs.list.query({ thread_id: UNKNOWN_THREAD })
      .catch((error: RuncastError) => error);
    expect((page as RuncastError).data?.code).toBe("NOT_FOUND");
  });

  it("refused once `iat` is older than the max age (even with a later `exp`), and without `iat`; no upstream call", async () => {
    const cases: Array<[string, Parameters<typeof jwt>[0], RegExp]> = [
      ["iat 20 minutes ago, no exp", { expiresIn: null, issuedIn: -20 * 60 }, /older than this gateway accepts/],
      [
        "iat 20 minutes ago, exp in an hour",
        { expiresIn: 3600, issuedIn: -20 * 60 },
        /older than this gateway accepts/,
      ],
      ["no iat and no exp", { expiresIn: null, issuedIn: null }, /no issue time \(`iat`\)/],
    ];
    for (const [name, options, message] of cases) {
      const client = clientWith("15m", await jwt({ sub: uniqueTenant("maxage"), ...options }));
      let error: RuncastError | undefined;
      expect(await upstreamUntouchedBy(async () => (error = await rpcError(createCall(client)))), name).toBe(true);
      expect(error?.data?.code, name).toBe("UNAUTHORIZED");
      expect(error?.message, name).toMatch(message);
    }
    const rest = await withMaxAge("15m")(`${GATEWAY}/v1/threads/${UNKNOWN_THREAD}/runs`, {
      headers: { authorization: `Bearer ${await jwt({ expiresIn: null, issuedIn: -3600 })}` },
    });
    expect(rest.status).toBe(401);
  });

  it("a value that is not a duration is SERVICE_UNAVAILABLE naming the setting, not a refused token", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    for (let call = 0; call < 2; call++) {
      const error = await rpcError(
        clientWith("soon-ish", await jwt({ sub: uniqueTenant("maxage") })).runs.list.query({
          thread_id: UNKNOWN_THREAD,
        }),
      );
      expect(error.data?.code).toBe("SERVICE_UNAVAILABLE");
      expect(error.message).toContain("RUNCAST_JWT_MAX_AGE");
      expect(error.message).not.toContain("soon-ish");
    }
  });

  it("reads durations as jose does: seconds, or a number with a unit", () => {
    expect(["900", "15m", "15 minutes", "0.25h", "1d", "1w", "30s", " 2 hrs "].map(durationSeconds)).toEqual([
      900, 900, 900, 900, 86_400, 604_800, 30, 7200,
    ]);
    for (const bad of ["", "soon", "-5m", "15 m s", "0", "0.1s", "15m ago", "1e3"])
      expect(durationSeconds(bad), bad).toBeNull();
  });
});

describe("Principal.expiresAt: when the credential stops being valid", () => {
  /** The token and the ms epoch its `exp` and `iat` (plus `maxAge` seconds) stand for. */
  async function token(options: Parameters<typeof jwt>[0], maxAge = 0) {
    const value = await jwt(options);
    const { exp, iat } = decodeJwt(value);
    return {
      value,
      exp: exp === undefined ? undefined : exp * 1000,
      ageEnd: iat === undefined ? undefined : (iat + maxAge) * 1000,
    };
  }

  it("a JWT's `exp`, or the earlier of `exp` and `iat` plus the max age; null for API keys and `none` mode", async () => {
    const plain = await token({ expiresIn: 300 });
    expect((await authenticate(env as GatewayEnv, plain.value)).expiresAt).toBe(plain.exp);
    const maxAge = { ...env, RUNCAST_JWT_MAX_AGE: "10m" } as GatewayEnv;
    const noExp = await token({ expiresIn: null, issuedIn: -60 }, 600);
    expect((await authenticate(maxAge, noExp.value)).expiresAt).toBe(noExp.ageEnd);
    const expFirst = await token({ expiresIn: 120, issuedIn: -60 }, 600);
    expect((await authenticate(maxAge, expFirst.value)).expiresAt).toBe(expFirst.exp);
    const ageFirst = await token({ expiresIn: 3600 }, 600);
    expect((await authenticate(maxAge, ageFirst.value)).expiresAt).toBe(ageFirst.ageEnd);
    expect((await authenticate(env as GatewayEnv, API_KEYS.globex)).expiresAt).toBeNull();
    expect((await authenticate({ ...env, RUNCAST_AUTH_MODE: "none" } as GatewayEnv, null)).expiresAt).toBeNull();
  });
});
