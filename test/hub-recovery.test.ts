// Recovery paths the hub must get right: a continuation stream that breaks before its first run event, and a run
// that vanishes upstream while subscribers wait.
import { describe, expect, it } from "vitest";
import { createRuncastClient } from "../src/client";
import { createToolAssistant, emulatorRequest, emulatorSdk, GATEWAY, gatewayFetch } from "./helpers/emulator";
import { storedRunReply, fireHubAlarm, setHubState, Tab } from "./helpers/hub-lifecycle";

const runcast = () => createRuncastClient({ url: GATEWAY, fetch: gatewayFetch as typeof fetch });

/** A tool run created through Runcast on a thread made on the emulator (so its first stream starts with thread.run.created). */
async function toolRun(metadata: Record<string, string> = {}) {
  const sdk = emulatorSdk();
  const assistant = await createToolAssistant(sdk);
  const thread = await sdk.beta.threads.create({ messages: [{ role: "user", content: "get_weather Oslo" }] });
  const run = await runcast().runs.create.mutate({ thread_id: thread.id, assistant_id: assistant.id, metadata });
  return { threadId: run.thread_id, runId: run.id };
}

describe("hub recovery", () => {
  it("a continuation stream cut before its first run event: the submit still answers, and polling finishes the run", async () => {
    // Every stream of this run is cut after one event: the first after thread.run.created, the continuation after
    // the completed tool step, before the run event the hub waits for.
    const { threadId, runId } = await toolRun({ emulator_cut_after: "1" });
    const tab = new Tab(threadId, runId);
    const waiting = await tab.waitFor("thread.run.requires_action");
    const call = (waiting.data as { required_action: { submit_tool_outputs: { tool_calls: Array<{ id: string }> } } })
      .required_action.submit_tool_outputs.tool_calls[0]!;
    const answered = await runcast().runs.submitToolOutputs.mutate({
      thread_id: threadId,
      run_id: runId,
      tool_outputs: [{ tool_call_id: call.id, output: "cold" }],
    });
    expect(answered.id).toBe(runId);
    await tab.finished();
    expect(tab.names.at(-1)).toBe("thread.run.completed");
    expect(tab.text).toBe(await storedRunReply(threadId, runId));
    expect(tab.text).toContain("get_weather returned: cold.");
    tab.close();
  });

  it("a run that vanishes upstream (its thread deleted) ends every subscription instead of leaving it open", async () => {
    const { threadId, runId } = await toolRun();
    const tab = new Tab(threadId, runId);
    await tab.waitFor("thread.run.requires_action");
    expect((await emulatorRequest("DELETE", `/threads/${threadId}`)).status).toBe(200);
    // The next poll, made due now, finds the run gone.
    await setHubState(runId, (state) => ({ ...state, poll: { ...state.poll, at: Date.now() } }));
    await fireHubAlarm(runId);
    await tab.finished(5_000);
    expect(tab.completed).toBe(true);
    tab.close();
  });
});
