// Ask an assistant through Runcast, watch the reply stream in, and answer its tool calls.
import { createRuncastClient, replyText, type RunSnapshot } from "@runcast/client";

export interface AskOptions {
  url: string; // the gateway, e.g. "http://127.0.0.1:8787"
  token?: string; // your Runcast credential (not needed with `npm start`)
  assistantId: string;
  question: string;
  tools?: Record<string, (args: Record<string, unknown>) => string | Promise<string>>;
  onText?: (text: string) => void; // the reply so far, on every delta
}

export async function ask({ url, token, assistantId, question, tools = {}, onText }: AskOptions): Promise<RunSnapshot> {
  const runcast = createRuncastClient({ url, token });
  const run = await runcast.runs.createThreadAndRun.mutate({
    assistant_id: assistantId,
    thread: { messages: [{ role: "user", content: question }] },
  });
  const ref = { thread_id: run.thread_id, run_id: run.id };
  return new Promise((resolve, reject) => {
    runcast.watchRun(ref, {
      onText: (_delta, _messageId, snapshot) => onText?.(replyText(snapshot)),
      onToolCalls: async ({ toolCalls, pendingToolCallIds }) => {
        const open = toolCalls.filter((call) => pendingToolCallIds.includes(call.id));
        if (open.length === 0) return;
        const tool_outputs = await Promise.all(
          open.map(async (call) => ({
            tool_call_id: call.id,
            output: await (tools[call.function.name]?.(JSON.parse(call.function.arguments)) ?? "unknown tool"),
          })),
        );
        await runcast.runs.submitToolOutputs.mutate({ ...ref, tool_outputs });
      },
      onDone: resolve,
      onError: reject,
    });
  });
}
