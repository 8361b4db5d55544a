// A WebSocket class for @trpc/client's wsLink inside workerd tests: it opens the socket through the gateway Worker's
// fetch handler (an Upgrade request), since tests cannot dial the Worker over the network.
import { gatewayFetch } from "./emulator";

type Listener = (event: Event) => void;

export class WorkerWebSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  readyState = WorkerWebSocket.CONNECTING;
  onopen: Listener | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: Listener | null = null;
  binaryType = "blob";
  private socket: WebSocket | null = null;
  /** Close codes and reasons this socket received, for assertions. */
  readonly closes: Array<{ code: number; reason: string }> = [];

  constructor(
    readonly url: string,
    headers: Record<string, string> = {},
  ) {
    super();
    void this.connect(headers);
  }

  private async connect(headers: Record<string, string>) {
    try {
      const response = await gatewayFetch(this.url.replace(/^ws/, "http"), {
        headers: { upgrade: "websocket", ...headers },
      });
      const socket = response.webSocket;
      if (!socket) throw new Error(`upgrade refused: ${response.status} ${await response.text()}`);
      socket.accept();
      this.socket = socket;
      socket.addEventListener("message", (event) => this.emit(new MessageEvent("message", { data: event.data })));
      socket.addEventListener("close", (event) => {
        if (this.readyState === WorkerWebSocket.CLOSED) return;
        this.closes.push({ code: event.code, reason: event.reason });
        this.readyState = WorkerWebSocket.CLOSED;
        this.emit(new CloseEvent("close", { code: event.code, reason: event.reason, wasClean: true }));
      });
      this.readyState = WorkerWebSocket.OPEN;
      this.emit(new Event("open"));
    } catch (error) {
      this.readyState = WorkerWebSocket.CLOSED;
      this.emit(new Event("error"));
      this.closes.push({ code: 1006, reason: String(error) });
      this.emit(new CloseEvent("close", { code: 1006, reason: String(error) }));
    }
  }

  private emit(event: Event) {
    const handler = (this as unknown as Record<string, ((event: Event) => void) | null>)[`on${event.type}`];
    handler?.call(this, event);
    this.dispatchEvent(event);
  }

  /** As in browsers: an error while connecting, silently dropped once closing or closed. */
  send(data: string) {
    if (this.readyState === WorkerWebSocket.CONNECTING || !this.socket) throw new Error("socket not open yet");
    if (this.readyState !== WorkerWebSocket.OPEN) return;
    this.socket.send(data);
  }

  /**
   * The connection lost, as a browser sees it: closed at once with 1006, no handshake (the server is told by a close
   * frame it will answer to nobody).
   */
  drop(): boolean {
    if (this.readyState !== WorkerWebSocket.OPEN) return false;
    this.readyState = WorkerWebSocket.CLOSED;
    this.socket?.close(3000, "connection lost");
    this.closes.push({ code: 1006, reason: "connection lost" });
    this.emit(new CloseEvent("close", { code: 1006, reason: "connection lost", wasClean: false }));
    return true;
  }

  close(code = 1000, reason = "") {
    if (this.readyState === WorkerWebSocket.CLOSED) return;
    this.readyState = WorkerWebSocket.CLOSING;
    this.socket?.close(code, reason);
  }
}
