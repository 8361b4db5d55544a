// Tool outputs checked against a run's pending calls before any upstream call, refused as the Assistants upstream
// refuses them (a 400 naming what is wrong), so a bad submission never reaches the chain.
import type { ToolOutput } from "../../schemas/runs";
import type { RunState } from "./run-objects";
import { invalidRequest } from "./rpc-outcome";
import { pendingCalls } from "./run-transitions";

/** The outputs by call id, exactly one for each pending call; anything else is the upstream's 400. */
export function checkToolOutputs(state: RunState, outputs: ToolOutput[]): Record<string, string> {
  if (state.run.status !== "requires_action")
    throw invalidRequest(`Runs in status "${state.run.status}" do not accept tool outputs.`);
  const given: Record<string, string> = {};
  for (const output of outputs) {
    if (output.tool_call_id in given)
      throw invalidRequest(`Duplicate tool output for tool call '${output.tool_call_id}'.`, 400, "tool_outputs");
    given[output.tool_call_id] = output.output;
  }
  const expected = pendingCalls(state).map((call) => call.id);
  if (Object.keys(given).length !== expected.length || !expected.every((id) => id in given))
    throw invalidRequest(
      `Expected tool outputs for call_ids ${JSON.stringify(expected)}, got ${JSON.stringify(Object.keys(given))}`,
      400,
      "tool_outputs",
    );
  return given;
}
