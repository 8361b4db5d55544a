// The REST streaming routes (GET …/events, POST …/submit_tool_outputs with stream: true) check their inputs before they
// authorise: a malformed id is a 400 in the upstream's error shape that describes the field and never echoes the id
// (control characters included), for any caller; a 404 that quotes the id back is what they answered before.
import { beforeAll, describe, expect, it } from "vitest";
import { GATEWAY, gatewayFetch } from "../helpers/emulator";
import { jwt, uniqueTenant } from "../helpers/secure";

let token: string;
beforeAll(async () => {
  token = await jwt({ sub: uniqueTenant("acme") });
});

const RUN = "run_abc123";
const THREAD = "thread_abc123";
/** Ids with a control character, percent-encoded in the path; hono decodes them into the route's params. */
const MALFORMED = ["thread_abc%00def", "thread_abc%0Adef", "thread_%1B%5B31mred", "thread_abc%7Fdef"];

/** A 400 in the upstream's shape naming `param`, with nothing of the request's id in it and no control character. */
async function expectDescribed400(response: Response, param: string) {
  expect(response.status).toBe(400);
  const text = await response.text();
  expect(text).not.toMatch(/[\u0000-\u001f\u007f]/);
  const body = JSON.parse(text) as {
    error: { message: string; type: string; param: string | null; code: string | null };
  };
  expect(body.error).toMatchObject({ type: "invalid_request_error", param, code: "invalid_value" });
  expect(body.error.message).toMatch(new RegExp(`^${param}: `));
  expect(body.error.message).not.toMatch(/abc|red|def|[\u0000-\u001f\u007f]/);
}

describe("GET …/events", () => {
  it.each(MALFORMED)("thread id %s: 400 describing thread_id, with a valid token and with none", async (id) => {
    for (const headers of [{ authorization: `Bearer ${token}` }, {}] as Array<Record<string, string>>)
      await expectDescribed400(
        await gatewayFetch(`${GATEWAY}/v1/threads/${id}/runs/${RUN}/events`, { headers }),
        "thread_id",
      );
  });

  it("a malformed run id is a 400 too; a well-formed unknown thread stays a 404 for the caller", async () => {
    await expectDescribed400(
      await gatewayFetch(`${GATEWAY}/v1/threads/${THREAD}/runs/run_x%00y/events`, {
        headers: { authorization: `Bearer ${token}` },
      }),
      "run_id",
    );
    expect(
      (
        await gatewayFetch(`${GATEWAY}/v1/threads/${THREAD}/runs/${RUN}/events`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).status,
    ).toBe(404);
  });
});

describe("POST …/submit_tool_outputs with stream: true", () => {
  const submit = (
    threadId: string,
    body: unknown,
    headers: Record<string, string> = { authorization: `Bearer ${token}` },
  ) =>
    gatewayFetch(`${GATEWAY}/v1/threads/${threadId}/runs/${RUN}/submit_tool_outputs`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  it.each(MALFORMED)("thread id %s: 400 describing thread_id, with a valid token and with none", async (id) => {
    const body = { stream: true, tool_outputs: [{ tool_call_id: "call_abc", output: "x" }] };
    await expectDescribed400(await submit(id, body), "thread_id");
    await expectDescribed400(await submit(id, body, {}), "thread_id");
  });

  it("a malformed body is a 400 before authorisation: on a thread the caller cannot reach, and with no credential", async () => {
    for (const headers of [{ authorization: `Bearer ${token}` }, {}] as Array<Record<string, string>>)
      await expectDescribed400(await submit(THREAD, { stream: true, tool_outputs: [] }, headers), "tool_outputs");
  });
});
