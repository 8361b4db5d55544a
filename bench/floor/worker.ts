// The floor: a Durable Object that accepts hibernatable WebSockets and sends each of them the same pre-serialised
// frames, flat out or paced. Each frame carries its index and the time it was sent, padded to the size asked for.
import { DurableObject } from "cloudflare:workers";

interface Env {
  FLOOR: DurableObjectNamespace<Floor>;
}

export class Floor extends DurableObject<Env> {
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      const pair = new WebSocketPair();
      this.ctx.acceptWebSocket(pair[1]);
      return new Response(null, { status: 101, webSocket: pair[0] });
    }
    if (url.pathname.endsWith("/sockets")) return Response.json({ sockets: this.ctx.getWebSockets().length });
    const frames = Number(url.searchParams.get("frames") ?? 500);
    const bytes = Number(url.searchParams.get("bytes") ?? 300);
    const intervalMs = Number(url.searchParams.get("interval_ms") ?? 0);
    const started = Date.now();
    const sent = await this.broadcast(frames, bytes, intervalMs);
    return Response.json({ frames, sockets: this.ctx.getWebSockets().length, sent, ms: Date.now() - started });
  }

  /** Sends `frames` frames of about `bytes` bytes to every socket; the only per-frame work is the time stamp. */
  private async broadcast(frames: number, bytes: number, intervalMs: number): Promise<number> {
    const sockets = this.ctx.getWebSockets();
    const padding = "x".repeat(Math.max(0, bytes - 40));
    let sent = 0;
    for (let index = 0; index < frames; index++) {
      if (intervalMs > 0 && index > 0) await new Promise((resolve) => setTimeout(resolve, intervalMs));
      const frame = `{"i":${index},"t":${Date.now()},"p":"${padding}"}`;
      for (const socket of sockets) {
        socket.send(frame);
        sent++;
      }
    }
    return sent;
  }

  // Clients only listen; what they send is ignored, and closes need no answer beyond the runtime's.
  override webSocketMessage(): void {}
  override webSocketClose(socket: WebSocket, code: number): void {
    socket.close(code === 1005 ? 1000 : code);
  }
}

export default {
  fetch(request: Request, env: Env): Promise<Response> | Response {
    const url = new URL(request.url);
    if (url.pathname === "/health") return Response.json({ status: "ok" });
    const room = /^\/floor\/([\w-]+)/.exec(url.pathname)?.[1];
    if (!room) return new Response("not found", { status: 404 });
    return env.FLOOR.get(env.FLOOR.idFromName(room)).fetch(request);
  },
} satisfies ExportedHandler<Env>;
