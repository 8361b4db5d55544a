// The Foundry provider on its own, against the emulator's classic-agents project endpoint: every call carries
// `api-version` and an Entra bearer token it got by the client-credentials flow, the token is cached and renewed
// before it expires, a 401 renews it once, Entra's refusal is the gateway's problem (BAD_GATEWAY, no secret echoed),
// and Azure's own tool and step types pass through.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { toTRPCError } from "../src/errors/upstream-errors";
import { UpstreamError } from "../src/errors/upstream-error";
import { foundryProvider } from "../src/providers/foundry/foundry-provider";
import type { Upstream } from "../src/providers/upstream";
import { WEATHER_TOOL } from "./helpers/emulator";
import { ENTRA, foundrySdk, foundryToken, resetEntraSettings, setEntraSettings } from "./helpers/foundry";
import { sleep, streamedContinuation, streamedRun } from "./helpers/runcast";

const ORIGIN = "http://emulator.runcast.internal";
const upstream = (clientSecret = ENTRA.clientSecret): Extract<Upstream, { kind: "foundry" }> => ({
  kind: "foundry",
  project: { endpoint: `${ORIGIN}/api/projects/runcast-test`, apiVersion: "v1" },
  app: { tenantId: ENTRA.tenantId, clientId: ENTRA.clientId, clientSecret, authorityHost: ORIGIN },
});

/** The provider over the emulator binding, recording what it sends (and, optionally, spoiling a request first). */
function recordingProvider(
  options: {
    clientSecret?: string;
    spoil?: (request: Request) => Request;
    /** An answer of its own instead of the emulator's (null: the emulator answers). */
    intercept?: (request: Request) => Response | null;
  } = {},
) {
  const sent: Sent[] = [];
  const fetcher = async (input: RequestInfo | URL, init?: RequestInit) => {
    let request = new Request(input, init);
    if (options.spoil) request = options.spoil(request);
    const url = new URL(request.url);
    sent.push({
      path: url.pathname,
      apiVersion: url.searchParams.get("api-version"),
      authorization: request.headers.get("authorization"),
    });
    return options.intercept?.(request) ?? env.EMULATOR!.fetch(request);
  };
  return { sent, provider: foundryProvider(upstream(options.clientSecret), fetcher as typeof fetch) };
}

type Sent = { path: string; apiVersion: string | null; authorization: string | null };
const tokenRequests = (sent: Sent[]) => sent.filter((s) => s.path.endsWith("/oauth2/v2.0/token"));
const projectCalls = (sent: Sent[]) => sent.filter((s) => s.path.startsWith("/api/projects/"));

/** An agent with the weather function and a thread asking for it, made as Foundry's own callers make them. */
async function weatherAgentAndThread(text = "get_weather Paris") {
  const sdk = foundrySdk(await foundryToken());
  const agent = await sdk.beta.assistants.create({ model: "gpt-4o", tools: [WEATHER_TOOL] });
  const thread = await sdk.beta.threads.create({ messages: [{ role: "user", content: text }] });
  return { sdk, agent, thread };
}

afterEach(async () => {
  await resetEntraSettings();
});

describe("Foundry provider", () => {
  it("runs a tool round on the project endpoint, with api-version and one cached Entra token on every call", async () => {
    const { agent, thread } = await weatherAgentAndThread();
    const { sent, provider } = recordingProvider();

    const created = await streamedRun(await provider.streamRun(thread.id, { assistant_id: agent.id }));
    const { run: waiting } = await provider.retrieveRun(thread.id, created.id);
    expect(waiting.status).toBe("requires_action");
    const callId = waiting.required_action!.submit_tool_outputs.tool_calls[0]!.id;
    await streamedContinuation(
      await provider.streamSubmitToolOutputs(thread.id, created.id, [{ tool_call_id: callId, output: "rain" }]),
    );
    const { run: done } = await provider.retrieveRun(thread.id, created.id);
    expect(done.status).toBe("completed");
    const steps = await provider.listSteps(thread.id, created.id, { order: "asc" });
    expect(steps.data.map((step) => step.type)).toEqual(["tool_calls", "message_creation"]);

    expect(tokenRequests(sent)).toHaveLength(1);
    const calls = projectCalls(sent);
    expect(calls.length).toBeGreaterThanOrEqual(4);
    const bearer = calls[0]!.authorization;
    expect(bearer).toMatch(/^Bearer ey/);
    for (const call of calls) expect(call).toMatchObject({ apiVersion: "v1", authorization: bearer });
  });

  it("renews the token before it expires, mid-run", async () => {
    await setEntraSettings({ token_lifetime_seconds: 2 });
    const { agent, thread } = await weatherAgentAndThread();
    const { sent, provider } = recordingProvider();
    const created = await streamedRun(await provider.streamRun(thread.id, { assistant_id: agent.id }));
    await sleep(2_200);
    // The first token has expired upstream by now: the call succeeds because a new one was fetched first.
    const { run } = await provider.retrieveRun(thread.id, created.id);
    expect(run.status).toBe("requires_action");
    expect(tokenRequests(sent)).toHaveLength(2);
    const [first, second] = projectCalls(sent);
    expect(first!.authorization).not.toBe(second!.authorization);
  });

  it("after a 401, renews the token once and sends the call again", async () => {
    const { thread } = await weatherAgentAndThread();
    let spoiled = false;
    const { sent, provider } = recordingProvider({
      spoil: (request) => {
        if (spoiled || !new URL(request.url).pathname.startsWith("/api/projects/")) return request;
        spoiled = true;
        const headers = new Headers(request.headers);
        headers.set("authorization", "Bearer not-a-token");
        return new Request(request, { headers });
      },
    });
    const page = await provider.listRuns(thread.id, {});
    expect(page.data).toEqual([]);
    expect(tokenRequests(sent)).toHaveLength(2);
    expect(projectCalls(sent).map((call) => call.authorization === "Bearer not-a-token")).toEqual([true, false]);
  });

  it("Entra's refusal is BAD_GATEWAY that names its AADSTS code and never the secret, with no project call", async () => {
    const secret = "a-wrong-secret-that-must-not-leak";
    const { sent, provider } = recordingProvider({ clientSecret: secret });
    const failure = await provider.listRuns("thread_any", {}).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(UpstreamError);
    const refusal = toTRPCError(failure as UpstreamError);
    expect(refusal.code).toBe("BAD_GATEWAY");
    expect((failure as UpstreamError).message).toMatch(/AADSTS7000215/);
    expect(`${(failure as UpstreamError).message} ${refusal.message}`).not.toContain(secret);
    expect(projectCalls(sent)).toHaveLength(0);
  });

  it("passes Azure's tool types and steps through untouched", async () => {
    const sdk = foundrySdk(await foundryToken());
    const agent = await sdk.beta.assistants.create({
      model: "gpt-4o",
      tools: [{ type: "bing_grounding", bing_grounding: { search_configurations: [{ connection_id: "conn_1" }] } }],
    } as never);
    const thread = await sdk.beta.threads.create({
      messages: [{ role: "user", content: "bing_grounding lighthouses" }],
    });
    const { provider } = recordingProvider();
    const created = await streamedRun(await provider.streamRun(thread.id, { assistant_id: agent.id }));
    const steps = await provider.listSteps(thread.id, created.id, { order: "asc" });
    const toolStep = steps.data.find((step) => step.type === "tool_calls");
    const calls = (toolStep?.step_details as { tool_calls?: Array<{ type: string }> }).tool_calls ?? [];
    expect(calls.map((call) => call.type)).toEqual(["bing_grounding"]);
    expect((await provider.retrieveRun(thread.id, created.id)).run.tools).toEqual(agent.tools);
  });

  it("Entra busy (a 5xx) is not a credentials problem: the read is retried and succeeds", async () => {
    const { thread } = await weatherAgentAndThread();
    let failures = 1;
    const { sent, provider } = recordingProvider({
      intercept: (request) => {
        if (failures === 0 || !new URL(request.url).pathname.endsWith("/oauth2/v2.0/token")) return null;
        failures--;
        return Response.json({ error: "temporarily_unavailable" }, { status: 503 });
      },
    });
    expect((await provider.listRuns(thread.id, {})).data).toEqual([]);
    expect(tokenRequests(sent).length).toBe(2);
  });
});
