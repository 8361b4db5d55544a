// The seam for tools a hosted service runs itself (Foundry's mcp, bing_grounding, azure_ai_search): the Assistants API
// has none; the Foundry flavour supplies them, and the core only places the steps they plan and resumes after approvals.
import type { Run } from "./objects";
import type { HostedSegment } from "./run-plan";

/** What a tool returned, as the reply reports it (`<name> returned: <output>.`). */
export interface ToolResult {
  name: string;
  output: string;
}

export interface HostedTools {
  /** What the service does before the model answers; null when the run has none of its tools to use. */
  plan(input: { run: Run; userText: string; toolResources: unknown[] }): {
    segment: HostedSegment;
    results: ToolResult[];
  } | null;
  /** Checks approvals against the run's pending `submit_tool_approval`: outputs of approved calls, and their results. */
  approve(run: Run, approvals: unknown): { outputs: Record<string, string>; results: ToolResult[] };
}
