// What a caller is told when the gateway itself is at fault: a key setting that cannot be used is SERVICE_UNAVAILABLE (503)
// naming the setting, never quoting it, on every call until it is fixed; a plain Error thrown inside the gateway reaches
// no client with its message, over tRPC (queries and subscriptions) or REST.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { gatewayApp } from "../../src/app";
import { createRuncastClient } from "../../src/client";
import type { GatewayEnv } from "../../src/env";
import { GATEWAY } from "../helpers/emulator";
import { rpcError } from "../helpers/runcast";
import { jwt, trpcQueryUrl, uniqueTenant, upstreamUntouchedBy } from "../helpers/secure";
import { generateKeyPair, SignJWT } from "jose";
import { API_KEYS, JWT_AUDIENCE, JWT_ISSUER } from "./fixtures";

afterEach(() => {
  vi.restoreAllMocks();
});

const app = gatewayApp();
/** A fetch into the gateway's app with some settings changed (Durable Objects keep the project's). */
const overridden = (overrides: Record<string, unknown>) =>
  ((input: RequestInfo | URL, init?: RequestInit) =>
    app.request(input instanceof Request ? input : String(input), init, {
      ...env,
      ...overrides,
    } as GatewayEnv)) as typeof fetch;
const clientWith = (overrides: Record<string, unknown>, token?: string) =>
  createRuncastClient({ url: GATEWAY, fetch: overridden(overrides), ...(token ? { token } : {}) });

/** A well-formed thread id that exists nowhere: a call on it that passes authentication is NOT_FOUND. */
const UNKNOWN_THREAD = `thread_unknown${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;

describe("a JWT key setting that cannot be used", () => {
  // Looks like a key set and holds a secret-looking value, but is cut off: not JSON.
  const BROKEN_JWKS = '{"keys":[{"kty":"oct","k":"c2VjcmV0LWtleS1tYXRlcmlhbC0xMjM0"';
  const CASES: Array<[string, Record<string, unknown>, string, string]> = [
    [
      "RUNCAST_JWKS that is not JSON",
      { RUNCAST_JWKS: BROKEN_JWKS },
      "RUNCAST_JWKS",
      "c2VjcmV0LWtleS1tYXRlcmlhbC0xMjM0",
    ],
    [
      "RUNCAST_JWKS that is JSON but not a key set",
      { RUNCAST_JWKS: '{"kid":"secret-kid-4242"}' },
      "RUNCAST_JWKS",
      "secret-kid-4242",
    ],
    [
      "RUNCAST_JWKS_URL that is not a URL",
      { RUNCAST_JWKS_URL: "idp.internal.example:secret-path-77" },
      "RUNCAST_JWKS_URL",
      "secret-path-77",
    ],
  ];

  it.each(CASES)(
    "%s: SERVICE_UNAVAILABLE (503) naming the setting on two calls in a row, never quoting it, no upstream call",
    async (_name, settings, name, content) => {
      vi.spyOn(console, "error").mockImplementation(() => undefined);
      const client = clientWith(settings, await jwt({ sub: uniqueTenant("cfg") }));
      const errors: Awaited<ReturnType<typeof rpcError>>[] = [];
      const untouched = await upstreamUntouchedBy(async () => {
        for (let call = 0; call < 2; call++)
          errors.push(
            await rpcError(
              client.runs.createThreadAndRun.mutate({
                assistant_id: "asst_abc",
                thread: { messages: [{ role: "user", content: "Hi" }] },
              }),
            ),
          );
      });
      expect(untouched).toBe(true);
      for (const error of errors) {
        expect(error.data?.code).toBe("SERVICE_UNAVAILABLE");
        expect(error.data?.httpStatus).toBe(503);
        expect(error.message).toContain(name);
        expect(JSON.stringify(error.shape)).not.toContain(content);
      }
      // REST the same, in the upstream's error shape.
      const rest = await overridden(settings)(`${GATEWAY}/v1/threads/${UNKNOWN_THREAD}/runs`, {
        headers: { authorization: `Bearer ${await jwt({ sub: uniqueTenant("cfg") })}` },
      });
      expect(rest.status).toBe(503);
      const text = await rest.text();
      expect(text).toContain(name);
      expect(text).not.toContain(content);
    },
  );

  it("a RUNCAST_JWKS_URL that cannot be reached is SERVICE_UNAVAILABLE (503), not the caller's UNAUTHORIZED", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    // Loopback, nothing listening: the key set cannot be fetched.
    const { privateKey } = await generateKeyPair("ES256");
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setSubject(uniqueTenant("cfg"))
      .setIssuer(JWT_ISSUER)
      .setAudience(JWT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    const client = clientWith({ RUNCAST_JWKS_URL: "http://127.0.0.1:9/jwks.json" }, token);
    for (let call = 0; call < 2; call++) {
      const error = await rpcError(client.runs.list.query({ thread_id: UNKNOWN_THREAD }));
      expect(error.data?.code).toBe("SERVICE_UNAVAILABLE");
      expect(error.message).toContain("RUNCAST_JWKS_URL");
    }
  });

  it("API keys still work meanwhile (jwt,keys), and once the setting is fixed JWTs are accepted again", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const broken = { RUNCAST_JWKS: "not json at all" };
    expect(
      (
        await rpcError(
          clientWith(broken, await jwt({ sub: uniqueTenant("cfg") })).runs.list.query({ thread_id: UNKNOWN_THREAD }),
        )
      ).data?.code,
    ).toBe("SERVICE_UNAVAILABLE");
    expect(
      (await rpcError(clientWith(broken, API_KEYS.acme).runs.list.query({ thread_id: UNKNOWN_THREAD }))).data?.code,
    ).toBe("NOT_FOUND");
    const fixed = await rpcError(
      clientWith({ RUNCAST_JWKS: undefined }, await jwt({ sub: uniqueTenant("cfg") })).runs.list.query({
        thread_id: UNKNOWN_THREAD,
      }),
    );
    expect(fixed.data?.code).toBe("NOT_FOUND");
  });
});

describe("a plain Error thrown inside the gateway", () => {
  const DETAIL = "rate limiter shard 7 at 10.0.0.3 refused: token=internal-4c1d";
  /** A binding that fails as a platform fault would: with a message meant for logs, not for callers. */
  const failing = { TENANT_RATE_LIMIT: { limit: () => Promise.reject(new Error(DETAIL)) } };

  it("tRPC: INTERNAL_SERVER_ERROR with a generic message, on a query, a batch and a subscription", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const token = await jwt({ sub: uniqueTenant("boom") });
    const error = await rpcError(clientWith(failing, token).runs.list.query({ thread_id: UNKNOWN_THREAD }));
    expect(error.data?.code).toBe("INTERNAL_SERVER_ERROR");
    expect(error.data?.httpStatus).toBe(500);
    expect(error.message).toBe("The gateway failed to handle this request.");
    expect(JSON.stringify(error.shape)).not.toContain(DETAIL);

    const headers = { authorization: `Bearer ${token}` };
    const batch = await overridden(failing)(
      `${GATEWAY}/trpc/runs.list,threads.messages.list?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { thread_id: UNKNOWN_THREAD }, 1: { thread_id: UNKNOWN_THREAD } }))}`,
      { headers },
    );
    const subscription = await overridden(failing)(
      trpcQueryUrl("runs.events", { thread_id: UNKNOWN_THREAD, run_id: "run_abc" }),
      { headers },
    );
    for (const response of [batch, subscription]) {
      const text = await response.text();
      expect(text).toMatch(/The gateway failed to handle this request\./);
      expect(text).not.toContain(DETAIL);
    }
  });

  it("REST: 500 server_error with the same generic message", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const response = await overridden(failing)(`${GATEWAY}/v1/threads/${UNKNOWN_THREAD}/runs`, {
      headers: { authorization: `Bearer ${await jwt({ sub: uniqueTenant("boom") })}` },
    });
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: { message: string; type: string } };
    expect(body.error).toMatchObject({ message: "The gateway failed to handle this request.", type: "server_error" });
  });
});
