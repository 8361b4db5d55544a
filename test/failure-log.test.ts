// The failure line on its own: one JSON line per failure, at its level, that names what failed and never carries an
// error's own words (an upstream's can quote the key the gateway sent; anything else may quote its input).
import { TRPCError } from "@trpc/server";
import { APIError } from "openai";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { UpstreamError } from "../src/errors/upstream-error";
import { logFailure } from "../src/log/failure-log";

const SECRET = "sk-live-failure-log-0123456789";
let written: Array<{ level: string; line: string }> = [];

beforeEach(() => {
  written = [];
  for (const level of ["error", "warn"] as const)
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      written.push({ level, line: args.map(String).join(" ") });
    });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The one line `logFailure` wrote, parsed. */
function theLine() {
  expect(written).toHaveLength(1);
  const [{ level, line }] = written as [{ level: string; line: string }];
  expect(line).not.toContain("\n");
  expect(line).not.toContain(SECRET);
  return { level, line, parsed: JSON.parse(line) as Record<string, unknown> };
}

describe("logFailure", () => {
  it("an upstream failure: its status, type, code and request id, mapped to the tRPC code; not its message", () => {
    const refused = new UpstreamError(`Incorrect API key provided: ${SECRET}.`, "http", {
      status: 401,
      type: "invalid_request_error",
      code: "invalid_api_key",
      requestId: "req_abc",
    });
    logFailure({
      level: "warn",
      what: "hub.poll_failed",
      run: "run_1",
      thread: "thread_1",
      requestId: "r-1",
      error: refused,
    });
    const { level, parsed } = theLine();
    expect(level).toBe("warn");
    expect(parsed).toEqual({
      level: "warn",
      what: "hub.poll_failed",
      run: "run_1",
      thread: "thread_1",
      request_id: "r-1",
      code: "BAD_GATEWAY",
      status: 401,
      message: "upstream http 401 type=invalid_request_error code=invalid_api_key request=req_abc",
    });
  });

  it("the SDK's own error, as thrown, is described as the upstream failure it is", () => {
    const thrown = APIError.generate(
      500,
      { error: { message: `leaked ${SECRET}`, type: "server_error" } },
      undefined,
      new Headers(),
    );
    logFailure({ what: "responses.unexpected", error: thrown });
    expect(theLine().parsed).toMatchObject({
      level: "error",
      status: 500,
      message: "upstream http 500 type=server_error",
    });
  });

  it("any other error: its name and where it was thrown, never its message", () => {
    let thrown: unknown;
    try {
      JSON.parse(`{"key": ${SECRET}`);
    } catch (error) {
      thrown = error;
    }
    logFailure({ what: "rest.unexpected", requestId: "r-2", error: thrown, status: 500 });
    const { level, parsed } = theLine();
    expect(level).toBe("error");
    expect(parsed).toMatchObject({ what: "rest.unexpected", run: null, request_id: "r-2", code: null, status: 500 });
    expect(parsed.message).toBe("SyntaxError");
    expect(parsed.at).toEqual(expect.arrayContaining([expect.stringMatching(/^at /)]));
  });

  it("a tRPC error: its code, and what it wraps told the same way; its message (often an upstream's) left out", () => {
    logFailure({
      what: "trpc.unexpected",
      error: new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: new TypeError(SECRET) }),
    });
    expect(theLine().parsed).toMatchObject({
      code: "INTERNAL_SERVER_ERROR",
      status: 500,
      message: "TRPCError INTERNAL_SERVER_ERROR: TypeError",
    });
    written = [];
    logFailure({
      what: "hub.request_failed",
      error: new TRPCError({ code: "CONFLICT", message: `upstream said ${SECRET}` }),
    });
    expect(theLine().parsed).toMatchObject({ code: "CONFLICT", status: 409, message: "TRPCError CONFLICT" });
  });

  it("the gateway's own words, when the caller gives them, with the code and status it answered", () => {
    logFailure({
      what: "auth.misconfigured",
      code: "SERVICE_UNAVAILABLE",
      status: 503,
      detail: "RUNCAST_JWKS is not valid JSON.",
    });
    expect(theLine().parsed).toEqual({
      level: "error",
      what: "auth.misconfigured",
      run: null,
      request_id: null,
      code: "SERVICE_UNAVAILABLE",
      status: 503,
      message: "RUNCAST_JWKS is not valid JSON.",
    });
  });
});
