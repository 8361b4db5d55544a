// The /v1 REST surface with the official `openai` SDK unchanged: the same calls, the same objects the emulator holds, the same error classes.
import OpenAI, { APIError, BadRequestError, InternalServerError, NotFoundError, RateLimitError } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import {
  GATEWAY,
  emulatorRequest,
  emulatorSdk,
  gatewayFetch,
  resetEmulatorSettings,
  toolAssistantAndThread,
} from "./helpers/emulator";
import {
  SLOW_RUN,
  emulatorRunIds,
  heldGet,
  heldSdk,
  provider,
  rejection,
  restSdk,
  waitForRun,
  withoutRequestId,
} from "./helpers/runcast";

afterEach(async () => {
  await resetEmulatorSettings();
});

/** A tool assistant and a thread of its own holding one user message (made through Runcast), and the SDK on whoever
 * keeps them (`heldSdk`: the emulator, or Runcast's own records under `responses`) to compare against. */
const setup = async (text?: string) => ({ ...(await toolAssistantAndThread(text, restSdk())), sdk: heldSdk() });

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null; request_id?: string };
}

/** A plain request to the gateway's REST surface. */
const rest = (method: string, path: string, body?: string) =>
  gatewayFetch(`${GATEWAY}/v1${path}`, {
    method,
    body,
    headers: { "content-type": "application/json", "openai-beta": "assistants=v2", authorization: "Bearer x" },
  });

describe("runs through the SDK, unchanged", () => {
  it("createAndPoll completes, keeping the upstream's poll hint", async () => {
    const { sdk, assistant, thread } = await setup("Tell me about owls");
    const polls: Array<{ url: string; hint: string | null }> = [];
    const watching: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      const response = await gatewayFetch(request);
      if (request.method === "GET" && /\/runs\/run_[^/]+$/.test(new URL(request.url).pathname))
        polls.push({ url: request.url, hint: response.headers.get("openai-poll-after-ms") });
      return response;
    };
    const client = restSdk({ fetch: watching });
    // No pollIntervalMs: the SDK waits as long as the gateway's answers tell it (5 s between polls without a hint).
    const run = await client.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: assistant.id,
      metadata: { via: "rest" },
    });
    expect(run).toMatchObject({
      status: "completed",
      thread_id: thread.id,
      assistant_id: assistant.id,
      metadata: { via: "rest" },
    });
    expect(run).toEqual(await sdk.beta.threads.runs.retrieve(run.id, { thread_id: thread.id }));
    // Every poll's answer tells the SDK how long to wait (it would wait 5 s between polls without it).
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.map((poll) => poll.hint).filter((hint) => !/^\d+$/.test(hint ?? ""))).toEqual([]);

    const messages = await client.beta.threads.messages.list(thread.id, { run_id: run.id });
    expect(messages.data).toHaveLength(1);
    const part = messages.data[0]!.content[0];
    expect(part?.type === "text" && part.text.value).toMatch(/^You said: "Tell me about owls"\./);
  });

  it("retrieve and update answer the run the emulator holds", async () => {
    const { sdk, assistant, thread } = await setup();
    const client = restSdk();
    const created = await client.beta.threads.runs.create(thread.id, {
      assistant_id: assistant.id,
      instructions: "Be brief.",
      temperature: 0.2,
    });
    expect(created).toMatchObject({ instructions: "Be brief.", temperature: 0.2, status: "queued" });
    await waitForRun(thread.id, created.id);

    const { data: retrieved, response } = await client.beta.threads.runs
      .retrieve(created.id, { thread_id: thread.id })
      .withResponse();
    expect(retrieved).toEqual(await sdk.beta.threads.runs.retrieve(created.id, { thread_id: thread.id }));
    expect(response.headers.get("openai-poll-after-ms")).toMatch(/^\d+$/);
    // The JSON on the wire is the emulator's, byte for byte after parsing.
    expect(await (await rest("GET", `/threads/${thread.id}/runs/${created.id}`)).json()).toEqual(
      await heldGet(`/threads/${thread.id}/runs/${created.id}`),
    );

    const updated = await client.beta.threads.runs.update(created.id, {
      thread_id: thread.id,
      metadata: { reviewed: "yes" },
    });
    expect(updated.metadata).toEqual({ reviewed: "yes" });
    expect(updated).toEqual(await sdk.beta.threads.runs.retrieve(created.id, { thread_id: thread.id }));
  });

  it("list auto-paginates through 5 runs", async () => {
    const { sdk, assistant, thread } = await setup();
    const client = restSdk();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const run = await client.beta.threads.runs.createAndPoll(
        thread.id,
        { assistant_id: assistant.id },
        { pollIntervalMs: 10 },
      );
      expect(run.status).toBe("completed");
      ids.push(run.id);
    }
    const seen: string[] = [];
    let pages = 0;
    for await (const page of (await client.beta.threads.runs.list(thread.id, { limit: 2 })).iterPages()) {
      pages++;
      seen.push(...page.data.map((run) => run.id));
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());

    const all: OpenAI.Beta.Threads.Runs.Run[] = [];
    for await (const run of client.beta.threads.runs.list(thread.id, { limit: 2, order: "asc" })) all.push(run);
    expect(all.map((run) => run.id)).toEqual(ids);
    const held = await sdk.beta.threads.runs.list(thread.id, { limit: 100, order: "asc" });
    expect(all).toEqual(held.data);
    expect(await (await rest("GET", `/threads/${thread.id}/runs?limit=2&order=asc&after=${ids[1]}`)).json()).toEqual(
      await heldGet(`/threads/${thread.id}/runs?limit=2&order=asc&after=${ids[1]}`),
    );
  });

  it("submitToolOutputs and submitToolOutputsAndPoll take tool runs to completed", async () => {
    const { sdk, assistant, thread } = await setup("Please get_weather Bern");
    const client = restSdk();
    const first = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id },
      { pollIntervalMs: 10 },
    );
    expect(first.status).toBe("requires_action");
    const [call] = first.required_action!.submit_tool_outputs.tool_calls;
    expect(call!.function).toEqual({ name: "get_weather", arguments: JSON.stringify({ city: "Bern" }) });
    const submitted = await client.beta.threads.runs.submitToolOutputs(first.id, {
      thread_id: thread.id,
      tool_outputs: [{ tool_call_id: call!.id, output: "Snow" }],
    });
    expect(submitted).toMatchObject({ id: first.id, required_action: null });
    const done = await client.beta.threads.runs.poll(first.id, { thread_id: thread.id }, { pollIntervalMs: 10 });
    expect(done.status).toBe("completed");
    expect(done).toEqual(await sdk.beta.threads.runs.retrieve(first.id, { thread_id: thread.id }));

    await restSdk().beta.threads.messages.create(thread.id, { role: "user", content: "Now get_time Bern" });
    const second = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id },
      { pollIntervalMs: 10 },
    );
    expect(second.status).toBe("requires_action");
    const [timeCall] = second.required_action!.submit_tool_outputs.tool_calls;
    const completed = await client.beta.threads.runs.submitToolOutputsAndPoll(
      second.id,
      { thread_id: thread.id, tool_outputs: [{ tool_call_id: timeCall!.id, output: "14:00" }] },
      { pollIntervalMs: 10 },
    );
    expect(completed.status).toBe("completed");
    const reply = await client.beta.threads.messages.list(thread.id, { run_id: second.id });
    const part = reply.data[0]!.content[0];
    expect(part?.type === "text" && part.text.value).toMatch(/^get_time returned: 14:00\./);
  });

  it("cancel cancels an active run", async () => {
    const { assistant, thread } = await setup();
    const client = restSdk();
    const run = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, metadata: SLOW_RUN });
    const cancelling = await client.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
    expect(cancelling).toMatchObject({ id: run.id, status: "cancelling" });
    const cancelled = await client.beta.threads.runs.poll(run.id, { thread_id: thread.id }, { pollIntervalMs: 10 });
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled).toEqual(await waitForRun(thread.id, run.id));
  });

  it("steps.list, steps.retrieve and messages.list answer what the emulator holds", async () => {
    const { sdk, assistant, thread } = await setup("Tell me about kites");
    const client = restSdk();
    const run = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id },
      { pollIntervalMs: 10 },
    );

    const steps = await client.beta.threads.runs.steps.list(run.id, {
      thread_id: thread.id,
      include: ["step_details.tool_calls[*].file_search.results[*].content"],
    });
    const heldSteps = await sdk.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
    expect(steps.data).toEqual(heldSteps.data);
    expect(steps.data.map((step) => step.type)).toEqual(["message_creation"]);
    const step = await client.beta.threads.runs.steps.retrieve(steps.data[0]!.id, {
      thread_id: thread.id,
      run_id: run.id,
    });
    expect(step).toEqual(
      await sdk.beta.threads.runs.steps.retrieve(steps.data[0]!.id, { thread_id: thread.id, run_id: run.id }),
    );

    const messages = await client.beta.threads.messages.list(thread.id, { order: "asc" });
    expect(messages.data).toEqual((await sdk.beta.threads.messages.list(thread.id, { order: "asc" })).data);
    expect(messages.data.map((message) => message.role)).toEqual(["user", "assistant"]);
    expect(await (await rest("GET", `/threads/${thread.id}/messages?run_id=${run.id}`)).json()).toEqual(
      await heldGet(`/threads/${thread.id}/messages?run_id=${run.id}`),
    );
  });
});

describe("errors, as the SDK knows them", () => {
  it("an unknown assistant is a NotFoundError with the upstream's param and code", async () => {
    const { thread } = await setup();
    const error = await rejection(
      restSdk().beta.threads.runs.create(thread.id, { assistant_id: "asst_doesnotexist000000000" }),
    );
    expect(error).toBeInstanceOf(NotFoundError);
    const notFound = error as NotFoundError;
    expect(notFound).toMatchObject({ status: 404, param: "assistant_id", code: null, type: "invalid_request_error" });
    expect(notFound.message).toContain("No assistant found with id 'asst_doesnotexist000000000'");
    // The upstream's request id is passed on; under `responses` Runcast refuses it from its own records, asking nobody.
    if (provider !== "responses") expect(notFound.headers.get("x-upstream-request-id")).toMatch(/^req_/);
  });

  it("an unknown run is a NotFoundError with the upstream's body", async () => {
    const { thread } = await setup();
    const path = `/threads/${thread.id}/runs/run_doesnotexist00000000000`;
    const error = await rejection(
      restSdk().beta.threads.runs.retrieve("run_doesnotexist00000000000", { thread_id: thread.id }),
    );
    expect(error).toBeInstanceOf(NotFoundError);
    // Under `responses` Runcast keeps the runs, and its raw /v1 answer is the body to match.
    const held = await (provider === "responses" ? rest("GET", path) : emulatorRequest("GET", path)).then((r) =>
      r.json(),
    );
    expect(withoutRequestId((error as NotFoundError).error as ErrorBody["error"])).toEqual(
      withoutRequestId((held as ErrorBody).error),
    );
  });

  it("a refused input is a BadRequestError naming the field in .param; no upstream call", async () => {
    const { assistant, thread } = await setup();
    const client = restSdk();
    const tooHot = await rejection(
      client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, temperature: 5 }),
    );
    expect(tooHot).toBeInstanceOf(BadRequestError);
    expect(tooHot).toMatchObject({
      status: 400,
      param: "temperature",
      code: "invalid_value",
      type: "invalid_request_error",
    });
    expect((tooHot as BadRequestError).message).toContain("temperature: ");

    const metadata = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
    const tooMany = await rejection(
      client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, metadata }),
    );
    expect(tooMany).toMatchObject({ status: 400, param: "metadata" });

    const badLimit = await rejection(client.beta.threads.runs.list(thread.id, { limit: 0 }));
    expect(badLimit).toBeInstanceOf(BadRequestError);
    expect(badLimit).toMatchObject({ param: "limit" });
    const badOrder = await rejection(client.beta.threads.runs.list(thread.id, { order: "sideways" as "asc" }));
    expect(badOrder).toMatchObject({ status: 400, param: "order" });

    const badId = await rejection(
      rest("GET", `/threads/${encodeURIComponent("thread_x/../../assistants")}/runs`).then(async (response) => {
        throw { status: response.status, body: await response.json() };
      }),
    );
    expect(badId).toMatchObject({ status: 400, body: { error: { param: "thread_id", code: "invalid_value" } } });

    const badOutputs = await rejection(
      client.beta.threads.runs.submitToolOutputs("run_abc", { thread_id: thread.id, tool_outputs: [] }),
    );
    expect(badOutputs).toMatchObject({ status: 400, param: "tool_outputs" });

    expect(await emulatorRunIds(thread.id)).toEqual([]);
  });

  // Not under `responses`: the run is created straight on the emulator's Assistants API, which has no thread of Runcast's under `responses`.
  it.skipIf(provider === "responses")("a 429 is a RateLimitError carrying retry-after", async () => {
    // Created on the emulator directly: no hub of the gateway holds it, so the gateway's retrieve asks the upstream.
    const { assistant, thread } = await setup();
    const run = await emulatorSdk().beta.threads.runs.create(thread.id, {
      assistant_id: assistant.id,
      metadata: { emulator_http_errors: "429x1" },
    });
    const client = restSdk();
    const error = await rejection(client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id }));
    expect(error).toBeInstanceOf(RateLimitError);
    const limited = error as RateLimitError;
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(limited.code).toBe("rate_limit_exceeded");
    // Not retried by the gateway: the single armed 429 is what this call met; the next one passes.
    expect((await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id })).id).toBe(run.id);
    await waitForRun(thread.id, run.id);
  });

  // Not under `responses`: the run is created straight on the emulator's Assistants API, which has no thread of Runcast's under `responses`.
  it.skipIf(provider === "responses")(
    "an upstream that keeps failing is an InternalServerError (502) described by the gateway",
    async () => {
      const { assistant, thread } = await setup();
      const run = await emulatorSdk().beta.threads.runs.create(thread.id, {
        assistant_id: assistant.id,
        metadata: { emulator_http_errors: "500x3" },
      });
      const error = await rejection(restSdk().beta.threads.runs.steps.list(run.id, { thread_id: thread.id }));
      expect(error).toBeInstanceOf(InternalServerError);
      expect(error).toMatchObject({ status: 502, type: "server_error", code: "bad_gateway" });
      // The gateway's three attempts took all three faults.
      expect((await emulatorRequest("GET", `/threads/${thread.id}/runs/${run.id}`)).status).toBe(200);
    },
  );

  // Not under `responses`: it compares with the emulator's Assistants API refusing a second run, an upstream `responses` does not have.
  it.skipIf(provider === "responses")(
    "a second active run is refused with the upstream's 400, naming the run",
    async () => {
      const { assistant, thread } = await setup();
      const active = await emulatorSdk().beta.threads.runs.create(thread.id, {
        assistant_id: assistant.id,
        metadata: SLOW_RUN,
      });
      const error = await rejection(restSdk().beta.threads.runs.create(thread.id, { assistant_id: assistant.id }));
      // A stock SDK (2 retries) sends the create once, as it would to the upstream: a 400 is not retried (a 409 would be, twice).
      let posts = 0;
      const stock = new OpenAI({
        apiKey: "x",
        baseURL: `${GATEWAY}/v1`,
        fetch: (input, init) => (
          (posts += new Request(input, init).method === "POST" ? 1 : 0),
          gatewayFetch(input, init)
        ),
      });
      await rejection(stock.beta.threads.runs.create(thread.id, { assistant_id: assistant.id }));
      const stockPosts = posts;
      // What the upstream answers (and what code written against it catches): a 400, so a BadRequestError.
      const upstream = await emulatorRequest("POST", `/threads/${thread.id}/runs`, { assistant_id: assistant.id });
      expect(upstream.status).toBe(400);
      expect(await emulatorRunIds(thread.id)).toEqual([active.id]);
      await emulatorSdk().beta.threads.runs.cancel(active.id, { thread_id: thread.id });
      expect(error).toBeInstanceOf(APIError);
      expect((error as APIError).message).toContain(active.id);
      expect((error as APIError).status).toBe(400);
      expect(error).toBeInstanceOf(BadRequestError);
      expect(withoutRequestId((error as BadRequestError).error as ErrorBody["error"])).toEqual(
        ((await upstream.json()) as ErrorBody).error,
      );
      expect(stockPosts).toBe(1);
    },
  );

  it("an invalid JSON body is a 400 in the upstream's error shape", async () => {
    const { thread } = await setup();
    const response = await rest("POST", `/threads/${thread.id}/runs`, "{not json");
    expect(response.status).toBe(400);
    const body = (await response.json()) as ErrorBody;
    expect(body).toEqual({
      error: {
        message: expect.stringMatching(/parse the JSON body/),
        type: "invalid_request_error",
        param: null,
        code: null,
        request_id: response.headers.get("x-request-id"),
      },
    });

    const array = await rest("POST", `/threads/${thread.id}/runs`, "[1,2]");
    expect(array.status).toBe(400);
    expect(((await array.json()) as ErrorBody).error.type).toBe("invalid_request_error");
    expect(await emulatorRunIds(thread.id)).toEqual([]);
  });

  it("an unknown /v1 path is a 404 shaped as the upstream's", async () => {
    const response = await rest("GET", "/nope");
    expect(response.status).toBe(404);
    const upstream = await emulatorRequest("GET", "/nope");
    expect(upstream.status).toBe(404);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.request_id).toBe(response.headers.get("x-request-id"));
    expect({ error: withoutRequestId(body.error) }).toEqual(await upstream.json());

    const post = await rest("POST", "/threads/thread_abc/runs/run_abc/nothing", "{}");
    expect(post.status).toBe(404);
    expect(((await post.json()) as ErrorBody).error).toMatchObject({
      type: "invalid_request_error",
      param: null,
      code: null,
      message: expect.stringContaining("/v1/threads/thread_abc/runs/run_abc/nothing"),
    });

    const error = await rejection(restSdk().get("/assistants_or_not"));
    expect(error).toBeInstanceOf(NotFoundError);
  });

  it("a stream flag that is not a boolean is refused with param stream, and no run is created", async () => {
    const { assistant, thread } = await setup();
    const raw = await rest(
      "POST",
      `/threads/${thread.id}/runs`,
      JSON.stringify({ assistant_id: assistant.id, stream: "yes" }),
    );
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as ErrorBody).error).toMatchObject({ param: "stream", type: "invalid_request_error" });
    const error = await rejection(
      restSdk().beta.threads.runs.create(thread.id, { assistant_id: assistant.id, stream: "yes" as unknown as false }),
    );
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, param: "stream" });
    expect(await emulatorRunIds(thread.id)).toEqual([]);
  });
});
