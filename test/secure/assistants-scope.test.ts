// Managing assistants needs runcast:assistants (admins have it): without it create, update and delete are FORBIDDEN before
// anything reaches the upstream. Seeing one follows the allow-lists of assistants.list: an assistant the caller may not run
// is NOT_FOUND, worded as one that does not exist. Naming the account's files on an assistant needs runcast:override.
import { env } from "cloudflare:workers";
import { NotFoundError, PermissionDeniedError } from "openai";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { gatewayApp } from "../../src/app";
import { createRuncastClient } from "../../src/client";
import type { GatewayEnv } from "../../src/env";
import { GATEWAY, emulatorSdk, gatewayFetch, resetEmulatorSettings } from "../helpers/emulator";
import { emulatorGet, rejection, rpcError } from "../helpers/runcast";
import { jwt, restAs, rpcAs, uniqueTenant, upstreamUntouchedBy } from "../helpers/secure";
import { API_KEYS } from "./fixtures";

afterEach(async () => {
  await resetEmulatorSettings();
});

/** An assistant made on the emulator itself, so no test here depends on the gateway to have one. */
let existing: string;
let manager: string;
let managerWithFiles: string;

beforeAll(async () => {
  existing = (await emulatorSdk().beta.assistants.create({ model: "gpt-4o", name: "Existing" })).id;
  manager = await jwt({ sub: uniqueTenant("builder"), scope: "runcast:assistants" });
  managerWithFiles = await jwt({ sub: uniqueTenant("builder"), scope: "runcast:assistants runcast:override" });
});

describe("runcast:assistants", () => {
  it.each([
    ["an API key with no scopes", () => API_KEYS.acme],
    ["an API key with runcast:override only", () => API_KEYS.globex],
    ["a JWT with other scopes", () => jwt({ sub: uniqueTenant("plain"), scope: "runcast:override other" })],
  ])(
    "%s: create, update and delete are FORBIDDEN, naming the scope, and the upstream is untouched",
    async (_who, token) => {
      const client = rpcAs(await token());
      const calls = [
        () => client.assistants.create.mutate({ model: "gpt-4o", name: "Mine" }),
        () => client.assistants.update.mutate({ assistant_id: existing, name: "Taken" }),
        () => client.assistants.delete.mutate({ assistant_id: existing }),
      ];
      for (const call of calls) {
        let error: Awaited<ReturnType<typeof rpcError>> | undefined;
        expect(await upstreamUntouchedBy(async () => (error = await rpcError(call())))).toBe(true);
        expect(error!.data?.code).toBe("FORBIDDEN");
        expect(error!.message).toContain("runcast:assistants");
      }
      expect(await emulatorGet(`/assistants/${existing}`)).toMatchObject({ name: "Existing" });
      // Reading is not managing: the same caller sees the assistant.
      expect((await client.assistants.retrieve.query({ assistant_id: existing })).name).toBe("Existing");
    },
  );

  it("over REST the SDK gets PermissionDeniedError (403), and the assistant is neither changed nor deleted", async () => {
    const client = restAs(API_KEYS.acme);
    for (const call of [
      () => client.beta.assistants.create({ model: "gpt-4o" }),
      () => client.beta.assistants.update(existing, { name: "Taken" }),
      () => client.beta.assistants.delete(existing),
    ]) {
      let error: unknown;
      expect(await upstreamUntouchedBy(async () => (error = await rejection(call())))).toBe(true);
      expect(error).toBeInstanceOf(PermissionDeniedError);
      expect((error as PermissionDeniedError).message).toContain("runcast:assistants");
    }
    expect(await emulatorGet(`/assistants/${existing}`)).toMatchObject({ name: "Existing" });
  });

  it("a JWT with the scope manages an assistant's whole life, over tRPC and REST; the admin key may too", async () => {
    const client = rpcAs(manager);
    const created = await client.assistants.create.mutate({ model: "gpt-4o", name: "Built", metadata: { by: "jwt" } });
    expect(created).toEqual(await emulatorGet(`/assistants/${created.id}`));
    const updated = await client.assistants.update.mutate({ assistant_id: created.id, name: "Rebuilt" });
    expect(updated.name).toBe("Rebuilt");
    expect(await client.assistants.delete.mutate({ assistant_id: created.id })).toMatchObject({ deleted: true });

    const rest = restAs(manager);
    const overRest = await rest.beta.assistants.create({ model: "gpt-4o", name: "Over REST" });
    expect((await rest.beta.assistants.update(overRest.id, { name: "Changed" })).name).toBe("Changed");
    expect(await rest.beta.assistants.delete(overRest.id)).toEqual({
      id: overRest.id,
      object: "assistant.deleted",
      deleted: true,
    });

    const admin = rpcAs(API_KEYS.admin);
    const byAdmin = await admin.assistants.create.mutate({ model: "gpt-4o", name: "By admin" });
    expect((await admin.assistants.delete.mutate({ assistant_id: byAdmin.id })).deleted).toBe(true);
  });

  it("naming the account's files on an assistant needs runcast:override as well", async () => {
    const input = {
      model: "gpt-4o",
      tools: [{ type: "file_search" as const }],
      tool_resources: { file_search: { vector_store_ids: ["vs_company_private"] } },
    };
    let error: Awaited<ReturnType<typeof rpcError>> | undefined;
    expect(
      await upstreamUntouchedBy(async () => (error = await rpcError(rpcAs(manager).assistants.create.mutate(input)))),
    ).toBe(true);
    expect(error!.data?.code).toBe("FORBIDDEN");
    expect(error!.message).toMatch(/^tool_resources: .*runcast:override/);
    expect(
      await upstreamUntouchedBy(
        async () =>
          (error = await rpcError(
            rpcAs(manager).assistants.update.mutate({
              assistant_id: existing,
              tool_resources: { code_interpreter: { file_ids: ["file_private"] } },
            }),
          )),
      ),
    ).toBe(true);
    expect(error!.data?.code).toBe("FORBIDDEN");

    const created = await rpcAs(managerWithFiles).assistants.create.mutate(input);
    expect(created.tool_resources).toEqual(input.tool_resources);
  });
});

describe("seeing an assistant follows the allow-lists", () => {
  it("outside a token's `assistants` claim an assistant is NOT_FOUND as a missing one, with no upstream call", async () => {
    const listed = (await emulatorSdk().beta.assistants.create({ model: "gpt-4o", name: "Listed" })).id;
    const client = rpcAs(await jwt({ sub: uniqueTenant("narrow"), assistants: [listed] }));
    expect((await client.assistants.retrieve.query({ assistant_id: listed })).name).toBe("Listed");

    let hidden: Awaited<ReturnType<typeof rpcError>> | undefined;
    expect(
      await upstreamUntouchedBy(
        async () => (hidden = await rpcError(client.assistants.retrieve.query({ assistant_id: existing }))),
      ),
    ).toBe(true);
    const missing = await rpcError(client.assistants.retrieve.query({ assistant_id: "asst_nowhere" }));
    expect(hidden!.data?.code).toBe("NOT_FOUND");
    expect(hidden!.message).toBe(`No assistant found with id '${existing}'.`);
    expect(hidden!.message.replace(existing, "<id>")).toBe(missing.message.replace("asst_nowhere", "<id>"));
    expect(JSON.stringify(hidden!.shape)).not.toContain("Existing");

    const rest = await rejection(
      restAs(await jwt({ sub: uniqueTenant("narrow"), assistants: [listed] })).beta.assistants.retrieve(existing),
    );
    expect(rest).toBeInstanceOf(NotFoundError);
  });

  it("a manager bound to a list cannot change or delete an assistant outside it: NOT_FOUND, upstream untouched", async () => {
    const client = rpcAs(
      await jwt({ sub: uniqueTenant("builder"), scope: "runcast:assistants", assistants: ["asst_other"] }),
    );
    for (const call of [
      () => client.assistants.update.mutate({ assistant_id: existing, name: "Taken" }),
      () => client.assistants.delete.mutate({ assistant_id: existing }),
    ]) {
      let error: Awaited<ReturnType<typeof rpcError>> | undefined;
      expect(await upstreamUntouchedBy(async () => (error = await rpcError(call())))).toBe(true);
      expect(error!.data?.code).toBe("NOT_FOUND");
    }
    expect(await emulatorGet(`/assistants/${existing}`)).toMatchObject({ name: "Existing" });
  });

  it("RUNCAST_ALLOWED_ASSISTANTS binds admins too", async () => {
    const app = gatewayApp();
    const settings = { ...env, RUNCAST_ALLOWED_ASSISTANTS: "asst_onlythisone" } as GatewayEnv;
    const admin = createRuncastClient({
      url: GATEWAY,
      token: API_KEYS.admin,
      fetch: ((input: RequestInfo | URL, init?: RequestInit) =>
        app.request(input instanceof Request ? input : String(input), init, settings)) as typeof fetch,
    });
    expect((await rpcError(admin.assistants.retrieve.query({ assistant_id: existing }))).data?.code).toBe("NOT_FOUND");
    expect((await rpcError(admin.assistants.delete.mutate({ assistant_id: existing }))).data?.code).toBe("NOT_FOUND");
    expect(await emulatorGet(`/assistants/${existing}`)).toMatchObject({ name: "Existing" });
  });

  it("no credential: UNAUTHORIZED for every assistant procedure, with no upstream call", async () => {
    const anonymous = rpcAs();
    for (const call of [
      () => anonymous.assistants.retrieve.query({ assistant_id: existing }),
      () => anonymous.assistants.create.mutate({ model: "gpt-4o" }),
      () => anonymous.assistants.delete.mutate({ assistant_id: existing }),
    ]) {
      let error: Awaited<ReturnType<typeof rpcError>> | undefined;
      expect(await upstreamUntouchedBy(async () => (error = await rpcError(call())))).toBe(true);
      expect(error!.data?.code).toBe("UNAUTHORIZED");
    }
  });

  it("browsers on an allowed origin may send DELETE (the SDK's assistants.delete and threads.delete)", async () => {
    const response = await gatewayFetch(`${GATEWAY}/v1/assistants/${existing}`, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example.com",
        "access-control-request-method": "DELETE",
        "access-control-request-headers": "authorization",
      },
    });
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(response.headers.get("access-control-allow-methods")).toContain("DELETE");
  });
});
