// Reading an upstream stream into a run's hub, the one way both readers do it: the creation step (first segment,
// over RPC) and the hub itself (continuations after tool outputs).
import type { Failure } from "../log/failure-log";
import type { UpstreamEvent, UpstreamStream } from "../providers/provider";

/** How a pump ended: the stream ran out, the hub refused its events (the stream was given up), or it broke. */
export type PumpEnd = "ended" | "refused" | "broken";

/**
 * Reads until `matches` finds an event: the events read so far (that event last), the event found (null when
 * the stream ended first), and the error if the stream broke on the way; what was read before it is kept.
 */
export async function readUntil(
  iterator: AsyncIterator<UpstreamEvent>,
  matches: (event: UpstreamEvent) => boolean,
): Promise<{ head: UpstreamEvent[]; found: UpstreamEvent | null; error?: unknown }> {
  const head: UpstreamEvent[] = [];
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return { head, found: null };
      head.push(next.value);
      if (matches(next.value)) return { head, found: next.value };
    }
  } catch (error) {
    return { head, found: null, error };
  }
}

/**
 * Delivers the rest of a stream in batches: the events of one read go together, and events that arrive while a
 * batch is on its way go together in the next one. Stops when `deliver` refuses (false, or it throws: the hub was reset or moved), releasing the
 * upstream connection; resolves once everything read has been delivered or refused. Failures are logged through
 * `log` (which adds the run and request id), naming `who` read the stream.
 */
export async function pump(
  stream: UpstreamStream,
  iterator: AsyncIterator<UpstreamEvent>,
  deliver: (events: UpstreamEvent[]) => Promise<boolean>,
  who: string,
  log: (failure: Failure) => void,
): Promise<PumpEnd> {
  const buffer: UpstreamEvent[] = [];
  let sending: Promise<void> | null = null;
  let accepted = true;
  let broken = false;
  const flush = async (): Promise<void> => {
    try {
      // Events parsed from one network read arrive a microtask apart: waiting one turn of the event loop lets them go
      // together, so the hub writes and tells a batch at a time instead of an event at a time.
      await new Promise((resolve) => setTimeout(resolve, 0));
      while (buffer.length > 0 && accepted) accepted = await deliver(buffer.splice(0));
    } catch (error) {
      log({
        level: "warn",
        what: "stream.hub_stopped_taking_events",
        detail: `${who}: the hub stopped taking events`,
        error,
      });
      accepted = false;
    } finally {
      sending = null;
    }
  };
  try {
    for (let next = await iterator.next(); !next.done && accepted; next = await iterator.next()) {
      buffer.push(next.value);
      sending ??= flush();
    }
  } catch (error) {
    log({ level: "warn", what: "stream.ended_early", detail: `${who}: stream ended early`, error });
    broken = true;
  }
  await (sending ?? flush());
  if (!accepted) {
    stream.abort();
    return "refused";
  }
  return broken ? "broken" : "ended";
}
