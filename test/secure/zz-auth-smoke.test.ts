import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SignJWT } from "jose";
import { createRuncastClient } from "../../src/client";
import { createToolAssistant, emulatorSdk, GATEWAY, gatewayFetch } from "../helpers/emulator";
import { API_KEYS, JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET } from "./fixtures";

const jwt = (sub: string, scope = "") => new SignJWT({ scope }).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setIssuer(JWT_ISSUER).setAudience(JWT_AUDIENCE).setExpirationTime("5m").sign(new TextEncoder().encode(JWT_SECRET));

describe("auth smoke", () => {
  it("isolates tenants", async () => {
    expect((env as { RUNCAST_AUTH_MODE?: string }).RUNCAST_AUTH_MODE).toBe("jwt,keys");
    const assistant = await createToolAssistant(emulatorSdk());
    const acme = createRuncastClient({ url: GATEWAY, fetch: gatewayFetch as typeof fetch, token: await jwt("acme") });
    const globex = createRuncastClient({ url: GATEWAY, fetch: gatewayFetch as typeof fetch, token: API_KEYS.globex });
    const anon = createRuncastClient({ url: GATEWAY, fetch: gatewayFetch as typeof fetch });
    const run = await acme.runs.createThreadAndRun.mutate({ assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "hi" }] } });
    expect(run.thread_id).toMatch(/^thread_/);
    const e1 = await globex.runs.retrieve.query({ thread_id: run.thread_id, run_id: run.id }).catch((e) => e);
    expect(e1.data.code).toBe("NOT_FOUND");
    const e2 = await anon.runs.retrieve.query({ thread_id: run.thread_id, run_id: run.id }).catch((e) => e);
    expect(e2.data.code).toBe("UNAUTHORIZED");
    const ok = await acme.runs.retrieve.query({ thread_id: run.thread_id, run_id: run.id });
    expect(ok.id).toBe(run.id);
  });
});
