// Foundry's MCP approval flow through Runcast (the `foundry` project: RUNCAST_PROVIDER=foundry on the emulator's
// project surface): a run waiting with `submit_tool_approval` reaches subscribers, `runs.submitToolOutputs` takes
// `tool_approvals` (collected and submitted once, like outputs), the REST surface takes the same body, and an answer
// of the wrong kind is refused before any upstream call.
import { describe, expect, it } from "vitest";
import { foundrySdk, foundryToken } from "../helpers/foundry";
import { watchRun } from "../helpers/hub";
import type { RunSnapshot } from "../../src/client";
import { frontendClient, restSdk, rpcError, runcastClient, sleep, waitForRun } from "../helpers/runcast";

const MCP_DOCS = {
  type: "mcp",
  server_label: "docs",
  server_url: "https://mcp.example.test/docs",
  allowed_tools: ["search_docs"],
};

type Approval = { type: string; submit_tool_approval: { tool_calls: Array<{ id: string; name: string }> } };

/** A run of an agent with an MCP server, created through Runcast, waiting for its approval. */
async function waitingForApproval() {
  const sdk = foundrySdk(await foundryToken());
  const agent = await sdk.beta.assistants.create({ model: "gpt-4o", tools: [MCP_DOCS as never] });
  const thread = await sdk.beta.threads.create({
    messages: [{ role: "user", content: "Please search_docs durable objects." }],
  });
  const runcast = runcastClient();
  const run = await runcast.runs.create.mutate({ thread_id: thread.id, assistant_id: agent.id });
  for (let i = 0; i < 200; i++) {
    const current = await runcast.runs.retrieve.query({ thread_id: thread.id, run_id: run.id });
    if (current.status === "requires_action") {
      const action = current.required_action as unknown as Approval;
      return {
        runcast,
        threadId: thread.id,
        runId: run.id,
        action,
        callId: action.submit_tool_approval.tool_calls[0]!.id,
      };
    }
    await sleep(25);
  }
  throw new Error(`run ${run.id} never waited for its approval`);
}

const replyOf = async (threadId: string, runId: string) => {
  const page = await runcastClient().threads.messages.list.query({ thread_id: threadId, run_id: runId });
  const message = page.data.find((m) => m.role === "assistant");
  return message?.content.map((part) => (part.type === "text" ? part.text.value : "")).join("") ?? "";
};

describe("Foundry's MCP approvals through Runcast", () => {
  it("subscribers see the approval pause; approving over tRPC runs the call and the run completes", async () => {
    const { runcast, threadId, runId, action, callId } = await waitingForApproval();
    expect(action.type).toBe("submit_tool_approval");
    const tab = watchRun(threadId, runId, { via: "ws" });
    await tab.until((events) => events.some((event) => event.event === "thread.run.requires_action"));
    const paused = tab.events.find((event) => event.event === "thread.run.requires_action")!;
    expect((paused.data as { required_action: Approval }).required_action.type).toBe("submit_tool_approval");

    // Outputs for a round that waits for approvals: refused by the hub, before the upstream.
    const wrongKind = await rpcError(
      runcast.runs.submitToolOutputs.mutate({
        thread_id: threadId,
        run_id: runId,
        tool_outputs: [{ tool_call_id: callId, output: "x" }],
      }),
    );
    expect(wrongKind.data?.code).toBe("BAD_REQUEST");
    expect(wrongKind.message).toMatch(/waits for tool approvals/);

    const answered = await runcast.runs.submitToolOutputs.mutate({
      thread_id: threadId,
      run_id: runId,
      tool_approvals: [{ tool_call_id: callId, approve: true, headers: { "x-docs-key": "test" } }],
    });
    expect(answered.id).toBe(runId);
    const result = await tab.done;
    expect(result.events.at(-1)?.event).toBe("thread.run.completed");
    // Everyone heard the round close: nothing pending.
    const round = result.events.filter((event) => event.event === "runcast.tool_outputs").at(-1);
    expect(round?.data).toMatchObject({ received: [callId], pending: [] });
    expect(await replyOf(threadId, runId)).toMatch(/^docs\.search_docs returned: /);
  });

  it("a frontend's watchRun shows the calls waiting for approval, pending until approved, then follows the run to its end", async () => {
    const { threadId, runId, callId } = await waitingForApproval();
    const client = frontendClient();
    const seen: RunSnapshot[] = [];
    let finished!: (snapshot: RunSnapshot) => void;
    const done = new Promise<RunSnapshot>((resolve) => (finished = resolve));
    const watch = client.watchRun(
      { thread_id: threadId, run_id: runId },
      { onToolCalls: (snapshot) => seen.push(snapshot), onDone: finished },
    );
    try {
      for (let i = 0; i < 200 && seen.length === 0; i++) await sleep(25);
      const paused = seen[0]!;
      expect(paused.status).toBe("requires_action");
      expect(paused.toolCalls).toEqual([]);
      expect(paused.approvalCalls).toEqual([
        { id: callId, type: "mcp", name: "search_docs", arguments: expect.any(String), server_label: "docs" },
      ]);
      expect(paused.pendingToolCallIds).toEqual([callId]);

      await client.runs.submitToolOutputs.mutate({
        thread_id: threadId,
        run_id: runId,
        tool_approvals: [{ tool_call_id: callId, approve: true }],
      });
      const end = await done;
      expect(end.status).toBe("completed");
      expect(end.approvalCalls).toEqual([]);
      expect(end.pendingToolCallIds).toEqual([]);
      expect(end.messages.at(-1)?.text).toMatch(/^docs\.search_docs returned: /);
    } finally {
      watch.stop();
    }
  });

  it("the REST surface takes tool_approvals as the upstream does; a denial runs no call", async () => {
    const { threadId, runId, callId } = await waitingForApproval();
    const sdk = restSdk();
    const run = await sdk.beta.threads.runs.submitToolOutputs(runId, {
      thread_id: threadId,
      tool_approvals: [{ tool_call_id: callId, approve: false }],
    } as never);
    expect(run.id).toBe(runId);
    expect((await waitForRun(threadId, runId)).status).toBe("completed");
    const steps = await runcastClient().runs.steps.list.query({ thread_id: threadId, run_id: runId });
    const mcp = steps.data.find((step) => step.type === "tool_calls");
    expect(
      (mcp?.step_details as unknown as { tool_calls: Array<{ output: unknown }> }).tool_calls[0]!.output,
    ).toBeNull();
    expect(await replyOf(threadId, runId)).not.toMatch(/returned:/);
  });

  it("refuses an approval that is not true or false, naming the field", async () => {
    const { runcast, threadId, runId, callId } = await waitingForApproval();
    const error = await rpcError(
      runcast.runs.submitToolOutputs.mutate({
        thread_id: threadId,
        run_id: runId,
        tool_approvals: [{ tool_call_id: callId, approve: "yes" as never }],
      }),
    );
    expect(error.data?.code).toBe("BAD_REQUEST");
    expect(error.data?.fields).toContainEqual({ field: "tool_approvals.0.approve", message: expect.any(String) });
    expect((await runcast.runs.retrieve.query({ thread_id: threadId, run_id: runId })).status).toBe("requires_action");
  });
});
