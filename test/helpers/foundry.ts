// Test access to the emulator's Azure AI Foundry classic-agents surface: Entra tokens, raw project calls, and the
// official openai SDK pointed at a project endpoint as Foundry's callers point it.
import OpenAI from "openai";
import { GATEWAY, emulatorFetch, readSse } from "./emulator";

/** The emulator's Entra app registration: the test-only values vitest.config.ts gives the emulator Worker. */
export const ENTRA = {
  tenantId: "00000000-0000-4000-8000-00000000e001",
  clientId: "11111111-2222-4333-8444-000000000001",
  clientSecret: "emulator-test-only-client-secret",
  scope: "https://ai.azure.com/.default",
};

/** A project endpoint, `https://<resource>.services.ai.azure.com/api/projects/<project>` in Azure. */
export const PROJECT = `${GATEWAY}/emulator/api/projects/runcast-test`;

/** Asks the emulated Entra token endpoint, with the registered app's credentials unless a field is overridden. */
export function requestToken(
  fields: Partial<Record<"grant_type" | "client_id" | "client_secret" | "scope", string>> = {},
  tenant = ENTRA.tenantId,
) {
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: ENTRA.clientId,
    client_secret: ENTRA.clientSecret,
    scope: ENTRA.scope,
    ...fields,
  });
  return emulatorFetch(`${GATEWAY}/emulator/${tenant}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  });
}

/** A fresh bearer token for Foundry. */
export async function foundryToken(): Promise<string> {
  const response = await requestToken();
  if (!response.ok) throw new Error(`token refused: ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Plain HTTP to a project path (`/threads/…`), with `api-version` and the bearer token; no OpenAI-Beta header. */
export function foundryRequest(
  method: string,
  path: string,
  body?: unknown,
  { token, apiVersion = "v1" }: { token?: string; apiVersion?: string | null } = {},
) {
  const url = new URL(`${PROJECT}${path}`);
  if (apiVersion !== null) url.searchParams.set("api-version", apiVersion);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  return emulatorFetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** A JSON call that must succeed; answers the body. */
// Wire answers are read loosely on purpose: each test asserts the exact shape it cares about.
type Loose = Record<string, any>;

export async function foundryJson<T = Loose>(
  token: string,
  method: string,
  path: string,
  body?: unknown,
  apiVersion = "v1",
): Promise<T> {
  const response = await foundryRequest(method, path, body, { token, apiVersion });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** The SSE events of a streaming project call that must succeed, data parsed. */
export async function foundryStream(token: string, path: string, body: unknown) {
  const response = await foundryRequest("POST", path, { ...(body as object), stream: true }, { token });
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
  // `[DONE]` has no JSON: its data is an empty object here, the event name (`done`) says what it was.
  return (await readSse(response)).map(({ event, data }) => ({
    event,
    data: data === "[DONE]" ? {} : (JSON.parse(data) as Loose),
  }));
}

/** The official SDK as Foundry's docs point it: the project endpoint, `api-version` on every call, an Entra token. */
export function foundrySdk(token: string, apiVersion = "v1") {
  return new OpenAI({
    apiKey: token,
    baseURL: PROJECT,
    defaultQuery: { "api-version": apiVersion },
    maxRetries: 0,
    fetch: emulatorFetch as typeof fetch,
  });
}

/** Sets the emulated Entra's token lifetime; `resetEntraSettings` puts the default (3599 s) back. */
export async function setEntraSettings(patch: Record<string, unknown>) {
  const response = await emulatorFetch(`${GATEWAY}/emulator/admin/entra`, {
    method: "PATCH",
    body: JSON.stringify(patch),
    headers: { "content-type": "application/json" },
  });
  if (!response.ok) throw new Error(`entra settings rejected: ${await response.text()}`);
  return response.json();
}

export const resetEntraSettings = () => emulatorFetch(`${GATEWAY}/emulator/admin/entra`, { method: "DELETE" });

/** Polls a run until it leaves queued/in_progress. */
export async function settledRun(token: string, threadId: string, runId: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const run = await foundryJson(token, "GET", `/threads/${threadId}/runs/${runId}`);
    if (run.status !== "queued" && run.status !== "in_progress") return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${String(run.status)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
