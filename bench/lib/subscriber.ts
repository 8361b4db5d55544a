// A run subscriber as the benchmarks run a thousand of them: a raw WebSocket speaking tRPC's subscription protocol to
// the run's hub (GET /ws/threads/{t}/runs/{r}), reading each frame with string searches instead of JSON.parse so the
// client's own CPU stays small beside the gateway's. It keeps each event's id, when it arrived, and the emulator's stamp.

export interface Arrival {
  /** The hub's event id (the log's sequence number). */
  id: number;
  /** performance.timeOrigin + performance.now() at receipt, in ms. */
  at: number;
  /** The emulator's `emulator_emitted_at_ms`, on message deltas of stamped runs. */
  stamp: number | null;
  bytes: number;
  /** The event's name (`thread.run.completed`, …). */
  event: string | null;
}

interface BatchedMessage {
  result?: {
    type?: string;
    id?: string;
    data?: { data?: { event?: string; data?: { emulator_emitted_at_ms?: number } } };
  };
}

const DATA_ID = /^\{"id":1,"result":\{"type":"data","id":"(\d+)"/;
const STAMP = /"emulator_emitted_at_ms":(\d+)/;
/** The first `event` key of a frame is the event's own (its data comes after it). */
const EVENT = /"event":"([^"]+)"/;
const now = () => performance.timeOrigin + performance.now();

export class RunSubscriber {
  readonly arrivals: Arrival[] = [];
  private socket!: WebSocket;
  private settle: (() => void) | null = null;
  /** Resolves when the hub says the subscription is over (the run ended) or the socket closes. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  closeCode: number | null = null;
  /** The hub ended the subscription (the run is over), as opposed to the socket closing under it. */
  stopped = false;
  /** Frames that were neither data, started nor stopped (errors): kept whole for the report. */
  readonly other: string[] = [];
  /** Frames that carried events (one per event, unless batched). */
  frames = 0;
  /** The id of the first `thread.run.requires_action` event received: where a waiting run's backlog ends. */
  requiresActionId: number | null = null;

  private readonly url: string;
  private readonly ref: { thread_id: string; run_id: string };

  constructor(url: string, ref: { thread_id: string; run_id: string }) {
    this.url = url;
    this.ref = ref;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket = new WebSocket(this.url);
      this.socket.addEventListener("open", () => resolve(), { once: true });
      this.socket.addEventListener("error", (event) => reject(new Error(`socket error: ${String(event.type)}`)), {
        once: true,
      });
      this.socket.addEventListener("message", (event) => this.receive(String(event.data)));
      this.socket.addEventListener("close", (event) => {
        this.closeCode = event.code;
        this.resolveDone();
      });
    });
  }

  subscribe(lastEventId?: number): void {
    this.socket.send(
      JSON.stringify({
        id: 1,
        method: "subscription",
        params: {
          path: "runs.events",
          input: this.ref,
          ...(lastEventId !== undefined ? { lastEventId: String(lastEventId) } : {}),
        },
      }),
    );
  }

  /** Resolves once `ready()` holds, checked at each event. */
  async until(ready: (subscriber: RunSubscriber) => boolean): Promise<void> {
    while (!ready(this)) await new Promise<void>((resolve) => (this.settle = resolve));
  }

  close(): void {
    this.socket.close(1000);
  }

  /** Lets a waiting `until` check again. */
  private wake(): void {
    const settle = this.settle;
    this.settle = null;
    settle?.();
  }

  private receive(text: string): void {
    const at = now();
    // As tRPC's wsLink does: the hub's PINGs measure how far a subscriber has read, and one that never answers lags.
    if (text === "PING") {
      this.socket.send("PONG");
      return;
    }
    if (text.startsWith("[")) {
      // A batched frame (the socket asked with ?frames=batch): each message in it, at this frame's arrival.
      for (const message of JSON.parse(text) as BatchedMessage[]) {
        const result = message.result;
        if (result?.type === "data" && result.id !== undefined) {
          const id = Number(result.id);
          const event = result.data?.data;
          const stamp = event?.data?.emulator_emitted_at_ms;
          this.arrivals.push({
            id,
            at,
            stamp: typeof stamp === "number" ? stamp : null,
            bytes: text.length,
            event: event?.event ?? null,
          });
          if (this.requiresActionId === null && event?.event === "thread.run.requires_action")
            this.requiresActionId = id;
        } else if (result?.type === "stopped") {
          this.stopped = true;
          this.resolveDone();
        }
      }
      this.frames++;
      this.wake();
      return;
    }
    const data = DATA_ID.exec(text);
    if (data) {
      this.frames++;
      const stamp = STAMP.exec(text);
      const id = Number(data[1]);
      const event = EVENT.exec(text)?.[1] ?? null;
      this.arrivals.push({ id, at, stamp: stamp ? Number(stamp[1]) : null, bytes: text.length, event });
      if (this.requiresActionId === null && event === "thread.run.requires_action") this.requiresActionId = id;
      this.wake();
      return;
    }
    if (text.includes('"type":"stopped"')) {
      this.stopped = true;
      this.resolveDone();
      return;
    }
    if (text.includes('"type":"started"')) return;
    this.other.push(text.slice(0, 500));
    // An error answer to the subscription ends it: nothing more comes on it.
    if (text.includes('"error":')) this.resolveDone();
  }
}

/** The ids a subscriber got, checked against the log's 1..last: gaps, duplicates and reorderings counted. */
export function checkSequence(
  ids: number[],
  from: number,
  last: number,
): { missing: number; duplicates: number; outOfOrder: number } {
  const seen = new Set<number>();
  let duplicates = 0;
  let outOfOrder = 0;
  let previous = from - 1;
  for (const id of ids) {
    if (seen.has(id)) duplicates++;
    seen.add(id);
    if (id < previous) outOfOrder++;
    previous = Math.max(previous, id);
  }
  let missing = 0;
  for (let id = from; id <= last; id++) if (!seen.has(id)) missing++;
  return { missing, duplicates, outOfOrder };
}
