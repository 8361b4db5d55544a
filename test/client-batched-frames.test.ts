// @runcast/client's WebSocket for batched frames on its own: every way of listening for messages gets one tRPC message
// per call, whether the hub's frame held one or many, on a WebSocket of each kind the client meets.
import { describe, expect, it } from "vitest";
import { splittingBatchedFrames } from "../src/client/batched-frames";

type Listener = (this: unknown, event: { data: unknown }) => void;

/** A WebSocket as browsers have it: its own listeners, and an `onmessage` handler it keeps and calls itself. */
class BrowserSocket {
  readonly #listeners: Listener[] = [];
  #handler: Listener | null = null;

  constructor(readonly url: string) {}

  addEventListener(type: string, listener: Listener) {
    if (type === "message" && !this.#listeners.includes(listener)) this.#listeners.push(listener);
  }

  removeEventListener(type: string, listener: Listener) {
    const index = this.#listeners.indexOf(listener);
    if (type === "message" && index >= 0) this.#listeners.splice(index, 1);
  }

  get onmessage() {
    return this.#handler;
  }

  set onmessage(handler: Listener | null) {
    this.#handler = typeof handler === "function" ? handler : null;
  }

  /** A frame arriving from the hub. */
  receive(data: string) {
    this.#handler?.call(this, { data });
    for (const listener of [...this.#listeners]) listener.call(this, { data });
  }
}

/** A WebSocket as Node has it (undici): `onmessage` registers the handler as a listener, replacing the one before. */
class NodeSocket extends BrowserSocket {
  #handler: Listener | null = null;

  override get onmessage() {
    return this.#handler;
  }

  override set onmessage(handler: Listener | null) {
    if (this.#handler) this.removeEventListener("message", this.#handler);
    this.#handler = typeof handler === "function" ? handler : null;
    if (this.#handler) this.addEventListener("message", this.#handler);
  }
}

/** A WebSocket as workerd has it: an EventTarget with no `onmessage` of its own, which calls what `onmessage` reads. */
class WorkerdSocket extends EventTarget {
  constructor(readonly url: string) {
    super();
  }

  receive(data: string) {
    this.dispatchEvent(new MessageEvent("message", { data }));
  }
}

interface Receiving {
  onmessage: ((event: { data: unknown }) => void) | null;
  addEventListener(type: string, listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: string, listener: (event: { data: unknown }) => void): void;
  receive(data: string): void;
}

const one = '{"id":1,"result":{"type":"started"}}';
const batch = '[{"id":1,"result":{"type":"data","id":"1"}},{"id":1,"result":{"type":"data","id":"2"}}]';
const split = [one, '{"id":1,"result":{"type":"data","id":"1"}}', '{"id":1,"result":{"type":"data","id":"2"}}'];

describe.each([
  { kind: "a browser's WebSocket", Base: BrowserSocket },
  { kind: "Node's WebSocket", Base: NodeSocket },
  { kind: "workerd's WebSocket", Base: WorkerdSocket },
])("splittingBatchedFrames over $kind", ({ Base }) => {
  const Splitting = splittingBatchedFrames(Base as unknown as typeof WebSocket);
  const open = () => new Splitting("ws://runcast.test/ws?frames=batch") as unknown as Receiving;

  it("hands listeners added with addEventListener one message per call, until they are removed", () => {
    const socket = open();
    const seen: unknown[] = [];
    const listener = (event: { data: unknown }) => seen.push(event.data);
    socket.addEventListener("message", listener);
    socket.receive(one);
    socket.receive(batch);
    socket.removeEventListener("message", listener);
    socket.receive(one);
    expect(seen).toEqual(split);
  });

  it("hands the onmessage handler one message per call, and nothing else hands it a batch whole", () => {
    const socket = open();
    const seen: unknown[] = [];
    socket.onmessage = (event) => seen.push(event.data);
    socket.receive(one);
    socket.receive(batch);
    expect(seen).toEqual(split);
    expect(socket.onmessage).toBeTypeOf("function");
  });

  it("a handler set again replaces the one before, and null stops it", () => {
    const socket = open();
    const first: unknown[] = [];
    const second: unknown[] = [];
    socket.onmessage = (event) => first.push(event.data);
    socket.onmessage = (event) => second.push(event.data);
    socket.receive(batch);
    socket.onmessage = null;
    socket.receive(one);
    expect(first).toEqual([]);
    expect(second).toEqual(split.slice(1));
    expect(socket.onmessage).toBeNull();
  });
});
