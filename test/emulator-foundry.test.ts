// Foundry classic agents on the wire: agents with Azure's tool types, the v1 list shape, grounding steps, MCP tool
// listing (`activities` steps), `submit_tool_approval` answered polled and streamed, and the emulator's faults.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { emulatorRequest, resetEmulatorSettings, setEmulatorSettings } from "./helpers/emulator";
import { foundryJson, foundryRequest, foundryStream, foundryToken, settledRun } from "./helpers/foundry";

type Json = Record<string, any>;

let token: string;
beforeAll(async () => {
  token = await foundryToken();
});
afterEach(async () => {
  await resetEmulatorSettings();
});

const MCP_DOCS = {
  type: "mcp",
  server_label: "docs",
  server_url: "https://mcp.example.test/docs",
  allowed_tools: ["search_docs"],
};
const BING = { type: "bing_grounding", bing_grounding: { search_configurations: [{ connection_id: "conn-bing" }] } };

const createAgent = (tools: unknown[], extra: Json = {}) =>
  foundryJson(token, "POST", "/assistants", { model: "gpt-4o", name: "Foundry agent", tools, ...extra });

/** A thread holding one user message, and a run of the agent on it (not streamed). */
async function startRun(agentId: string, text: string, run: Json = {}, thread: Json = {}) {
  const { id: threadId } = await foundryJson(token, "POST", "/threads", {
    messages: [{ role: "user", content: text }],
    ...thread,
  });
  const created = await foundryJson(token, "POST", `/threads/${threadId}/runs`, { assistant_id: agentId, ...run });
  return { threadId: threadId as string, runId: created.id as string };
}

const stepsOf = async (threadId: string, runId: string) =>
  (await foundryJson(token, "GET", `/threads/${threadId}/runs/${runId}/steps?order=asc`)).data as Json[];

async function replyText(threadId: string, runId: string) {
  const { data } = await foundryJson(token, "GET", `/threads/${threadId}/messages?run_id=${runId}`);
  return (data as Json[])[0]!.content[0].text.value as string;
}

describe("agents", () => {
  it("stores Azure-only tool types and passes them back unchanged", async () => {
    const agent = await createAgent([BING, MCP_DOCS, { type: "azure_ai_search" }]);
    expect(agent).toMatchObject({
      object: "assistant",
      model: "gpt-4o",
      tools: [BING, MCP_DOCS, { type: "azure_ai_search" }],
    });
    expect(agent.id).toMatch(/^asst_/);
    expect(await foundryJson(token, "GET", `/assistants/${agent.id}`)).toEqual(agent);
  });

  it("the Assistants API itself still refuses those types (the flavours validate apart)", async () => {
    const response = await emulatorRequest("POST", "/assistants", { model: "gpt-4o", tools: [BING] });
    expect(response.status).toBe(400);
  });

  it("an mcp tool needs its server_label and server_url, named by index among the other tools", async () => {
    const response = await foundryRequest(
      "POST",
      "/assistants",
      { model: "gpt-4o", tools: [BING, { type: "mcp", server_label: "docs" }] },
      { token },
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as Json).error).toMatchObject({
      param: "tools[1].server_url",
      code: "missing_required_parameter",
    });
  });

  it("lists are {data, last_id, has_more} in v1 and keep the Assistants list shape in the dated versions", async () => {
    await createAgent([]);
    const second = await createAgent([]);
    const v1 = await foundryJson(token, "GET", "/assistants?limit=1");
    expect(Object.keys(v1).sort()).toEqual(["data", "has_more", "last_id"]);
    expect(v1).toMatchObject({ last_id: second.id, has_more: true });
    expect(v1.data.map((a: Json) => a.id)).toEqual([second.id]);

    const preview = await foundryJson(token, "GET", "/assistants?limit=1", undefined, "2025-05-15-preview");
    expect(preview).toMatchObject({ object: "list", first_id: second.id, last_id: second.id, has_more: true });
  });
});

describe("grounding tools", () => {
  it("a message naming bing_grounding gets a completed bing_grounding call step, then a reply built on it", async () => {
    const agent = await createAgent([BING]);
    const { threadId, runId } = await startRun(agent.id, "Use bing_grounding cheap flights to Lisbon.");
    const run = await settledRun(token, threadId, runId);
    expect(run.status).toBe("completed");
    expect(run.required_action ?? null).toBeNull();

    const steps = await stepsOf(threadId, runId);
    expect(steps.map((step) => [step.type, step.status])).toEqual([
      ["tool_calls", "completed"],
      ["message_creation", "completed"],
    ]);
    const [call] = steps[0]!.step_details.tool_calls;
    expect(call).toEqual({
      id: expect.stringMatching(/^call_/),
      type: "bing_grounding",
      bing_grounding: { requesturl: "https://api.bing.microsoft.com/v7.0/search?q=cheap%20flights%20to%20Lisbon" },
    });
    expect(await replyText(threadId, runId)).toMatch(
      /^bing_grounding returned: web results for "cheap flights to Lisbon"\./,
    );
  });

  it("a message that does not name it leaves the tool unused: one message step, the plain reply", async () => {
    const agent = await createAgent([BING]);
    const { threadId, runId } = await startRun(agent.id, "Hello there");
    expect((await settledRun(token, threadId, runId)).status).toBe("completed");
    expect((await stepsOf(threadId, runId)).map((step) => step.type)).toEqual(["message_creation"]);
    expect(await replyText(threadId, runId)).toMatch(/^You said: "Hello there"\./);
  });
});

describe("MCP tools and submit_tool_approval", () => {
  it("a run lists the server's tools in an activities step, then waits in requires_action for approval", async () => {
    const agent = await createAgent([MCP_DOCS]);
    const { threadId, runId } = await startRun(agent.id, "Please search_docs durable objects.");
    const run = await settledRun(token, threadId, runId);
    expect(run.status).toBe("requires_action");
    const callId = run.required_action.submit_tool_approval.tool_calls[0].id;
    expect(run.required_action).toEqual({
      type: "submit_tool_approval",
      submit_tool_approval: {
        tool_calls: [
          {
            id: expect.stringMatching(/^call_/),
            type: "mcp",
            name: "search_docs",
            arguments: JSON.stringify({ query: "durable objects" }),
            server_label: "docs",
          },
        ],
      },
    });

    const [activities, approval] = await stepsOf(threadId, runId);
    expect(activities).toMatchObject({ type: "activities", status: "completed" });
    expect(activities!.step_details).toEqual({
      type: "activities",
      activities: [
        {
          type: "mcp_list_tools",
          id: expect.any(String),
          server_label: "docs",
          tools: {
            search_docs: {
              description: expect.any(String),
              parameters: expect.objectContaining({ type: "object", required: ["query"] }),
            },
          },
        },
      ],
    });
    expect(approval).toMatchObject({ type: "tool_calls", status: "in_progress" });
    expect(approval!.step_details.tool_calls).toEqual([
      {
        id: callId,
        type: "mcp",
        name: "search_docs",
        arguments: '{"query":"durable objects"}',
        server_label: "docs",
        output: null,
      },
    ]);
  });

  it("approved: the mcp step completes with the server's output and the reply reports it", async () => {
    const agent = await createAgent([MCP_DOCS]);
    const { threadId, runId } = await startRun(agent.id, "Please search_docs durable objects.");
    const waiting = await settledRun(token, threadId, runId);
    const callId = waiting.required_action.submit_tool_approval.tool_calls[0].id;

    const answered = await foundryJson(token, "POST", `/threads/${threadId}/runs/${runId}/submit_tool_outputs`, {
      tool_approvals: [{ tool_call_id: callId, approve: true, headers: { "x-docs-key": "test" } }],
    });
    expect(answered.status).toBe("queued");
    expect((await settledRun(token, threadId, runId)).status).toBe("completed");

    const steps = await stepsOf(threadId, runId);
    expect(steps.map((step) => [step.type, step.status])).toEqual([
      ["activities", "completed"],
      ["tool_calls", "completed"],
      ["message_creation", "completed"],
    ]);
    const output = '3 results from docs search_docs for "durable objects"';
    expect(steps[1]!.step_details.tool_calls[0].output).toBe(output);
    expect(await replyText(threadId, runId)).toMatch(new RegExp(`^docs\\.search_docs returned: ${output}\\.`));
  });

  it("denied: the call is never made (output null) and the run goes on to the plain reply", async () => {
    const agent = await createAgent([MCP_DOCS]);
    const { threadId, runId } = await startRun(agent.id, "Please search_docs durable objects.");
    const callId = (await settledRun(token, threadId, runId)).required_action.submit_tool_approval.tool_calls[0].id;
    await foundryJson(token, "POST", `/threads/${threadId}/runs/${runId}/submit_tool_outputs`, {
      tool_approvals: [{ tool_call_id: callId, approve: false }],
    });
    expect((await settledRun(token, threadId, runId)).status).toBe("completed");
    const steps = await stepsOf(threadId, runId);
    expect(steps[1]).toMatchObject({ type: "tool_calls", status: "completed" });
    expect(steps[1]!.step_details.tool_calls[0].output).toBeNull();
    expect(await replyText(threadId, runId)).toMatch(/^You said: "Please search_docs durable objects\."\./);
  });

  it("refuses tool outputs for an approval, approvals for unknown or missing calls, and a malformed approval", async () => {
    const agent = await createAgent([MCP_DOCS]);
    const { threadId, runId } = await startRun(agent.id, "Please search_docs durable objects.");
    const callId = (await settledRun(token, threadId, runId)).required_action.submit_tool_approval.tool_calls[0].id;
    const submit = (body: unknown) =>
      foundryRequest("POST", `/threads/${threadId}/runs/${runId}/submit_tool_outputs`, body, { token });
    const errorOf = async (body: unknown) => {
      const response = await submit(body);
      expect(response.status).toBe(400);
      return ((await response.json()) as Json).error;
    };

    expect(await errorOf({ tool_outputs: [{ tool_call_id: callId, output: "x" }] })).toMatchObject({
      param: "tool_outputs",
    });
    expect((await errorOf({ tool_approvals: [{ tool_call_id: "call_other", approve: true }] })).message).toContain(
      callId,
    );
    expect(await errorOf({ tool_approvals: [{ tool_call_id: callId }] })).toMatchObject({
      param: "tool_approvals[0].approve",
      code: "missing_required_parameter",
    });
    // Still waiting: none of the refusals moved the run.
    expect((await settledRun(token, threadId, runId)).status).toBe("requires_action");
  });

  it("streamed: the first stream ends at requires_action, the approval's stream runs on to completion", async () => {
    const agent = await createAgent([MCP_DOCS]);
    const { id: threadId } = await foundryJson(token, "POST", "/threads", {
      messages: [{ role: "user", content: "search_docs streaming" }],
    });
    const first = await foundryStream(token, `/threads/${threadId}/runs`, { assistant_id: agent.id });
    expect(first.map((e) => e.event)).toEqual([
      "thread.run.created",
      "thread.run.queued",
      "thread.run.in_progress",
      "thread.run.step.created",
      "thread.run.step.in_progress",
      "thread.run.step.completed",
      "thread.run.step.created",
      "thread.run.step.in_progress",
      "thread.run.requires_action",
      "done",
    ]);
    expect(first[3]!.data.step_details.type).toBe("activities");
    const waiting = first.at(-2)!.data as Json;
    expect(waiting.required_action.type).toBe("submit_tool_approval");

    const second = await foundryStream(token, `/threads/${threadId}/runs/${waiting.id}/submit_tool_outputs`, {
      tool_approvals: [{ tool_call_id: waiting.required_action.submit_tool_approval.tool_calls[0].id, approve: true }],
    });
    const events = second.map((e) => e.event);
    expect(events.slice(0, 3)).toEqual(["thread.run.step.completed", "thread.run.queued", "thread.run.in_progress"]);
    expect(events.slice(-3)).toEqual(["thread.run.step.completed", "thread.run.completed", "done"]);
    expect(second[0]!.data.step_details.tool_calls[0].output).toMatch(/^3 results from docs search_docs/);
    const deltas = second
      .filter((e) => e.event === "thread.message.delta")
      .map((e) => e.data.delta.content[0].text.value);
    expect(deltas.join("")).toMatch(/^docs\.search_docs returned: /);
  });

  it("approval first, then the model's own function call asks for outputs; each pause takes only its kind", async () => {
    const weather = {
      type: "function",
      function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
    };
    const agent = await createAgent([MCP_DOCS, weather]);
    const { threadId, runId } = await startRun(agent.id, "search_docs cities and get_weather Paris");
    const path = `/threads/${threadId}/runs/${runId}/submit_tool_outputs`;
    const approval = (await settledRun(token, threadId, runId)).required_action;
    expect(approval.type).toBe("submit_tool_approval");
    await foundryJson(token, "POST", path, {
      tool_approvals: [{ tool_call_id: approval.submit_tool_approval.tool_calls[0].id, approve: true }],
    });

    const outputs = (await settledRun(token, threadId, runId)).required_action;
    expect(outputs.type).toBe("submit_tool_outputs");
    const [call] = outputs.submit_tool_outputs.tool_calls;
    expect(call.function).toEqual({ name: "get_weather", arguments: '{"city":"Paris"}' });
    const wrongKind = await foundryRequest(
      "POST",
      path,
      { tool_approvals: [{ tool_call_id: call.id, approve: true }] },
      { token },
    );
    expect(wrongKind.status).toBe(400);
    expect(((await wrongKind.json()) as Json).error.param).toBe("tool_approvals");

    await foundryJson(token, "POST", path, { tool_outputs: [{ tool_call_id: call.id, output: "rain" }] });
    expect((await settledRun(token, threadId, runId)).status).toBe("completed");
    expect(await replyText(threadId, runId)).toMatch(/^get_weather returned: rain\./);
    expect((await stepsOf(threadId, runId)).map((step) => step.type)).toEqual([
      "activities",
      "tool_calls",
      "tool_calls",
      "message_creation",
    ]);
  });

  it("require_approval never (thread tool_resources.mcp) runs the call at once: no requires_action", async () => {
    const agent = await createAgent([MCP_DOCS]);
    const { threadId, runId } = await startRun(
      agent.id,
      "search_docs hibernation",
      {},
      {
        tool_resources: { mcp: [{ server_label: "docs", require_approval: "never" }] },
      },
    );
    const run = await settledRun(token, threadId, runId);
    expect(run.status).toBe("completed");
    const steps = await stepsOf(threadId, runId);
    expect(steps.map((step) => step.type)).toEqual(["activities", "tool_calls", "message_creation"]);
    expect(steps[1]!.step_details.tool_calls[0]).toMatchObject({
      type: "mcp",
      output: expect.stringContaining("hibernation"),
    });
    expect(await replyText(threadId, runId)).toMatch(/^docs\.search_docs returned: /);
  });

  it("create thread and run (/threads/runs), streamed: thread.created first, its tool_resources reach the thread", async () => {
    const agent = await createAgent([MCP_DOCS]);
    const events = await foundryStream(token, "/threads/runs", {
      assistant_id: agent.id,
      thread: { messages: [{ role: "user", content: "search_docs retention" }] },
      tool_resources: { mcp: [{ server_label: "docs", require_approval: "never" }] },
    });
    expect(events.slice(0, 2).map((e) => e.event)).toEqual(["thread.created", "thread.run.created"]);
    expect(events.slice(-2).map((e) => e.event)).toEqual(["thread.run.completed", "done"]);
    const thread = events[0]!.data;
    expect(thread.tool_resources.mcp).toEqual([{ server_label: "docs", require_approval: "never" }]);
    expect(events.some((e) => e.event === "thread.run.requires_action")).toBe(false);
  });

  it("run-level tool_resources win over the tool's own require_approval", async () => {
    const agent = await createAgent([{ ...MCP_DOCS, require_approval: "never" }]);
    const { threadId, runId } = await startRun(agent.id, "search_docs alarms", {
      tool_resources: { mcp: [{ server_label: "docs", require_approval: "always" }] },
    });
    expect((await settledRun(token, threadId, runId)).status).toBe("requires_action");
  });
});

describe("the emulator's knobs and faults on the project paths", () => {
  it("run metadata knobs apply: emulator_fail fails the run with its last_error", async () => {
    const agent = await createAgent([]);
    const { threadId, runId } = await startRun(agent.id, "Hello", { metadata: { emulator_fail: "server_error" } });
    const run = await settledRun(token, threadId, runId);
    expect(run.status).toBe("failed");
    expect(run.last_error).toEqual({ code: "server_error", message: "Sorry, something went wrong." });
  });

  it("global http_errors from /admin/settings answer the project calls too, with retry-after on a 429", async () => {
    await setEmulatorSettings({ http_errors: { status: 429, count: 1, retry_after: 2 } });
    const limited = await foundryRequest("GET", "/assistants", undefined, { token });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect((await foundryRequest("GET", "/assistants", undefined, { token })).status).toBe(200);
  });

  it("a cut stream (emulator_cut_after) ends without a terminal event or [DONE]", async () => {
    const agent = await createAgent([]);
    const { id: threadId } = await foundryJson(token, "POST", "/threads", {
      messages: [{ role: "user", content: "Hello" }],
    });
    const response = await foundryRequest(
      "POST",
      `/threads/${threadId}/runs`,
      { assistant_id: agent.id, stream: true, metadata: { emulator_cut_after: "3" } },
      { token },
    );
    expect(response.status).toBe(200);
    // Read until the connection drops: the cut is an error on the reader, after the events that were sent.
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    let cut = false;
    try {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
        text += decoder.decode(chunk.value, { stream: true });
    } catch {
      cut = true;
    }
    expect(cut).toBe(true);
    const events = [...text.matchAll(/^event: (.+)$/gm)].map((match) => match[1]);
    expect(events).toEqual(["thread.run.created", "thread.run.queued", "thread.run.in_progress"]);
    expect(text).not.toContain("[DONE]");
  });
});
