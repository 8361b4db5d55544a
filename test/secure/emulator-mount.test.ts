// The /emulator mount is not there with tenants (jwt, keys): through it anyone could read any tenant's thread by id, or
// change the emulator's faults for every run. It answers 404 to every method and credential, and exists in `none` mode.
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { gatewayApp } from "../../src/app";
import type { GatewayEnv } from "../../src/env";
import { emulatorSdk, GATEWAY, gatewayFetch, resetEmulatorSettings } from "../helpers/emulator";
import { emulatorSettings, waitForRun } from "../helpers/runcast";
import { jwt, rpcAs, uniqueTenant } from "../helpers/secure";
import { API_KEYS } from "./fixtures";

afterEach(async () => {
  await resetEmulatorSettings();
});

/** A thread acme created through Runcast, holding a message no one else may read. */
let threadId: string;
const SECRET_TEXT = "acme's quarterly numbers are 42";
const upstreamHeaders = {
  authorization: "Bearer test-key",
  "openai-beta": "assistants=v2",
  "content-type": "application/json",
};

beforeAll(async () => {
  const assistantId = (
    await emulatorSdk().beta.assistants.create({ model: "gpt-4o", name: "Plain", instructions: "Answer briefly." })
  ).id;
  const run = await rpcAs(await jwt({ sub: uniqueTenant("acme") })).runs.createThreadAndRun.mutate({
    assistant_id: assistantId,
    thread: { messages: [{ role: "user", content: SECRET_TEXT }] },
  });
  threadId = run.thread_id;
  await waitForRun(run.thread_id, run.id);
});

describe("/emulator in jwt,keys mode", () => {
  it("another tenant's thread cannot be read through it: 404, with any credential or none", async () => {
    for (const authorization of [
      upstreamHeaders.authorization,
      `Bearer ${await jwt({ sub: uniqueTenant("globex") })}`,
      `Bearer ${API_KEYS.globex}`,
    ]) {
      const response = await gatewayFetch(`${GATEWAY}/emulator/v1/threads/${threadId}/messages`, {
        headers: { ...upstreamHeaders, authorization },
      });
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain(SECRET_TEXT);
    }
  });

  it("its admin settings cannot be changed through it: 404, and the emulator's faults stay as they were", async () => {
    const before = await emulatorSettings();
    const response = await gatewayFetch(`${GATEWAY}/emulator/admin/settings`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ http_errors: { status: 500, count: 5, retry_after: 0 } }),
    });
    expect(response.status).toBe(404);
    expect(await emulatorSettings()).toEqual(before);
  });

  it("exists when authentication is `none` (the same Worker, RUNCAST_AUTH_MODE unset with the emulator as upstream)", async () => {
    const app = gatewayApp();
    for (const mode of ["none", undefined]) {
      const response = await app.request(`/emulator/v1/threads/${threadId}/messages`, { headers: upstreamHeaders }, {
        ...env,
        RUNCAST_AUTH_MODE: mode,
      } as GatewayEnv);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain(SECRET_TEXT);
    }
    const keys = await app.request(`/emulator/v1/threads/${threadId}/messages`, { headers: upstreamHeaders }, {
      ...env,
      RUNCAST_AUTH_MODE: "keys",
    } as GatewayEnv);
    expect(keys.status).toBe(404);
  });
});
