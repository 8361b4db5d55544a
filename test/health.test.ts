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
    expect(await response.json()).toEqual({ status: "ok", upstream: "emulator" });
  });

  it("reports openai, azure or a custom base URL, and never the key", async () => {
    const cases: Array<[Partial<GatewayEnv>, string]> = [
      [{ OPENAI_API_KEY: SECRET }, "openai"],
      [
        { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: `https://user:${SECRET}@llm.example.com/v1/?api-key=${SECRET}` },
        "https://llm.example.com/v1",
      ],
      [{ AZURE_OPENAI_ENDPOINT: "https://contoso.openai.azure.com", AZURE_OPENAI_API_KEY: SECRET }, "azure"],
    ];
    for (const [overrides, upstream] of cases) {
      const { status, text } = await health(overrides);
      expect(status).toBe(200);
      expect(JSON.parse(text)).toEqual({ status: "ok", upstream });
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
});

describe("upstream selection", () => {
  it("prefers an OpenAI key, then Azure, then the emulator", () => {
    const emulator = env.EMULATOR!;
    const azure = { AZURE_OPENAI_ENDPOINT: "https://contoso.openai.azure.com", AZURE_OPENAI_API_KEY: "az" };
    expect(selectUpstream({ EMULATOR: emulator, OPENAI_API_KEY: "k", ...azure }).kind).toBe("openai");
    expect(selectUpstream({ EMULATOR: emulator, ...azure })).toMatchObject({
      kind: "azure",
      apiVersion: "2024-10-01-preview",
    });
    expect(selectUpstream({ EMULATOR: emulator, AZURE_OPENAI_ENDPOINT: "https://contoso.openai.azure.com" }).kind).toBe(
      "emulator",
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
