// A run hub's failure lines: each names the run the hub holds and the request that last reached it, so one request's
// lines (and what its hub did after it) are found by its `x-request-id`.
import { logFailure, type Failure } from "../log/failure-log";

/** How the hub's parts log a failure; the hub adds the run, its thread and the request id unless the part names them. */
export type LogHubFailure = (failure: Failure) => void;

export class HubLog {
  /**
   * The id of the last request that reached the hub (an RPC, an upgrade, a follow, a socket's message), in memory:
   * a hub woken by an alarm after a restart logs none until a request comes.
   */
  private requestId: string | null = null;

  constructor(
    /** The run the hub holds, if any. */
    private readonly held: () => { run_id: string; thread_id: string } | undefined,
  ) {}

  /** A request reached the hub: what follows from it is logged with its id. */
  heard(requestId: string | null | undefined): void {
    if (requestId) this.requestId = requestId;
  }

  readonly failed: LogHubFailure = (failure) => {
    const held = this.held();
    logFailure({ run: held?.run_id ?? null, thread: held?.thread_id ?? null, requestId: this.requestId, ...failure });
  };
}
