// The emulator's documented reply and tool-call rules, tested as the pure functions they are.
import { describe, expect, it } from "vitest";
import { chunkWords, countTokens, plannedToolCalls, replyText, toolResultText } from "../emulator/src/reply";

const weather = {
  type: "function",
  function: {
    name: "get_weather",
    parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer" } } },
  },
};
const time = {
  type: "function",
  function: { name: "get_time", parameters: { type: "object", properties: { city: { type: "string" } } } },
};
const tools = [{ type: "code_interpreter" }, weather, time];

describe("reply text", () => {
  it("echoes the message, then pads with filler to the configured length", () => {
    const text = replyText("Hello there", 8);
    expect(text.startsWith('You said: "Hello there".')).toBe(true);
    expect(countTokens(text)).toBe(8);
  });

  it("keeps a long echo whole rather than cutting it to the length", () => {
    expect(replyText("one two three four five", 2)).toBe('You said: "one two three four five".');
  });

  it("reports tool results in call order", () => {
    expect(
      toolResultText(
        [
          { name: "get_weather", output: "sunny" },
          { name: "get_time", output: "noon" },
        ],
        1,
      ),
    ).toBe("get_weather returned: sunny. get_time returned: noon.");
  });

  it("splits into deltas that concatenate back to the text", () => {
    const text = "a quick  brown\nfox";
    const chunks = chunkWords(text, 2);
    expect(chunks).toEqual(["a quick", "  brown\nfox"]);
    expect(chunks.join("")).toBe(text);
  });
});

describe("tool-call rule", () => {
  it("calls nothing when no function is named", () => {
    expect(plannedToolCalls(tools, "auto", true, "What is the weather like?")).toEqual([]);
  });

  it("calls every named function in order of appearance, with arguments taken from the text after each name", () => {
    const calls = plannedToolCalls(tools, "auto", true, "Please get_time Tokyo and get_weather Paris for 3 days.");
    expect(calls.map((call) => call.name)).toEqual(["get_time", "get_weather"]);
    expect(JSON.parse(calls[0]!.arguments)).toEqual({ city: "Tokyo" });
    expect(JSON.parse(calls[1]!.arguments)).toEqual({ city: "Paris for 3 days", days: 3 });
  });

  it("honours tool_choice none, required, a named function, and parallel_tool_calls false", () => {
    expect(plannedToolCalls(tools, "none", true, "get_weather Paris")).toEqual([]);
    expect(plannedToolCalls(tools, "required", true, "nothing named").map((c) => c.name)).toEqual(["get_weather"]);
    expect(
      plannedToolCalls(tools, { type: "function", function: { name: "get_time" } }, true, "get_weather Paris").map(
        (c) => c.name,
      ),
    ).toEqual(["get_time"]);
    expect(plannedToolCalls(tools, "auto", false, "get_time Oslo, get_weather Rome").map((c) => c.name)).toEqual([
      "get_time",
    ]);
  });

  it("does not match a name inside another word", () => {
    expect(plannedToolCalls(tools, "auto", true, "forget_weathering is not a call")).toEqual([]);
  });
});
