// The Responses calls on a stubbed fetch: the installed SDK's SSE parser keeps a last event that lacks its blank line
// (openai-node#2725, fixed by #2726), error frames become the stream's last event, and conversation_locked is retried.
import OpenAI from "openai";
import type { ResponseCreateParamsStreaming } from "openai/resources/responses/responses";
import { describe, expect, it } from "vitest";
import { UpstreamError } from "../src/errors/upstream-error";
import { ResponsesUpstream } from "../src/providers/responses/responses-upstream";
import type { ResponsesEvent } from "../src/providers/responses/snapshot";

const frame = (data: { type: string; [key: string]: unknown }) =>
  `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;

function upstreamOn(answer: (attempt: number) => Response) {
  let attempts = 0;
  const client = new OpenAI({
    apiKey: "test",
    baseURL: "http://upstream.test/v1",
    maxRetries: 0,
    fetch: async () => answer(attempts++),
  });
  return {
    upstream: new ResponsesUpstream(client, { attempts: 3, firstDelayMs: 1, maxDelayMs: 2 }),
    attempts: () => attempts,
  };
}

const sse = (text: string) => new Response(text, { headers: { "content-type": "text/event-stream" } });

async function drain(stream: AsyncIterable<ResponsesEvent>) {
  const events: ResponsesEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const BODY: ResponseCreateParamsStreaming = { model: "gpt-4o", input: [], background: true, stream: true, store: true };

describe("the SDK's stream parsing, as Runcast uses it", () => {
  it("keeps a final event whose frame lacks the trailing blank line", async () => {
    const created = frame({ type: "response.created", sequence_number: 0, response: { id: "resp_1" } });
    const completed = frame({ type: "response.completed", sequence_number: 1, response: { id: "resp_1" } });
    const { upstream } = upstreamOn(() => sse(created + completed.trimEnd()));
    const events = await drain(await upstream.create(BODY));
    expect(events.map((event) => event.type)).toEqual(["response.created", "response.completed"]);
  });

  it("an error frame (nested or flat) ends the stream as an `error` event instead of throwing", async () => {
    for (const error of [
      { type: "error", sequence_number: 1, error: { type: "server_error", code: "server_error", message: "boom" } },
      { type: "error", sequence_number: 1, code: "server_error", message: "boom", param: null },
    ]) {
      const { upstream } = upstreamOn(() =>
        sse(frame({ type: "response.created", sequence_number: 0, response: { id: "r" } }) + frame(error)),
      );
      const events = await drain(await upstream.create(BODY));
      expect(events.map((event) => event.type)).toEqual(["response.created", "error"]);
      expect(events[1]).toMatchObject({ error: { message: "boom" } });
    }
  });
});

describe("conversation_locked", () => {
  const locked = () =>
    Response.json(
      {
        error: {
          message: "Another process is currently operating on this conversation. Please retry in a few seconds.",
          type: "invalid_request_error",
          param: "conversation",
          code: "conversation_locked",
        },
      },
      { status: 400 },
    );

  it("is retried with backoff until the conversation is free", async () => {
    const { upstream, attempts } = upstreamOn((attempt) =>
      attempt < 2 ? locked() : sse(frame({ type: "response.created", sequence_number: 0, response: { id: "r" } })),
    );
    expect((await drain(await upstream.create(BODY))).map((event) => event.type)).toEqual(["response.created"]);
    expect(attempts()).toBe(3);
  });

  it("gives up after the last attempt with the upstream's error; other refusals are not retried", async () => {
    const always = upstreamOn(() => locked());
    const error = await always.upstream.create(BODY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).details).toMatchObject({ status: 400, code: "conversation_locked" });
    expect(always.attempts()).toBe(3);
    const other = upstreamOn(() =>
      Response.json({ error: { message: "bad", type: "invalid_request_error" } }, { status: 400 }),
    );
    await other.upstream.create(BODY).catch(() => {});
    expect(other.attempts()).toBe(1);
  });
});
