// Tool outputs, collected by tool_call_id from any caller (several tabs may each answer some calls) and submitted
// upstream once every call of the round has one: exactly one submission per requires_action, whatever the races.
import { toUpstreamError } from "../errors/upstream-error";
import type { RunsProvider } from "../providers/provider";
import type { ToolAnswer } from "../schemas/runs";
import type { Submitted } from "./hub-contract";
import type { HubState } from "./hub-state";
import type { HubStreams } from "./hub-streams";
import type { RunRecord } from "./run-record";
import { roundOf, type Collected } from "./tool-outputs";

export class ToolSubmission {
  /** The round being submitted upstream right now; in memory, so a restart mid-call does not block a retry. */
  private submitting: string | null = null;

  constructor(
    private readonly record: RunRecord,
    private readonly streams: HubStreams,
    private readonly provider: () => RunsProvider,
  ) {}

  /** Adds `outputs` to the run's round; the call that completes it submits the round and answers the run as continued. */
  async submit(state: HubState, outputs: ToolAnswer[]): Promise<Submitted> {
    const round = roundOf(state.run);
    const closed = this.submitting === round || state.submittedRound === round;
    const rounds = this.record.outputs;
    // A complete round neither on its way nor submitted was orphaned by a restart mid-submission (the marker
    // of a submission in flight lives in memory): the upstream took nothing we know of, so it is collected anew.
    if (!closed && state.run.status === "requires_action" && rounds.collected(state.run).complete)
      rounds.clear(state.run);
    const collected = rounds.add(state.run, outputs, closed);
    this.announce(collected);
    const fromSeq = this.record.log.lastSeq();
    if (!collected.complete) return { run: state.run, fromSeq, pending: collected.pending };

    this.submitting = round;
    let continuation;
    try {
      continuation = await this.provider().streamSubmitToolOutputs(state.thread_id, state.run_id, collected.complete);
    } catch (error) {
      // The upstream took nothing: this request's outputs come back out, so the same outputs can be sent again.
      const run = this.record.state()!.run;
      this.announce(
        rounds.remove(
          run,
          outputs.map((output) => output.tool_call_id),
        ),
      );
      throw toUpstreamError(error);
    } finally {
      this.submitting = null;
    }
    // Stored only once the upstream has taken the outputs, so a hub that dies mid-call does not refuse the retry.
    this.record.submitted(round);
    return { run: await this.streams.continueWith(continuation), fromSeq, pending: [] };
  }

  /** Tells every subscriber which calls of the round have their outputs and which are still open. */
  private announce({ received, pending }: Collected): void {
    const runId = this.record.state()!.run_id;
    this.record.append([{ event: "runcast.tool_outputs", data: { run_id: runId, received, pending } }], Date.now());
  }
}
