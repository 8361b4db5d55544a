// What an emulated assistant says and which tools it calls: deterministic functions of the thread and the run's settings.

const FILLER = "the quick brown fox jumps over the lazy dog while a patient emulator streams words one by one".split(
  " ",
);
const ECHO_WORDS = 50;

/** Tokens are counted as whitespace-separated words: cheap, deterministic and close enough for usage figures. */
export const countTokens = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** Pads a reply with filler words until it has `words` words; a reply already that long is kept whole. */
function padTo(opening: string, words: number): string {
  const parts = opening.split(/\s+/).filter(Boolean);
  for (let i = 0; parts.length < words; i++) parts.push(FILLER[i % FILLER.length]!);
  return parts.join(" ");
}

/** The answer to a plain message: `You said: "<the message>".`, then filler up to `words` words. */
export function replyText(userText: string, words: number): string {
  const echo = userText.split(/\s+/).filter(Boolean).slice(0, ECHO_WORDS).join(" ");
  return padTo(`You said: "${echo}".`, words);
}

/** The answer after tool outputs: each call's result in order, then filler up to `words` words. */
export function toolResultText(results: Array<{ name: string; output: string }>, words: number): string {
  return padTo(results.map(({ name, output }) => `${name} returned: ${output}.`).join(" "), words);
}

/** Splits text into delta fragments of `wordsPerDelta` words; the fragments concatenate back to the text. */
export function chunkWords(text: string, wordsPerDelta: number): string[] {
  const tokens = text.match(/\s*\S+/g) ?? [];
  const chunks: string[] = [];
  for (let i = 0; i < tokens.length; i += wordsPerDelta) chunks.push(tokens.slice(i, i + wordsPerDelta).join(""));
  return chunks;
}

interface FunctionTool {
  type: "function";
  function: { name: string; parameters?: { properties?: Record<string, { type?: string | string[] }> } };
}
type Tool = { type: string } | FunctionTool;
type ToolChoice = string | { type: string; function?: { name: string } } | null | undefined;

export interface PlannedCall {
  name: string;
  arguments: string;
}

const isFunction = (tool: Tool): tool is FunctionTool => tool.type === "function";
const escape = (name: string) => name.replace(/[-]/g, "\\-");

/** The text after `name` up to the next function name, the end of the sentence, a comma or an "and". */
export function argumentText(message: string, name: string, names: string[]): string {
  const start = new RegExp(`\\b${escape(name)}\\b`).exec(message);
  if (!start) return "";
  const rest = message.slice(start.index + name.length);
  const stops = [
    /[.?!\n,;]|\band\b/.exec(rest)?.index,
    ...names.map((other) => new RegExp(`\\b${escape(other)}\\b`).exec(rest)?.index),
  ];
  const end = Math.min(rest.length, ...stops.filter((index): index is number => index !== undefined));
  return rest
    .slice(0, end)
    .replace(/^[\s:,(]+|[\s"'),]+$/g, "")
    .replace(/^["']/, "");
}

function argumentsFor(tool: FunctionTool, text: string): string {
  const properties = tool.function.parameters?.properties ?? {};
  const number = Number(/-?\d+(\.\d+)?/.exec(text)?.[0] ?? 0);
  const args = Object.fromEntries(
    Object.entries(properties).map(([key, schema]) => {
      const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
      if (type === "number" || type === "integer") return [key, number];
      if (type === "boolean") return [key, true];
      if (type === "object") return [key, {}];
      if (type === "array") return [key, []];
      return [key, text];
    }),
  );
  return JSON.stringify(args);
}

/**
 * The tool-call rule: a function tool is called when its name appears as a word in the last user
 * message, in order of appearance. `tool_choice: "none"` calls nothing; `"required"` falls back to
 * the first function; a named choice calls exactly that function; `parallel_tool_calls: false` keeps
 * only the first call. String parameters get the text that follows the name (up to the sentence
 * end, a comma, an "and" or another function's name), numbers the first number in it, booleans `true`.
 */
export function plannedToolCalls(
  tools: Tool[],
  toolChoice: ToolChoice,
  parallel: boolean,
  message: string,
): PlannedCall[] {
  const functions = tools.filter(isFunction);
  if (functions.length === 0 || toolChoice === "none") return [];
  const names = functions.map((tool) => tool.function.name);
  let chosen: FunctionTool[];
  if (toolChoice && typeof toolChoice === "object") {
    chosen =
      toolChoice.type === "function"
        ? functions.filter((tool) => tool.function.name === toolChoice.function?.name)
        : [];
  } else {
    chosen = functions
      .map((tool) => ({ tool, at: new RegExp(`\\b${escape(tool.function.name)}\\b`).exec(message)?.index ?? -1 }))
      .filter(({ at }) => at >= 0)
      .sort((a, b) => a.at - b.at)
      .map(({ tool }) => tool);
    if (chosen.length === 0 && toolChoice === "required") chosen = functions.slice(0, 1);
  }
  if (!parallel) chosen = chosen.slice(0, 1);
  return chosen.map((tool) => ({
    name: tool.function.name,
    arguments: argumentsFor(
      tool,
      argumentText(
        message,
        tool.function.name,
        names.filter((n) => n !== tool.function.name),
      ),
    ),
  }));
}
