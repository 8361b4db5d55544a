// The Foundry flavour's documented rules, tested as the pure functions they are: which MCP call a message makes, who
// must approve it, what a run's hosted steps are, and how Foundry bodies are validated around Azure's tool types.
import { describe, expect, it } from "vitest";
import { ApiError } from "../emulator/src/api-error";
import { foundryHostedTools } from "../emulator/src/foundry/foundry-hosted-tools";
import { approvalMode, needsApproval, plannedMcpCall, type McpTool } from "../emulator/src/foundry/mcp-server";
import { validateFoundryBody } from "../emulator/src/foundry/request-rules";
import type { Run } from "../emulator/src/objects";

const docs: McpTool = {
  type: "mcp",
  server_label: "docs",
  server_url: "https://mcp.example.test",
  allowed_tools: ["search_docs", "fetch_page"],
};

/** Only the fields the hosted planner reads. */
const runWith = (tools: unknown[], extra: Partial<Run> = {}) =>
  ({ tools, tool_choice: "auto", ...extra }) as unknown as Run;

const thrown = (action: () => unknown) => {
  try {
    action();
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, message: error.message, param: error.options.param };
    throw error;
  }
  throw new Error("expected an ApiError");
};

describe("MCP call rule", () => {
  it("a named tool is called with the text after it as its query", () => {
    expect(plannedMcpCall(docs, "Please fetch_page the pricing page.")).toMatchObject({
      type: "mcp",
      name: "fetch_page",
      server_label: "docs",
      arguments: JSON.stringify({ query: "the pricing page" }),
      output: null,
    });
  });

  it("naming only the server calls its first tool; naming neither calls nothing", () => {
    expect(plannedMcpCall(docs, "ask docs about quotas")?.name).toBe("search_docs");
    expect(plannedMcpCall(docs, "ask docs about quotas")?.arguments).toBe('{"query":"about quotas"}');
    expect(plannedMcpCall(docs, "documentation is nice")).toBeNull();
  });

  it("a server without allowed_tools offers one `search` tool", () => {
    const bare: McpTool = { type: "mcp", server_label: "kb", server_url: "https://kb.example.test" };
    expect(plannedMcpCall(bare, "search for alarms")?.name).toBe("search");
  });
});

describe("approval mode", () => {
  it("defaults to asking; `never` (or a tool listed under never) runs the call at once", () => {
    expect(needsApproval(undefined, "search_docs")).toBe(true);
    expect(needsApproval("always", "search_docs")).toBe(true);
    expect(needsApproval("never", "search_docs")).toBe(false);
    expect(needsApproval({ never: { tool_names: ["search_docs"] } }, "search_docs")).toBe(false);
    expect(needsApproval({ never: { tool_names: ["search_docs"] } }, "fetch_page")).toBe(true);
  });

  it("the first tool_resources.mcp entry naming the server wins (run, thread, agent), then the tool's own", () => {
    const tool = { ...docs, require_approval: "never" as const };
    const entry = (label: string, mode: string) => ({ mcp: [{ server_label: label, require_approval: mode }] });
    expect(approvalMode(tool, [null, entry("docs", "always"), entry("docs", "never")])).toBe("always");
    expect(approvalMode(tool, [entry("other", "always"), undefined])).toBe("never");
  });
});

describe("hosted plan of a run", () => {
  it("an mcp tool adds an activities step to every run, even one that calls nothing", () => {
    const planned = foundryHostedTools.plan({ run: runWith([docs]), userText: "Hello", toolResources: [] });
    expect(planned?.segment.approval).toBeNull();
    expect(planned?.segment.steps.map((step) => step.type)).toEqual(["activities"]);
    expect(planned?.results).toEqual([]);
  });

  it("tool_choice none calls no hosted tool; a run with no Azure tools has no hosted plan", () => {
    const none = foundryHostedTools.plan({
      run: runWith([docs], { tool_choice: "none" }),
      userText: "search_docs x",
      toolResources: [],
    });
    expect(none?.segment.approval).toBeNull();
    expect(
      foundryHostedTools.plan({ run: runWith([{ type: "function" }]), userText: "x", toolResources: [] }),
    ).toBeNull();
  });

  it("approve needs exactly one answer per pending call", () => {
    const planned = foundryHostedTools.plan({ run: runWith([docs]), userText: "search_docs a", toolResources: [] })!;
    const run = runWith([docs], { required_action: planned.segment.approval!.required_action });
    const [call] = (
      planned.segment.approval!.required_action as unknown as {
        submit_tool_approval: { tool_calls: Array<{ id: string }> };
      }
    ).submit_tool_approval.tool_calls;
    expect(thrown(() => foundryHostedTools.approve(run, []))).toMatchObject({ status: 400, param: "tool_approvals" });
    const twice = [
      { tool_call_id: call!.id, approve: true },
      { tool_call_id: call!.id, approve: false },
    ];
    expect(thrown(() => foundryHostedTools.approve(run, twice))).toMatchObject({
      param: "tool_approvals[1].tool_call_id",
    });
    expect(foundryHostedTools.approve(run, [{ tool_call_id: call!.id, approve: false }])).toEqual({
      outputs: {},
      results: [],
    });
  });
});

describe("Foundry body validation", () => {
  it("Assistants rules still apply around Azure tools, naming the right index", () => {
    const body = { model: "gpt-4o", tools: [{ type: "bing_grounding" }, { type: "function", function: {} }] };
    expect(thrown(() => validateFoundryBody("CreateAssistantRequest", body)).param).toBe("tools[1].function.name");
  });

  it("submit_tool_outputs takes tool_outputs or tool_approvals, not both", () => {
    const both = { tool_outputs: [], tool_approvals: [{ tool_call_id: "call_a", approve: true }] };
    expect(thrown(() => validateFoundryBody("SubmitToolOutputsRunRequest", both)).param).toBe("tool_approvals");
    expect(() =>
      validateFoundryBody("SubmitToolOutputsRunRequest", {
        tool_approvals: [{ tool_call_id: "call_a", approve: true }],
      }),
    ).not.toThrow();
  });

  it("runs accept tool_resources (Azure's CreateRunOptions); a bad require_approval is refused", () => {
    expect(() =>
      validateFoundryBody("CreateRunRequest", {
        assistant_id: "asst_a",
        tool_resources: { mcp: [{ server_label: "docs" }] },
      }),
    ).not.toThrow();
    const bad = {
      assistant_id: "asst_a",
      tool_resources: { mcp: [{ server_label: "docs", require_approval: "sometimes" }] },
    };
    expect(thrown(() => validateFoundryBody("CreateRunRequest", bad)).param).toBe(
      "tool_resources.mcp[0].require_approval",
    );
  });
});
