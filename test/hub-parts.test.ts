// The hub's subscriber parts on their own, with fakes for what they read: HTTP followers over a fake log, and the
// socket registry over fake sockets (no Durable Object, no network).
import { describe, expect, it } from "vitest";
import { Connections, type SocketPrincipal } from "../src/durable/connections";
import type { EventLog, LoggedEvent } from "../src/durable/event-log";
import { Followers } from "../src/durable/followers";
import { DEFAULT_HUB_CONFIG } from "../src/durable/hub-config";
import { parseEvents, type StreamedEvent } from "../src/durable/hub-contract";

/** A log held in an array: what followers read, and nothing else of the real one. */
function fakeLog(names: string[]) {
  const events: LoggedEvent[] = names.map((event, index) => ({ seq: index + 1, event, data: "{}" }));
  const log = {
    after: (seq: number, limit = 1000) => events.filter((e) => e.seq > seq).slice(0, limit),
  } as unknown as EventLog;
  return { log, events, push: (event: string) => events.push({ seq: events.length + 1, event, data: "{}" }) };
}

const lag = { ...DEFAULT_HUB_CONFIG, followHeartbeatMs: 60_000 };

async function readAll(response: Response): Promise<string[]> {
  const names: string[] = [];
  const reader = response.body!.pipeThrough(parseEvents()).getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read())
    if (typeof next.value !== "symbol") names.push((next.value as StreamedEvent).event);
  return names;
}

describe("HTTP followers over a fake log", () => {
  it("read the backlog, then what is appended, and end after the run's terminal event", async () => {
    const { log, push } = fakeLog(["thread.run.created", "thread.run.in_progress"]);
    const followers = new Followers({ log, finished: () => false }, lag);
    const follower = followers.add(0, "terminal", "acme");
    const reading = readAll(follower.response);
    push("thread.message.delta");
    push("thread.run.completed");
    followers.appended(4, Date.now());
    expect(await reading).toEqual([
      "thread.run.created",
      "thread.run.in_progress",
      "thread.message.delta",
      "thread.run.completed",
    ]);
    expect(followers.size).toBe(0);
  });

  it("a segment follower ends at requires_action; a resumed one starts after its event id", async () => {
    const { log } = fakeLog([
      "thread.run.created",
      "thread.run.requires_action",
      "runcast.tool_outputs",
      "thread.run.completed",
    ]);
    const followers = new Followers({ log, finished: () => false }, lag);
    expect(await readAll(followers.add(0, "segment", "acme").response)).toEqual([
      "thread.run.created",
      "thread.run.requires_action",
    ]);
    expect(await readAll(followers.add(2, "terminal", "acme").response)).toEqual([
      "runcast.tool_outputs",
      "thread.run.completed",
    ]);
  });

  it("count per tenant, and a follower whose reader reads nothing through two heartbeats is dropped", async () => {
    const { log } = fakeLog(["thread.run.created", "thread.run.requires_action"]);
    const followers = new Followers({ log, finished: () => false }, lag);
    const gone = followers.add(0, "terminal", "acme");
    followers.add(0, "terminal", "globex");
    expect([followers.count("acme"), followers.count("globex"), followers.size]).toEqual([1, 1, 2]);
    // The response starts filling its buffer; nobody reads it.
    await new Promise((resolve) => setTimeout(resolve, 10));
    gone.heartbeat();
    gone.heartbeat();
    gone.heartbeat();
    expect(followers.count("acme")).toBe(0);
    followers.failAll("done");
  });
});

/** A socket as the registry sees it: its attachment, its state, what it was sent and how it was closed. */
class FakeSocket {
  attachment: unknown = null;
  readyState: number = WebSocket.OPEN;
  sent: string[] = [];
  closed: number | null = null;
  serializeAttachment(value: unknown) {
    this.attachment = structuredClone(value);
  }
  deserializeAttachment() {
    return this.attachment;
  }
  send(frame: string) {
    this.sent.push(frame);
  }
  close(code: number) {
    this.closed = code;
    this.readyState = WebSocket.CLOSED;
  }
}

const principal = (tenant: string, expiresAt: number | null = null): SocketPrincipal => ({
  tenant,
  admin: false,
  expiresAt,
});
const ref = { thread_id: "thread_a", run_id: "run_a" };

describe("the socket registry over fake sockets", () => {
  it("counts seats by tenant, sockets without one apart, and keeps each socket's attachment current", () => {
    const connections = new Connections([], () => 0, DEFAULT_HUB_CONFIG);
    const [a, b, waiting] = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
    connections.add(a as unknown as WebSocket, ref, principal("acme", 5_000), null);
    connections.add(b as unknown as WebSocket, ref, principal("globex"), null);
    connections.add(waiting as unknown as WebSocket, ref, null, 1_000);
    expect([connections.size, connections.count(), connections.count("acme"), connections.unadmitted]).toEqual([
      3, 2, 1, 1,
    ]);
    expect(connections.nextDeadline()).toBe(1_000);
    expect(connections.nextExpiry()).toBe(5_000);
    expect(a.attachment).toMatchObject({ ref, principal: { tenant: "acme" }, subs: [] });
  });

  it("restores sockets from their attachments after hibernation, subscriptions at the log's head", () => {
    const socket = new FakeSocket();
    socket.serializeAttachment({ ref, subs: [7], principal: principal("acme"), authDeadline: null, denied: false });
    const connections = new Connections([socket as unknown as WebSocket], () => 42, DEFAULT_HUB_CONFIG);
    expect(connections.get(socket as unknown as WebSocket)).toMatchObject({
      subs: [{ id: 7, after: 42 }],
      acked: 42,
      principal: { tenant: "acme" },
    });
  });

  it("a send to a socket that has gone is dropped and the socket forgotten; close forgets it too", () => {
    const connections = new Connections([], () => 0, DEFAULT_HUB_CONFIG);
    const [gone, open] = [new FakeSocket(), new FakeSocket()];
    connections.add(gone as unknown as WebSocket, ref, principal("acme"), null);
    connections.add(open as unknown as WebSocket, ref, principal("acme"), null);
    gone.readyState = WebSocket.CLOSED;
    expect(connections.send(gone as unknown as WebSocket, "x")).toBe(false);
    expect(connections.send(open as unknown as WebSocket, "y")).toBe(true);
    connections.close(open as unknown as WebSocket, 4008, "behind");
    expect([connections.size, open.closed, open.sent]).toEqual([0, 4008, ["y"]]);
  });
});
