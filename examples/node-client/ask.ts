// A plain Node program using @runcast/client: asks the demo assistant about the weather, answers its get_weather call,
// and prints the reply as it streams. `node ask.ts http://127.0.0.1:8787 ws` (or `sse`); the last line it prints is
// the outcome as JSON. Node has WebSocket built in but no EventSource, so SSE uses the `eventsource` package's.
import { createRuncastClient, replyText, type RunSnapshot } from "@runcast/client";
import { EventSource } from "eventsource";

const [url = "http://127.0.0.1:8787", transport = "ws"] = process.argv.slice(2);
if (transport !== "ws" && transport !== "sse") throw new Error(`transport must be ws or sse, not ${transport}`);

const runcast = createRuncastClient({ url, token: process.env.RUNCAST_TOKEN, EventSource });

// The emulator seeds "Runcast demo" (asst_RuncastDemo) under `npm start`; under the Responses provider it may not
// exist yet, so it is made here as the demo page makes it.
const assistants = await runcast.assistants.list.query({ limit: 100 });
const demo =
  assistants.data.find((assistant) => assistant.name === "Runcast demo") ??
  (await runcast.assistants.create.mutate({
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
  }));

const run = await runcast.runs.createThreadAndRun.mutate({
  assistant_id: demo.id,
  thread: { messages: [{ role: "user", content: "What's it like in Lisbon? get_weather Lisbon." }] },
});
const ref = { thread_id: run.thread_id, run_id: run.id };
const answered: string[] = [];

const snapshot = await new Promise<RunSnapshot>((resolve, reject) => {
  runcast.watchRun(
    ref,
    {
      onText: (delta) => process.stderr.write(delta),
      onToolCalls: async ({ toolCalls, pendingToolCallIds }) => {
        const open = toolCalls.filter((call) => pendingToolCallIds.includes(call.id));
        if (open.length === 0) return;
        const tool_outputs = open.map((call) => {
          const { city } = JSON.parse(call.function.arguments) as { city?: string };
          answered.push(`${call.function.name}(${city})`);
          return { tool_call_id: call.id, output: `sunny and 24°C in ${city}` };
        });
        await runcast.runs.submitToolOutputs.mutate({ ...ref, tool_outputs });
      },
      onDone: resolve,
      onError: reject,
    },
    { transport },
  );
});

process.stderr.write("\n");
console.log(JSON.stringify({ transport, ...ref, status: snapshot.status, answered, text: replyText(snapshot) }));
