// Runs in every per-provider project (vitest.config.ts): the gateway really runs the provider the project selects, so
// the run tests that share this project prove that provider, not the default one.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { GATEWAY, gatewayFetch } from "./helpers/emulator";

describe("the provider this project runs", () => {
  it("is the one RUNCAST_PROVIDER names, on the emulator", async () => {
    const response = await gatewayFetch(`${GATEWAY}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "ok",
      provider: (env as { RUNCAST_PROVIDER?: string }).RUNCAST_PROVIDER ?? "assistants",
      upstream: "emulator",
    });
  });
});
