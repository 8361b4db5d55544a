// One client for the app. The gateway is this page's origin (vite.config.ts forwards /trpc and /ws) unless
// VITE_RUNCAST_URL names another.
import { createRuncastClient } from "@runcast/client";

export const runcast = createRuncastClient({ url: import.meta.env.VITE_RUNCAST_URL ?? window.location.origin });

/** The demo assistant `npm start` seeds ("Runcast demo"), made here where the upstream has none yet. */
export async function demoAssistantId(): Promise<string> {
  const { data } = await runcast.assistants.list.query({ limit: 100 });
  const found = data.find((assistant) => assistant.name === "Runcast demo");
  if (found) return found.id;
  const made = await runcast.assistants.create.mutate({
    model: "gpt-4o",
    name: "Runcast demo",
    tools: [
      {
        type: "function",
        function: {
          name: "get_weather",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      },
    ],
  });
  return made.id;
}
