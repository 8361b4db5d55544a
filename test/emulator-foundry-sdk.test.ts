// The official openai SDK against Foundry's project endpoint, configured as Foundry's callers configure it: baseURL at
// the project, `defaultQuery: {"api-version": "v1"}`, an Entra token as the bearer. Each test is a caller's path.
import { AuthenticationError, BadRequestError } from "openai";
import type { Message } from "openai/resources/beta/threads/messages";
import type { FunctionToolCall } from "openai/resources/beta/threads/runs/steps";
import { beforeAll, describe, expect, it } from "vitest";
import { WEATHER_TOOL } from "./helpers/emulator";
import { foundrySdk, foundryToken } from "./helpers/foundry";

let token: string;
beforeAll(async () => {
  token = await foundryToken();
});

const textOf = (message: Message) =>
  message.content.map((part) => (part.type === "text" ? part.text.value : "")).join("");

describe("openai SDK on a Foundry project", () => {
  it("streams a run to a function call, then submitToolOutputsStream streams the reply that uses the output", async () => {
    const client = foundrySdk(token);
    const agent = await client.beta.assistants.create({ model: "gpt-4o", tools: [WEATHER_TOOL] });
    const thread = await client.beta.threads.create({
      messages: [{ role: "user", content: "Use get_weather: Paris." }],
    });

    const first = client.beta.threads.runs.stream(thread.id, { assistant_id: agent.id });
    const called: string[] = [];
    first.on("toolCallCreated", (call) => called.push(call.type === "function" ? call.function.name : call.type));
    const paused = await first.finalRun();
    expect(called).toEqual(["get_weather"]);
    expect(paused.status).toBe("requires_action");
    const [call] = paused.required_action!.submit_tool_outputs.tool_calls;
    expect(call!.function).toEqual({ name: "get_weather", arguments: JSON.stringify({ city: "Paris" }) });

    const second = client.beta.threads.runs.submitToolOutputsStream(paused.id, {
      thread_id: thread.id,
      tool_outputs: [{ tool_call_id: call!.id, output: "sunny, 21C" }],
    });
    let streamed = "";
    second.on("textDelta", (delta) => (streamed += delta.value ?? ""));
    const done = await second.finalRun();
    expect(done.status).toBe("completed");
    const [reply] = await second.finalMessages();
    expect(textOf(reply!)).toMatch(/^get_weather returned: sunny, 21C\./);
    expect(streamed).toBe(textOf(reply!));

    // The tool step keeps the output the SDK submitted.
    const steps = await client.beta.threads.runs.steps.list(paused.id, { thread_id: thread.id, order: "asc" });
    const toolStep = steps.data.find((step) => step.type === "tool_calls")!;
    const recorded = (toolStep.step_details as { tool_calls: FunctionToolCall[] }).tool_calls[0]!;
    expect(recorded.function.output).toBe("sunny, 21C");
  });

  it("createAndPoll completes a plain run, and auto-pagination walks v1 lists (no first_id) to the end", async () => {
    const client = foundrySdk(token);
    const agent = await client.beta.assistants.create({ model: "gpt-4o" });
    const thread = await client.beta.threads.create({
      messages: ["one", "two", "three"].map((content) => ({ role: "user" as const, content })),
    });
    const run = await client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: agent.id },
      { pollIntervalMs: 10 },
    );
    expect(run.status).toBe("completed");

    const texts: string[] = [];
    for await (const message of client.beta.threads.messages.list(thread.id, { limit: 1, order: "asc" }))
      texts.push(textOf(message));
    expect(texts.slice(0, 3)).toEqual(["one", "two", "three"]);
    expect(texts).toHaveLength(4);
    expect(texts[3]).toMatch(/^You said: "three"\./);
  });

  it("the SDK's AssistantStream takes Azure's steps (activities, mcp calls) and a submit_tool_approval pause", async () => {
    const client = foundrySdk(token);
    const agent = await client.beta.assistants.create({
      model: "gpt-4o",
      // Azure's tool type is not in the SDK's types; the SDK sends it as given.
      tools: [{ type: "mcp", server_label: "docs", server_url: "https://mcp.example.test/docs" } as never],
    });
    const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "Ask docs about alarms" }] });

    const stepTypes: string[] = [];
    const first = client.beta.threads.runs.stream(thread.id, { assistant_id: agent.id });
    first.on("runStepCreated", (step) => stepTypes.push(step.step_details.type));
    const paused = await first.finalRun();
    expect(stepTypes).toEqual(["activities", "tool_calls"]);
    expect(paused.status).toBe("requires_action");
    const action = paused.required_action as unknown as {
      type: string;
      submit_tool_approval: { tool_calls: Array<{ id: string; name: string; server_label: string }> };
    };
    expect(action.type).toBe("submit_tool_approval");
    const [call] = action.submit_tool_approval.tool_calls;
    expect(call).toMatchObject({ name: "search", server_label: "docs" });

    // `tool_approvals` is Azure's body field: the SDK passes it through with the stream flag it adds.
    const second = client.beta.threads.runs.submitToolOutputsStream(paused.id, {
      thread_id: thread.id,
      tool_approvals: [{ tool_call_id: call!.id, approve: true }],
    } as never);
    expect((await second.finalRun()).status).toBe("completed");
    const [reply] = await second.finalMessages();
    expect(textOf(reply!)).toMatch(/^docs\.search returned: 3 results from docs search for "about alarms"\./);
  });

  it("a key that is not an Entra token is the SDK's AuthenticationError, with Azure's code", async () => {
    const client = foundrySdk("sk-not-an-entra-token");
    const error = await client.beta.assistants.list().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).status).toBe(401);
    expect((error as AuthenticationError).code).toBe("401");
  });

  it("an unsupported api-version is the SDK's BadRequestError with Azure's code", async () => {
    const client = foundrySdk(token, "2024-07-01-preview");
    const error = await client.beta.threads.create().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).code).toBe("UnsupportedApiVersionValue");
  });
});
