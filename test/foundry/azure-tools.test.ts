// Azure's own tool types through Runcast (the `foundry` project): an agent made through Runcast's own procedures and
// its /v1 surface keeps its Azure tools and their resources as Azure stores them, a run uses them, and a tools override
// on a run passes them through too. Unknown types are still refused by Runcast before any upstream call.
import { describe, expect, it } from "vitest";
import { restSdk, rpcError, runcastClient, waitForRun } from "../helpers/runcast";

const BING = { type: "bing_grounding", bing_grounding: { search_configurations: [{ connection_id: "conn-bing" }] } };
const MCP_DOCS = {
  type: "mcp",
  server_label: "docs",
  server_url: "https://mcp.example.test/docs",
  allowed_tools: ["search_docs"],
};
const MCP_RESOURCES = { mcp: [{ server_label: "docs", require_approval: "never", headers: { "x-docs-key": "k" } }] };

describe("Azure tool types through Runcast", () => {
  it("assistants.create keeps them and their tool_resources untouched; a run's step records the Azure call", async () => {
    const runcast = runcastClient();
    const agent = await runcast.assistants.create.mutate({
      model: "gpt-4o",
      name: "Grounded",
      tools: [BING as never, MCP_DOCS as never, { type: "azure_ai_search" } as never],
      tool_resources: MCP_RESOURCES as never,
    });
    expect(agent.tools).toEqual([BING, MCP_DOCS, { type: "azure_ai_search" }]);
    expect(agent.tool_resources).toMatchObject(MCP_RESOURCES);
    expect((await runcast.assistants.retrieve.query({ assistant_id: agent.id })).tools).toEqual(agent.tools);

    const run = await runcast.runs.createThreadAndRun.mutate({
      assistant_id: agent.id,
      thread: { messages: [{ role: "user", content: "Use bing_grounding cheap flights to Lisbon." }] },
    });
    expect((await waitForRun(run.thread_id, run.id)).status).toBe("completed");
    const steps = await runcast.runs.steps.list.query({ thread_id: run.thread_id, run_id: run.id, order: "asc" });
    // Foundry lists the MCP server's tools first (an `activities` step), then the grounding call.
    expect(steps.data.map((step) => step.step_details.type)).toEqual(["activities", "tool_calls", "message_creation"]);
    const calls = (steps.data[1]!.step_details as unknown as { tool_calls: Array<{ type: string }> }).tool_calls;
    expect(calls.map((call) => call.type)).toEqual(["bing_grounding"]);
  });

  it("the official SDK on /v1 makes the same agent, and a run's tools override may name Azure types", async () => {
    const sdk = restSdk();
    const agent = await sdk.beta.assistants.create({ model: "gpt-4o", tools: [BING as never] });
    expect(agent.tools).toEqual([BING]);
    const thread = await sdk.beta.threads.create({
      messages: [{ role: "user", content: "Please search_docs alarms." }],
    });
    // The override swaps grounding for the MCP server, whose calls wait for approval (no resources say otherwise).
    const run = await sdk.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: agent.id,
      tools: [MCP_DOCS as never],
    });
    expect(run.tools).toEqual([MCP_DOCS]);
    expect(run.status).toBe("requires_action");
    expect((run.required_action as unknown as { type: string }).type).toBe("submit_tool_approval");
  });

  it("a type neither API knows is refused by Runcast, naming the field", async () => {
    const error = await rpcError(
      runcastClient().assistants.create.mutate({ model: "gpt-4o", tools: [{ type: "teleport" } as never] }),
    );
    expect(error.data?.code).toBe("BAD_REQUEST");
    expect(error.data?.fields).toContainEqual({ field: "tools.0.type", message: expect.any(String) });
  });
});
