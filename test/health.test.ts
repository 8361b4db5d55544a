// GET /health names the upstream in use, never a secret; the emulator is exposed only while it is the upstream.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { gatewayApp } from "../src/app";
import type { GatewayEnv } from "../src/env";
import { describeUpstream, selectUpstream } from "../src/providers/upstream";
import { GATEWAY, gatewayFetch } from "./helpers/emulator";

const SECRET = "sk-test-secret-0123456789";
const health = async (overrides: Partial<GatewayEnv>) => {
  const response = await gatewayApp().request("/health", {}, { ...env, ...overrides } as GatewayEnv);
  return { status: response.status, text: await response.text() };
};

describe("GET /health", () => {
  it("reports the emulator when no upstream key is configured (npm start, tests)", async () => {
    const response = await gatewayFetch(`${GATEWAY}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", provider: "assistants", upstream: "emulator" });
  });

  it("reports the provider and openai, a custom base URL or a Foundry project, and never a secret", async () => {
    const foundry = {
      RUNCAST_PROVIDER: "foundry",
      AZURE_AI_PROJECT_ENDPOINT: "https://contoso.services.ai.azure.com/api/projects/demo?sig=x",
      AZURE_TENANT_ID: "tenant",
      AZURE_CLIENT_ID: "client",
      AZURE_CLIENT_SECRET: SECRET,
    };
    const cases: Array<[Partial<GatewayEnv>, string, string]> = [
      [{ OPENAI_API_KEY: SECRET }, "assistants", "openai"],
      [
        { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: `https://user:${SECRET}@llm.example.com/v1/?api-key=${SECRET}` },
        "assistants",
        "https://llm.example.com/v1",
      ],
      [foundry, "foundry", "https://contoso.services.ai.azure.com/api/projects/demo"],
      [{ RUNCAST_PROVIDER: "foundry" }, "foundry", "emulator"],
    ];
    for (const [overrides, provider, upstream] of cases) {
      const { status, text } = await health(overrides);
      expect(status).toBe(200);
      expect(JSON.parse(text)).toEqual({ status: "ok", provider, upstream });
      expect(text).not.toContain(SECRET);
    }
  });

  it("answers 503 with a hint when nothing is configured (a production deploy without secrets)", async () => {
    const { status, text } = await health({ EMULATOR: undefined });
    expect(status).toBe(503);
    expect(JSON.parse(text)).toMatchObject({
      status: "unconfigured",
      upstream: null,
      hint: expect.stringContaining("OPENAI_API_KEY"),
    });
  });

  it("answers 503 naming the setting to change: retired Azure OpenAI settings, an unknown provider, a partial Foundry", async () => {
    const cases: Array<[Partial<GatewayEnv>, string, RegExp]> = [
      [
        { AZURE_OPENAI_ENDPOINT: "https://contoso.openai.azure.com", AZURE_OPENAI_API_KEY: SECRET },
        "AZURE_OPENAI_ENDPOINT",
        /retired on 2026-08-26.*RUNCAST_PROVIDER=foundry/,
      ],
      [{ RUNCAST_PROVIDER: "asistants" }, "RUNCAST_PROVIDER", /assistants, responses, foundry/],
      [
        { RUNCAST_PROVIDER: "foundry", AZURE_AI_PROJECT_ENDPOINT: "https://x.services.ai.azure.com/api/projects/p" },
        "AZURE_TENANT_ID",
        /missing: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET/,
      ],
    ];
    for (const [overrides, setting, hint] of cases) {
      const { status, text } = await health(overrides);
      expect(status).toBe(503);
      expect(JSON.parse(text)).toMatchObject({
        status: "misconfigured",
        upstream: null,
        setting,
        hint: expect.stringMatching(hint),
      });
      expect(text).not.toContain(SECRET);
    }
  });
});

describe("upstream selection", () => {
  it("a key for assistants and responses, the Entra app for foundry, else the emulator", () => {
    const emulator = env.EMULATOR!;
    expect(selectUpstream({ EMULATOR: emulator, OPENAI_API_KEY: "k" }).kind).toBe("openai");
    expect(selectUpstream({ EMULATOR: emulator, RUNCAST_PROVIDER: "responses", OPENAI_API_KEY: "k" }).kind).toBe(
      "openai",
    );
    // An OpenAI key does not make Foundry's upstream: without its own settings, foundry runs on the emulator.
    expect(selectUpstream({ EMULATOR: emulator, RUNCAST_PROVIDER: "foundry", OPENAI_API_KEY: "k" }).kind).toBe(
      "emulator",
    );
    expect(
      selectUpstream({
        EMULATOR: emulator,
        RUNCAST_PROVIDER: "foundry",
        AZURE_AI_PROJECT_ENDPOINT: "https://x.services.ai.azure.com/api/projects/p",
        AZURE_TENANT_ID: "t",
        AZURE_CLIENT_ID: "c",
        AZURE_CLIENT_SECRET: "s",
      }),
    ).toMatchObject({
      kind: "foundry",
      project: { apiVersion: "v1" },
      app: { authorityHost: "https://login.microsoftonline.com" },
    });
    expect(selectUpstream({ EMULATOR: emulator, AZURE_OPENAI_ENDPOINT: "https://contoso.openai.azure.com" }).kind).toBe(
      "misconfigured",
    );
    expect(selectUpstream({ EMULATOR: emulator, OPENAI_API_KEY: "  " }).kind).toBe("emulator");
    expect(describeUpstream(selectUpstream({}))).toBeNull();
  });
});

describe("/emulator mount", () => {
  it("serves the emulator's API while it is the upstream", async () => {
    const response = await gatewayFetch(`${GATEWAY}/emulator/v1/assistants`, {
      headers: { authorization: "Bearer x", "openai-beta": "assistants=v2" },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ object: "list" });
  });

  it("is not there when a real upstream is configured", async () => {
    const response = await gatewayApp().request(
      "/emulator/v1/assistants",
      { headers: { authorization: "Bearer x", "openai-beta": "assistants=v2" } },
      { ...env, OPENAI_API_KEY: SECRET } as GatewayEnv,
    );
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain(SECRET);
  });
});
