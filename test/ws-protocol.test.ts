// tRPC's WebSocket protocol as the hub speaks it, pinned frame by frame: what wsLink sends is parsed to these messages,
// and what the hub sends is exactly these strings (any change here is a change on the wire).
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import {
  batchFrames,
  errorFrame,
  eventFrame,
  parseClientFrame,
  resultFrame,
  socketEventFrame,
  startedFrame,
  stoppedFrame,
} from "../src/durable/ws-protocol";
import { socketErrorShape } from "../src/durable/socket-procedures";

const parse = (frame: string) => parseClientFrame(frame, 32);

describe("frames a client sends", () => {
  it("wsLink's subscription, with its last event id on resubscribe", () => {
    const frame =
      '{"id":3,"method":"subscription","params":{"path":"runs.events","input":{"thread_id":"thread_a","run_id":"run_a"},"lastEventId":"17"}}';
    expect(parse(frame)).toEqual({
      count: 1,
      messages: [
        {
          type: "call",
          id: 3,
          method: "subscription",
          path: "runs.events",
          input: { thread_id: "thread_a", run_id: "run_a" },
          lastEventId: "17",
        },
      ],
    });
  });

  it("connection params, a stop, PING and PONG", () => {
    expect(parse('{"method":"connectionParams","data":{"token":"t"}}').messages).toEqual([
      { type: "connectionParams", data: { token: "t" } },
    ]);
    expect(parse('{"id":3,"method":"subscription.stop"}').messages).toEqual([{ type: "stop", id: 3 }]);
    expect(parse("PING")).toEqual({ messages: [{ type: "ping" }], count: 1 });
    expect(parse("PONG")).toEqual({ messages: [{ type: "pong" }], count: 1 });
  });

  it("a batch is answered as a whole: too long, or holding a malformed message, it is one invalid message", () => {
    const call = '{"id":1,"method":"query","params":{"path":"runs.retrieve","input":{}}}';
    expect(parse(`[${call},${call.replace('"id":1', '"id":2')}]`).messages.map((m) => m.type)).toEqual([
      "call",
      "call",
    ]);
    expect(parse(`[${Array(33).fill(call).join(",")}]`)).toEqual({
      count: 33,
      messages: [{ type: "invalid", id: null, message: "a frame may carry at most 32 messages; this one has 33" }],
    });
    expect(parse(`[${call},{"id":2,"method":"nope"}]`).messages).toEqual([
      expect.objectContaining({ type: "invalid", id: null, message: expect.stringMatching(/^batch item 1: /) }),
    ]);
    expect(parse("not json").messages).toEqual([{ type: "invalid", id: null, message: "frames must be JSON" }]);
  });
});

describe("batched frames (for sockets that ask with ?frames=batch)", () => {
  it("hold the messages as a JSON array, in order, within the size cap; a lone message is sent as itself", () => {
    const messages = Array.from({ length: 10 }, (_, i) => eventFrame(1, i + 1, "thread.message.delta", `{"n":${i}}`));
    expect(batchFrames([messages[0]!])).toEqual([messages[0]]);
    const one = batchFrames(messages);
    expect(one).toHaveLength(1);
    expect(JSON.parse(one[0]!)).toEqual(messages.map((m) => JSON.parse(m)));
    // A cap of about three messages: four frames, every message once and in order.
    const capped = batchFrames(messages, messages[0]!.length * 3 + 3);
    expect(capped.length).toBe(4);
    expect(capped.flatMap((frame) => (frame.startsWith("[") ? JSON.parse(frame) : [JSON.parse(frame)]))).toEqual(
      messages.map((m) => JSON.parse(m)),
    );
  });
});

describe("frames the hub sends", () => {
  it("started, stopped, a tracked event and a result, byte for byte", () => {
    expect(startedFrame(3)).toBe('{"id":3,"result":{"type":"started"}}');
    expect(stoppedFrame("a")).toBe('{"id":"a","result":{"type":"stopped"}}');
    expect(eventFrame(3, 17, "thread.message.delta", '{"id":"msg_a"}')).toBe(
      '{"id":3,"result":{"type":"data","id":"17","data":{"id":"17","data":{"event":"thread.message.delta","data":{"id":"msg_a"}}}}}',
    );
    expect(resultFrame(4, { id: "run_a" })).toBe('{"id":4,"result":{"type":"data","data":{"id":"run_a"}}}');
  });

  it("an event too large for a message, as a stand-in under its id; the limit counts bytes, not characters", () => {
    const small = '{"id":"msg_a","content":[]}';
    expect(socketEventFrame(3, 17, "thread.message.completed", small)).toBe(
      eventFrame(3, 17, "thread.message.completed", small),
    );
    // 400,000 characters of three bytes each: under 1 MiB in characters, over it in bytes.
    const wide = JSON.stringify({ id: "msg_a", text: "語".repeat(400_000) });
    expect(socketEventFrame(3, 17, "thread.message.completed", wide)).toBe(
      '{"id":3,"result":{"type":"data","id":"17","data":{"id":"17","data":{"event":"runcast.event_too_large","data":{"event":"thread.message.completed","id":"msg_a","bytes":1200024}}}}}',
    );
  });

  it("an error in the shape tRPC's errorFormatter gives, and a refusal with no request id", () => {
    expect(
      JSON.parse(
        errorFrame(
          5,
          socketErrorShape(new TRPCError({ code: "NOT_FOUND", message: "No run found with id 'run_a'." }), {
            path: "runs.retrieve",
          }),
        ),
      ),
    ).toEqual({
      id: 5,
      error: {
        code: -32004,
        message: "No run found with id 'run_a'.",
        data: { code: "NOT_FOUND", httpStatus: 404, path: "runs.retrieve" },
      },
    });
    expect(
      JSON.parse(
        errorFrame(
          null,
          socketErrorShape(new TRPCError({ code: "UNAUTHORIZED", message: "no credentials received in time" })),
        ),
      ),
    ).toEqual({
      id: null,
      error: {
        code: -32001,
        message: "no credentials received in time",
        data: { code: "UNAUTHORIZED", httpStatus: 401 },
      },
    });
  });
});
