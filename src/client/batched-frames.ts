// Frames that carry several tRPC messages. A socket opened with `?frames=batch` lets the hub send what it has ready
// at once (a replay, or the events of one upstream read) as one frame holding a JSON array of messages; tRPC's own
// wsLink reads exactly one message per frame, so the WebSocket it is given hands each listener the messages one by one.

/** The query a socket's URL carries to ask for batched frames. */
export const BATCHED_FRAMES_QUERY = "frames=batch";

type MessageListener = (this: unknown, event: { data: unknown }) => void;

/** What is used of the WebSocket class here, typed loosely: the browser's, Node's and workerd's differ in detail. */
interface Listening {
  addEventListener(type: string, listener: unknown, options?: unknown): void;
  removeEventListener(type: string, listener: unknown, options?: unknown): void;
}
type ListeningClass = new (url: string, protocols?: string | string[]) => Listening;

/** Each listener's splitting stand-in, made once: adding a listener twice stays one listener, and removing it finds it. */
const splitters = new WeakMap<MessageListener, MessageListener>();

/** `listener`, called once for each message a frame carries: a frame holding a JSON array is several. */
function eachMessage(listener: MessageListener): MessageListener {
  let splitter = splitters.get(listener);
  if (!splitter)
    splitters.set(
      listener,
      (splitter = function (this: unknown, event: { data: unknown }) {
        const { data } = event;
        if (typeof data !== "string" || !data.startsWith("[")) return listener.call(this, event);
        for (const message of JSON.parse(data) as unknown[]) listener.call(this, { data: JSON.stringify(message) });
      }),
    );
  return splitter;
}

/** Where a class's `name` is defined, on it or a class it extends. */
function descriptorOf(prototype: object | null, name: string): PropertyDescriptor | undefined {
  for (let at = prototype; at; at = Object.getPrototypeOf(at) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(at, name);
    if (descriptor) return descriptor;
  }
  return undefined;
}

/**
 * A WebSocket class whose message listeners see one tRPC message per call, whether a frame holds one or many: those
 * added with `addEventListener` and the `onmessage` handler alike.
 */
export function splittingBatchedFrames(Base: typeof WebSocket): typeof WebSocket {
  // Browsers and Node keep the handler behind an accessor of their own; workerd has none and calls what `onmessage` reads.
  const baseHandler = descriptorOf(Base.prototype, "onmessage")?.set;

  class Splitting extends (Base as unknown as ListeningClass) {
    #onmessage: MessageListener | null = null;

    override addEventListener(type: string, listener: unknown, options?: unknown): void {
      if (type !== "message" || typeof listener !== "function") return super.addEventListener(type, listener, options);
      super.addEventListener(type, eachMessage(listener as MessageListener), options);
    }

    override removeEventListener(type: string, listener: unknown, options?: unknown): void {
      const added =
        type === "message" && typeof listener === "function" ? splitters.get(listener as MessageListener) : null;
      super.removeEventListener(type, added ?? listener, options);
    }

    /** Reads back as the splitting handler, not the one set: workerd calls whatever `onmessage` reads. */
    get onmessage(): MessageListener | null {
      return this.#onmessage && eachMessage(this.#onmessage);
    }

    /** The base's own handler (where it has one) is the splitting one, so nothing calls `handler` with a batch whole. */
    set onmessage(handler: MessageListener | null) {
      this.#onmessage = typeof handler === "function" ? handler : null;
      baseHandler?.call(this, this.onmessage);
    }
  }
  return Splitting as unknown as typeof WebSocket;
}
