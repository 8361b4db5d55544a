// Subscribers of the floor (bench/floor): plain WebSockets that note when each frame arrived and the time it was sent.

const INDEX = /^\{"i":(\d+),"t":(\d+)/;
const now = () => performance.timeOrigin + performance.now();

export class FloorSubscriber {
  readonly arrivals: Array<{ index: number; at: number; stamp: number }> = [];
  private socket!: WebSocket;

  open(url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket = new WebSocket(url);
      this.socket.addEventListener("open", () => resolve(), { once: true });
      this.socket.addEventListener("error", () => reject(new Error("floor socket error")), { once: true });
      this.socket.addEventListener("message", (event) => {
        const match = INDEX.exec(String(event.data));
        if (match) this.arrivals.push({ index: Number(match[1]), at: now(), stamp: Number(match[2]) });
      });
    });
  }

  async until(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.arrivals.length < count && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
  }

  close(): void {
    this.socket.close(1000);
  }
}
