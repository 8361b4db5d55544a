// The emulated Microsoft Entra token endpoint and Foundry's front door: api-version, bearer tokens, their expiry, and
// the error bodies a caller's client has to recognise (Entra's OAuth errors, Azure's `{error: {code, message}}`).
import { afterEach, describe, expect, it } from "vitest";
import { GATEWAY, emulatorFetch, emulatorRequest } from "./helpers/emulator";
import {
  ENTRA,
  PROJECT,
  foundryRequest,
  foundryToken,
  requestToken,
  resetEntraSettings,
  setEntraSettings,
} from "./helpers/foundry";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const UNAUTHORIZED = {
  error: {
    code: "401",
    message:
      "Unauthorized. Access token is missing, invalid, audience is incorrect (https://ai.azure.com), or have expired.",
  },
};

/** Asserts Entra's error body: the OAuth error, the AADSTS code in the description and `error_codes`, and trace ids. */
async function expectEntraError(response: Response, status: number, error: string, code: number) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(
    ["correlation_id", "error", "error_codes", "error_description", "error_uri", "timestamp", "trace_id"].sort(),
  );
  expect(body.error).toBe(error);
  expect(body.error_codes).toEqual([code]);
  expect(body.error_description).toMatch(new RegExp(`^AADSTS${code}: .+\\r\\nTrace ID: [0-9a-f-]{36}\\r\\n`));
  expect(body.trace_id).toMatch(/^[0-9a-f-]{36}$/);
  return body as { error_description: string };
}

afterEach(async () => {
  await resetEntraSettings();
});

describe("Entra token endpoint", () => {
  it("issues a bearer token for the registered app and Foundry's scope, which the project paths accept", async () => {
    const response = await requestToken();
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["access_token", "expires_in", "ext_expires_in", "token_type"]);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599 });
    expect(body.access_token).toEqual(expect.any(String));

    const list = await foundryRequest("GET", "/assistants", undefined, { token: body.access_token as string });
    expect(list.status).toBe(200);
  });

  it("refuses a wrong client secret with invalid_client (401, AADSTS7000215)", async () => {
    const body = await expectEntraError(
      await requestToken({ client_secret: "not-the-secret" }),
      401,
      "invalid_client",
      7000215,
    );
    expect(body.error_description).toContain(`for a secret added to app '${ENTRA.clientId}'`);
  });

  it("refuses a scope without /.default (AADSTS1002012) and a resource other than Foundry's (AADSTS500011)", async () => {
    await expectEntraError(
      await requestToken({ scope: "https://ai.azure.com/user_impersonation" }),
      400,
      "invalid_scope",
      1002012,
    );
    const other = await expectEntraError(
      await requestToken({ scope: "https://example.invalid/.default" }),
      400,
      "invalid_resource",
      500011,
    );
    expect(other.error_description).toContain("https://example.invalid");
  });

  it("refuses an unknown client, an unknown tenant, another grant type and a missing parameter as Entra does", async () => {
    await expectEntraError(
      await requestToken({ client_id: "22222222-0000-4000-8000-000000000000" }),
      400,
      "unauthorized_client",
      700016,
    );
    await expectEntraError(
      await requestToken({}, "99999999-0000-4000-8000-000000000000"),
      400,
      "invalid_request",
      90002,
    );
    await expectEntraError(await requestToken({ grant_type: "password" }), 400, "unsupported_grant_type", 70003);
    await expectEntraError(await requestToken({ client_secret: "" }), 401, "invalid_client", 7000218);
    const noForm = await emulatorFetch(`${GATEWAY}/emulator/${ENTRA.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_type: "client_credentials" }),
    });
    const missing = await expectEntraError(noForm, 400, "invalid_request", 900144);
    expect(missing.error_description).toContain("'grant_type'");
  });
});

describe("bearer tokens on the project paths", () => {
  it("answers 401 with Azure's body when the token is missing, malformed, tampered with, or an OpenAI-style key", async () => {
    const token = await foundryToken();
    const [header, payload, signature] = token.split(".");
    const tampered = `${header}.${payload}.${signature!.slice(0, -2)}${signature!.endsWith("AA") ? "BB" : "AA"}`;
    for (const bad of [undefined, "not-a-jwt", tampered, "sk-test-key"]) {
      const response = await foundryRequest("GET", "/assistants", undefined, { token: bad });
      expect(response.status, String(bad)).toBe(401);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await response.json()).toEqual(UNAUTHORIZED);
    }
  });

  it("a token stops working once its lifetime (set through /admin/entra) has passed", async () => {
    await setEntraSettings({ token_lifetime_seconds: 2 });
    const issued = (await (await requestToken()).json()) as { access_token: string; expires_in: number };
    expect(issued.expires_in).toBe(2);
    const thread = await foundryRequest("POST", "/threads", {}, { token: issued.access_token });
    expect(thread.status).toBe(200);
    const { id } = (await thread.json()) as { id: string };

    await sleep(2100);
    const expired = await foundryRequest("GET", `/threads/${id}`, undefined, { token: issued.access_token });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual(UNAUTHORIZED);
    // A new token reaches the same thread: expiry ends the token, not the data.
    const again = await foundryRequest("GET", `/threads/${id}`, undefined, { token: await foundryToken() });
    expect(again.status).toBe(200);
  });

  it("/admin/entra refuses a lifetime outside 1..86400 seconds and DELETE restores the default", async () => {
    const bad = await emulatorFetch(`${GATEWAY}/emulator/admin/entra`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token_lifetime_seconds: 0 }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe("token_lifetime_seconds");
    await setEntraSettings({ token_lifetime_seconds: 60 });
    expect(await (await resetEntraSettings()).json()).toEqual({ token_lifetime_seconds: 3599 });
  });

  it("a Foundry token is not an OpenAI key: the /v1 paths keep their own authentication and beta header", async () => {
    const token = await foundryToken();
    const response = await emulatorRequest("GET", "/assistants", undefined, {
      authorization: `Bearer ${token}`,
      "openai-beta": "",
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("invalid_beta");
  });
});

describe("api-version", () => {
  it("is required on every project call: missing answers Azure's 400 BadRequest", async () => {
    const token = await foundryToken();
    const response = await foundryRequest("POST", "/threads", {}, { token, apiVersion: null });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: "BadRequest", message: "Missing required query parameter: api-version" },
    });
  });

  it("an unknown version answers 400 UnsupportedApiVersionValue naming the supported ones", async () => {
    const token = await foundryToken();
    const response = await foundryRequest("GET", "/assistants", undefined, { token, apiVersion: "2024-07-01-preview" });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        code: "UnsupportedApiVersionValue",
        message:
          "Unsupported api version '2024-07-01-preview'. The supported versions are 'v1', '2025-05-01', '2025-05-15-preview'",
      },
    });
  });

  it("v1, 2025-05-01 and 2025-05-15-preview are accepted, with no OpenAI-Beta header", async () => {
    const token = await foundryToken();
    for (const apiVersion of ["v1", "2025-05-01", "2025-05-15-preview"]) {
      const response = await foundryRequest("POST", "/threads", {}, { token, apiVersion });
      expect(response.status, apiVersion).toBe(200);
      expect(((await response.json()) as { object: string }).object).toBe("thread");
    }
  });

  it("a path the project does not have answers Azure's 404", async () => {
    const token = await foundryToken();
    const response = await emulatorFetch(`${PROJECT}/vector_stores_nope?api-version=v1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "404", message: "Resource not found" } });
  });
});
