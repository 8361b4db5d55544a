// assistants.list under an allow-list: when the upstream's first page holds no assistant the caller may run, the gateway
// reads on (up to 10 upstream pages per call) instead of answering an empty page with no cursor, and `after: last_id`
// continues exactly where the previous call stopped.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { gatewayApp } from "../../src/app";
import { createRuncastClient } from "../../src/client";
import type { GatewayEnv } from "../../src/env";
import { emulatorSdk, GATEWAY } from "../helpers/emulator";
import { jwt, rpcAs, uniqueTenant } from "../helpers/secure";
import { API_KEYS } from "./fixtures";

/** Listed newest first (the upstream's default order): 12 decoys, then the one allowed assistant, then an older decoy. */
let allowed: string;
let decoys: string[];
let older: string;

beforeAll(async () => {
  const sdk = emulatorSdk();
  const create = async (name: string) =>
    (await sdk.beta.assistants.create({ model: "gpt-4o", name, instructions: "Answer briefly." })).id;
  older = await create("Older decoy");
  allowed = await create("Allowed");
  decoys = [];
  for (let i = 0; i < 12; i++) decoys.push(await create(`Decoy ${i}`));
});

describe("assistants.list with an allow-list", () => {
  it("a token's `assistants` claim: the allowed assistant comes back although the first upstream pages hold none of it", async () => {
    const client = rpcAs(await jwt({ sub: uniqueTenant("list"), assistants: [allowed] }));
    const page = await client.assistants.list.query({ limit: 2 });
    expect(page.data.map((assistant) => assistant.id)).toEqual([allowed]);
    // The cursor goes on past everything examined: the rest holds nothing more for this caller.
    if (page.has_more) {
      expect(page.last_id).not.toBeNull();
      const rest = await client.assistants.list.query({ limit: 2, after: page.last_id! });
      expect(rest.data).toEqual([]);
    }
  });

  it("at most 10 upstream pages per call: an empty page with has_more and a cursor at the last assistant examined, from which the next call goes on", async () => {
    const client = rpcAs(await jwt({ sub: uniqueTenant("list"), assistants: [allowed] }));
    const first = await client.assistants.list.query({ limit: 1 });
    // Newest first, one per upstream page: the 10 newest decoys were examined.
    expect(first).toMatchObject({ data: [], has_more: true, last_id: decoys.at(-10) });
    const next = await client.assistants.list.query({ limit: 1, after: first.last_id! });
    expect(next.data.map((assistant) => assistant.id)).toEqual([allowed]);
    expect(next.last_id).toBe(allowed);
  });

  it("RUNCAST_ALLOWED_ASSISTANTS the same, for a credential with no list of its own; `before` pages backward", async () => {
    const app = gatewayApp();
    const settings = { ...env, RUNCAST_ALLOWED_ASSISTANTS: `${allowed},asst_notlistedanywhere` } as GatewayEnv;
    const client = createRuncastClient({
      url: GATEWAY,
      token: API_KEYS.globex,
      fetch: ((input: RequestInfo | URL, init?: RequestInit) =>
        app.request(input instanceof Request ? input : String(input), init, settings)) as typeof fetch,
    });
    expect((await client.assistants.list.query({ limit: 3 })).data.map((assistant) => assistant.id)).toEqual([allowed]);
    const backward = await client.assistants.list.query({ limit: 1, before: older });
    expect(backward).toMatchObject({ data: [{ id: allowed }], first_id: allowed, last_id: allowed });
  });

  it("a caller with no allow-list gets the upstream's own page", async () => {
    const page = await rpcAs(API_KEYS.admin).assistants.list.query({ limit: 3 });
    expect(page.data.map((assistant) => assistant.id)).toEqual(decoys.slice(-3).reverse());
    expect(page).toMatchObject({ first_id: decoys.at(-1), last_id: decoys.at(-3), has_more: true });
  });
});
