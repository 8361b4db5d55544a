// Frames that carry several tRPC messages. A socket opened with `?frames=batch` lets the hub send what it has ready
// at once (a replay, or the events of one upstream read) as one frame holding a JSON array of messages; tRPC's own
// wsLink reads exactly one message per frame, so the WebSocket it is given hands each listener the messages one by one.

/** The query a socket's URL carries to ask for batched frames. */
export const BATCHED_FRAMES_QUERY = "frames=batch";

type MessageListener = (this: unknown, event: { data: unknown }) => void;

/** What is used of the WebSocket class here, typed loosely: the browser's, Node's and workerd's differ in detail. */
interface Listening {
  addEventListener(type: string, listener: unknown, options?: unknown): void;
}
type ListeningClass = new (url: string, protocols?: string | string[]) => Listening;

/** A WebSocket class whose message listeners see one tRPC message per call, whether a frame holds one or many. */
export function splittingBatchedFrames(Base: typeof WebSocket): typeof WebSocket {
  class Splitting extends (Base as unknown as ListeningClass) {
    override addEventListener(type: string, listener: unknown, options?: unknown): void {
      if (type !== "message" || typeof listener !== "function") return super.addEventListener(type, listener, options);
      const each = listener as MessageListener;
      super.addEventListener(
        type,
        function (this: unknown, event: { data: unknown }) {
          const { data } = event;
          if (typeof data !== "string" || !data.startsWith("[")) return each.call(this, event);
          for (const message of JSON.parse(data) as unknown[]) each.call(this, { data: JSON.stringify(message) });
        },
        options,
      );
    }
  }
  return Splitting as unknown as typeof WebSocket;
}
