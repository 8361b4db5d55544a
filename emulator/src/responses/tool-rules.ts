// The Responses API's flat function tools in the Assistants shape that reply.ts's tool-call rule reads, so one rule
// decides, on both surfaces, which functions a message calls.
import type { FunctionTool } from "./response-objects";

type AssistantsTool = { type: "function"; function: { name: string; parameters?: Record<string, unknown> } };
type AssistantsChoice = string | { type: string; function?: { name: string } } | null | undefined;

/**
 * `{type:"function", name, parameters}` becomes `{type:"function", function:{name, parameters}}`, and a named
 * `tool_choice` `{type:"function", name}` becomes `{type:"function", function:{name}}`.
 */
export function toolsForRules(
  tools: FunctionTool[],
  toolChoice: unknown,
): { tools: AssistantsTool[]; choice: AssistantsChoice } {
  const nested = tools.map((tool) => ({
    type: "function" as const,
    function: { name: tool.name, parameters: tool.parameters ?? undefined },
  }));
  const choice =
    toolChoice && typeof toolChoice === "object"
      ? (() => {
          const named = toolChoice as { type?: string; name?: string };
          return { type: named.type ?? "", function: named.name ? { name: named.name } : undefined };
        })()
      : (toolChoice as AssistantsChoice);
  return { tools: nested, choice };
}
