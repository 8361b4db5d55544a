// The demo's assistant, for an upstream that has none yet: the emulator seeds it (as asst_RuncastDemo) for the
// Assistants API and Foundry, but under `RUNCAST_PROVIDER=responses` assistants are Runcast's own records, so the page
// makes it on an empty list, and the browser tests seed it the same way.
export const DEMO_ASSISTANT = {
  model: "gpt-4o",
  name: "Runcast demo",
  description: "Answers by echoing you; ask it to get_weather for a city to see a tool call.",
  instructions: "Answer briefly. Use get_weather when asked about the weather.",
  tools: [
    {
      type: "function" as const,
      function: {
        name: "get_weather",
        description: "Weather for a city",
        parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
      },
    },
  ],
};
