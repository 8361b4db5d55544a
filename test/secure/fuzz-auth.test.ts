// Property-based fuzzing of credentials (secure project: jwt,keys). Fixed seed, stated number of runs.
//
// Properties:
// - any credential that is not a valid one (random strings, JWT-shaped garbage, tokens signed with another key, `alg: none`, the
//   right key with a wrong claim, near misses of the real API keys) is refused with 401 / UNAUTHORIZED on every surface — tRPC
//   (queries, mutations, batches, subscriptions with the header or the `token` connection param), REST, the WebSocket upgrade —
//   and never a 5xx;
// - on a socket opened without credentials, whatever is sent before authenticating is answered with UNAUTHORIZED (calls) or a
//   protocol error (unparseable frames), or the socket is closed with 4001 — never data, never a started subscription;
// - nothing reaches the upstream: every request is otherwise valid (so an accepted credential would reach it), and an emulator
//   fault armed before the fuzz must still be armed after every input.
import fc from "fast-check";
import { SignJWT, UnsecuredJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createToolAssistant,
  emulatorSdk,
  GATEWAY,
  gatewayFetch,
  resetEmulatorSettings,
  setEmulatorSettings,
} from "../helpers/emulator";
import { emulatorSettings, sleep, type EmulatorSettings } from "../helpers/runcast";
import { createRuncastClient } from "../../src/client";
import { API_KEYS, JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET } from "./fixtures";

const SEED = 20261121;
const RUNS = { http: 700, ws: 700 };
const FUZZ_TIMEOUT = 60_000;
const FAULT = { status: 500, count: 1 };

const TENANT = `fuzz-auth-${crypto.randomUUID().slice(0, 8)}`;
const secret = (value: string) => new TextEncoder().encode(value);

let thread = "";
let run = "";
let assistantId = "";
let validJwt = "";
let armed: EmulatorSettings["http_errors"] = null;

const enc = (value: unknown) => encodeURIComponent(JSON.stringify(value));

async function expectUpstreamUntouched(context: string) {
  expect((await emulatorSettings()).http_errors, `upstream reached by: ${context}`).toEqual(armed);
}

/** `Authorization: Bearer <token>` as the gateway reads it (any case, one token, surrounding spaces allowed). */
const bearerOf = (header: string) => /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null;

// ---------------------------------------------------------------------------------------------------------------------------
// Credentials.

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
const b64json = (value: unknown) => b64url(new TextEncoder().encode(JSON.stringify(value)));
const tokenChars = fc.string({
  unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+/=:"),
  minLength: 1,
  maxLength: 120,
});
/** Printable ASCII, and a few values with Latin-1 bytes (which workerd sends as UTF-8, warning each time: kept few). */
const headerText = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      maxLength: 80,
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom("Bearer \u00ff\u00fe", "B\u00e9arer x", "Bearer x\u00a0y") },
);
const claimsArb = fc.record(
  {
    sub: fc.oneof(
      fc.constantFrom("acme", "globex", "ops", TENANT, "", "admin"),
      fc.string({ maxLength: 12 }),
      fc.integer(),
    ),
    scope: fc.oneof(
      fc.constantFrom("runcast:admin", "runcast:override", "runcast:admin runcast:override", ""),
      fc.string({ maxLength: 20 }),
    ),
    iss: fc.oneof(fc.constant(JWT_ISSUER), fc.string({ maxLength: 20 })),
    aud: fc.oneof(fc.constant(JWT_AUDIENCE), fc.constant([JWT_AUDIENCE, "x"]), fc.string({ maxLength: 10 })),
    exp: fc.oneof(
      fc.constant(4_102_444_800),
      fc.integer({ min: 0, max: 2_000_000_000 }),
      fc.constantFrom(-1, 1e20, "soon", null),
    ),
    assistants: fc.oneof(
      fc.constant(["*"]),
      fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }),
      fc.constant(null),
    ),
  },
  { requiredKeys: [] },
);

/** The one claim that makes a token signed with the right key invalid anyway. */
const DEFECTS = [
  "expired",
  "issuer",
  "audience",
  "no-sub",
  "empty-sub",
  "not-before",
  "HS384",
  "HS512",
  "no-iss",
  "no-aud",
] as const;

type Spec =
  | { kind: "header"; header: string }
  | { kind: "token"; scheme: string; token: string }
  | {
      kind: "wrong-key";
      scheme: string;
      key: string;
      alg: "HS256" | "HS384" | "HS512";
      claims: Record<string, unknown>;
    }
  | { kind: "right-key"; scheme: string; defect: (typeof DEFECTS)[number]; claims: Record<string, unknown> }
  | {
      kind: "alg-none";
      scheme: string;
      claims: Record<string, unknown>;
      signature: string;
      header: Record<string, unknown>;
    }
  | { kind: "mutated-jwt"; scheme: string; segment: number; position: number; char: string }
  | {
      kind: "mutated-key";
      scheme: string;
      key: keyof typeof API_KEYS;
      how: "change" | "append" | "drop" | "upper" | "hash" | "secret";
      position: number;
      char: string;
    };

const scheme = fc.constantFrom("Bearer", "Bearer", "Bearer", "bearer", "BEARER");
const spec: fc.Arbitrary<Spec> = fc.oneof(
  // Whole header values: other schemes, no token, several tokens, random text.
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.constantFrom(
          "",
          "Bearer",
          "Bearer ",
          "Bearer  ",
          "Basic dXNlcjpwYXNz",
          `Basic ${btoa(`acme:${API_KEYS.acme}`)}`,
          `Token ${API_KEYS.acme}`,
          `Bearer ${API_KEYS.acme} ${API_KEYS.globex}`,
          "Bearer\u00a0x",
          "Digest username=x",
          "null",
          "undefined",
        ),
        headerText,
        tokenChars.map((t) => `Bearer ${t} extra`),
      )
      .map((header) => ({ kind: "header" as const, header })),
  },
  // Random tokens: strings, API-key look-alikes, JWT-shaped garbage.
  {
    weight: 3,
    arbitrary: fc
      .record({
        scheme,
        token: fc.oneof(
          tokenChars,
          fc.stringMatching(/^rk_(test|live)_[a-z]{3,6}_[0-9a-f]{16}$/),
          fc
            .tuple(tokenChars, tokenChars, tokenChars)
            .map((parts) => parts.map((p) => p.replace(/[^\w-]/g, "")).join(".")),
          fc
            .tuple(fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 }), fc.uint8Array({ maxLength: 40 }))
            .map(([h, p, s]) => `${b64json(h)}.${b64json(p)}.${b64url(s)}`),
          fc.constantFrom(
            "a.b.c",
            "..",
            "a..",
            ".b.",
            "x.y",
            "a.b.c.d",
            "eyJ.eyJ.",
            "eyJhbGciOiJIUzI1NiJ9..",
            "e".repeat(9000),
          ),
        ),
      })
      .map(({ scheme, token }) => ({ kind: "token" as const, scheme, token })),
  },
  // Signed with another key.
  {
    weight: 2,
    arbitrary: fc
      .record({
        scheme,
        key: fc.string({ minLength: 1, maxLength: 64 }).filter((k) => k !== JWT_SECRET),
        alg: fc.constantFrom("HS256", "HS256", "HS384", "HS512"),
        claims: claimsArb,
      })
      .map((s) => ({ kind: "wrong-key" as const, ...s })),
  },
  // The right key, with one claim the gateway must not accept.
  {
    weight: 2,
    arbitrary: fc
      .record({ scheme, defect: fc.constantFrom(...DEFECTS), claims: claimsArb })
      .map((s) => ({ kind: "right-key" as const, ...s })),
  },
  // Unsigned (`alg: none`), with any signature part.
  {
    weight: 1,
    arbitrary: fc
      .record({
        scheme,
        claims: claimsArb,
        signature: fc.constantFrom("", "x", "AAAA"),
        header: fc.constantFrom<Record<string, unknown>>(
          { alg: "none" },
          { alg: "None" },
          { alg: "NONE", typ: "JWT" },
          { alg: "none", kid: "1" },
        ),
      })
      .map((s) => ({ kind: "alg-none" as const, ...s })),
  },
  // A valid token with one character changed (never a segment's last character, whose low bits are padding).
  {
    weight: 2,
    arbitrary: fc
      .record({
        scheme,
        segment: fc.nat({ max: 2 }),
        position: fc.nat(),
        char: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      })
      .map((s) => ({ kind: "mutated-jwt" as const, ...s })),
  },
  // Near misses of the real API keys, their hashes, the JWT secret itself.
  {
    weight: 2,
    arbitrary: fc
      .record({
        scheme,
        key: fc.constantFrom("acme", "globex", "admin") as fc.Arbitrary<keyof typeof API_KEYS>,
        how: fc.constantFrom("change", "append", "drop", "upper", "hash", "secret"),
        position: fc.nat(),
        char: fc.constantFrom(..."abcdef0123456789xyz_"),
      })
      .map((s) => ({ kind: "mutated-key" as const, ...s })),
  },
);

async function sha256Hex(value: string) {
  const digest = await crypto.subtle.digest("SHA-256", secret(value));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The Authorization header value a spec stands for. */
async function headerFor(s: Spec): Promise<string> {
  switch (s.kind) {
    case "header":
      return s.header;
    case "token":
      return `${s.scheme} ${s.token}`;
    case "wrong-key":
      return `${s.scheme} ${await new SignJWT(s.claims).setProtectedHeader({ alg: s.alg }).sign(secret(s.key))}`;
    case "right-key": {
      const claims: Record<string, unknown> = {
        sub: TENANT,
        iss: JWT_ISSUER,
        aud: JWT_AUDIENCE,
        exp: Math.floor(Date.now() / 1000) + 300,
        ...s.claims,
      };
      // The claims drawn may be wrong too; the defect makes sure at least one is.
      if (s.defect === "expired") claims.exp = Math.floor(Date.now() / 1000) - 3600;
      if (s.defect === "issuer") claims.iss = `${JWT_ISSUER}.evil`;
      if (s.defect === "audience") claims.aud = "not-runcast";
      if (s.defect === "no-sub") delete claims.sub;
      if (s.defect === "empty-sub") claims.sub = "";
      if (s.defect === "not-before") claims.nbf = Math.floor(Date.now() / 1000) + 3600;
      if (s.defect === "no-iss") delete claims.iss;
      if (s.defect === "no-aud") delete claims.aud;
      const alg = s.defect === "HS384" || s.defect === "HS512" ? s.defect : "HS256";
      return `${s.scheme} ${await new SignJWT(claims).setProtectedHeader({ alg }).sign(secret(JWT_SECRET))}`;
    }
    case "alg-none": {
      const unsigned = new UnsecuredJWT({
        sub: TENANT,
        iss: JWT_ISSUER,
        aud: JWT_AUDIENCE,
        exp: Math.floor(Date.now() / 1000) + 300,
        ...s.claims,
      }).encode();
      const [, payload] = unsigned.split(".");
      return `${s.scheme} ${b64json(s.header)}.${payload}.${s.signature}`;
    }
    case "mutated-jwt": {
      const parts = validJwt.split(".");
      const part = parts[s.segment]!;
      const at = s.position % (part.length - 1);
      const char = part[at] === s.char ? (s.char === "A" ? "B" : "A") : s.char;
      parts[s.segment] = part.slice(0, at) + char + part.slice(at + 1);
      return `${s.scheme} ${parts.join(".")}`;
    }
    case "mutated-key": {
      const key = API_KEYS[s.key];
      const at = s.position % key.length;
      const token =
        s.how === "change"
          ? key.slice(0, at) + (key[at] === s.char ? "Z" : s.char) + key.slice(at + 1)
          : s.how === "append"
            ? key + s.char
            : s.how === "drop"
              ? key.slice(0, -1)
              : s.how === "upper"
                ? key.toUpperCase()
                : s.how === "hash"
                  ? await sha256Hex(key)
                  : JWT_SECRET;
      return `${s.scheme} ${token}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------------
// Targets: requests that are valid but for the credential (an accepted one would reach the upstream or be served).

type Target =
  | "trpc-list"
  | "trpc-cancel"
  | "trpc-retrieve"
  | "trpc-batch"
  | "trpc-events"
  | "trpc-events-params"
  | "rest-list"
  | "rest-create"
  | "rest-cancel"
  | "rest-events"
  | "ws-upgrade";
const TARGETS: Target[] = [
  "trpc-list",
  "trpc-cancel",
  "trpc-retrieve",
  "trpc-batch",
  "trpc-events",
  "trpc-events-params",
  "rest-list",
  "rest-create",
  "rest-cancel",
  "rest-events",
  "ws-upgrade",
];

function requestFor(target: Target, header: string): Request {
  const auth = { authorization: header };
  const json = { ...auth, "content-type": "application/json" };
  const ref = { thread_id: thread, run_id: run };
  switch (target) {
    case "trpc-list":
      return new Request(`${GATEWAY}/trpc/runs.list?input=${enc({ thread_id: thread })}`, { headers: auth });
    case "trpc-cancel":
      return new Request(`${GATEWAY}/trpc/runs.cancel`, { method: "POST", headers: json, body: JSON.stringify(ref) });
    case "trpc-retrieve":
      return new Request(`${GATEWAY}/trpc/runs.retrieve?input=${enc(ref)}`, { headers: auth });
    case "trpc-batch":
      return new Request(
        `${GATEWAY}/trpc/runs.list,runs.retrieve,threads.messages.list?batch=1&input=${enc({ 0: { thread_id: thread }, 1: ref, 2: { thread_id: thread } })}`,
        { headers: auth },
      );
    case "trpc-events":
      return new Request(`${GATEWAY}/trpc/runs.events?input=${enc(ref)}`, { headers: auth });
    case "trpc-events-params":
      // httpSubscriptionLink's connection params: the token travels in the query string (EventSource cannot set headers).
      return new Request(
        `${GATEWAY}/trpc/runs.events?input=${enc(ref)}&connectionParams=${enc({ token: bearerOf(header) ?? header })}`,
      );
    case "rest-list":
      return new Request(`${GATEWAY}/v1/threads/${thread}/runs`, { headers: auth });
    case "rest-create":
      return new Request(`${GATEWAY}/v1/threads/${thread}/runs`, {
        method: "POST",
        headers: json,
        body: JSON.stringify({ assistant_id: assistantId }),
      });
    case "rest-cancel":
      return new Request(`${GATEWAY}/v1/threads/${thread}/runs/${run}/cancel`, { method: "POST", headers: auth });
    case "rest-events":
      return new Request(`${GATEWAY}/v1/threads/${thread}/runs/${run}/events`, { headers: auth });
    case "ws-upgrade":
      return new Request(`${GATEWAY}/ws/threads/${thread}/runs/${run}`, { headers: { ...auth, upgrade: "websocket" } });
  }
}

interface TrpcError {
  error?: { message: string; data: { code: string; httpStatus: number } };
}

/** Every answer to a refused credential: 401 UNAUTHORIZED in the surface's own shape. */
async function checkRefused(target: Target, header: string, response: Response) {
  const context = `${target} with Authorization ${JSON.stringify(header.slice(0, 200))} → ${response.status}`;
  if (target === "ws-upgrade") {
    if (response.webSocket) {
      // No token in the header: the socket opens, and must authenticate with its first message (checked below).
      expect(bearerOf(header), context).toBeNull();
      const ws = response.webSocket;
      ws.accept();
      const frames: string[] = [];
      ws.addEventListener("message", (event) => frames.push(String(event.data)));
      ws.send(
        JSON.stringify({
          id: 1,
          method: "query",
          params: { path: "runs.retrieve", input: { thread_id: thread, run_id: run } },
        }),
      );
      for (let i = 0; i < 100 && frames.length === 0; i++) await sleep(5);
      ws.close(1000, "done");
      expect(
        frames.map((f) => (JSON.parse(f) as TrpcError).error?.data.code),
        context,
      ).toEqual(["UNAUTHORIZED"]);
      return;
    }
    expect(response.status, `${context} ${await response.text()}`).toBe(401);
    return;
  }
  const text = await response.text();
  const full = `${context} ${text.slice(0, 400)}`;
  expect(text, full).not.toMatch(/"httpStatus":\s*5\d\d|INTERNAL_SERVER_ERROR|server_error/);
  if (target === "trpc-events" || target === "trpc-events-params") {
    // Subscriptions over HTTP answer 200 with the error as an SSE event (tRPC's protocol); nothing else is sent.
    expect(response.status, full).toBe(200);
    const events = text
      .split("\n\n")
      .map((block) => block.trim())
      .filter(Boolean);
    const errors = events.filter((block) => block.startsWith("event: serialized-error"));
    expect(errors, full).toHaveLength(1);
    const error = JSON.parse(
      errors[0]!
        .split("\n")
        .find((line) => line.startsWith("data: "))!
        .slice(6),
    ) as { data: { code: string; httpStatus: number } };
    expect(error.data, full).toMatchObject({ code: "UNAUTHORIZED", httpStatus: 401 });
    expect(
      events.filter((block) => /^data: /m.test(block) && !/^event: /m.test(block)),
      full,
    ).toEqual([]);
    return;
  }
  expect(response.status, full).toBe(401);
  if (target.startsWith("trpc")) {
    const body = JSON.parse(text) as TrpcError | TrpcError[];
    for (const item of Array.isArray(body) ? body : [body])
      expect(item.error?.data, full).toMatchObject({ code: "UNAUTHORIZED", httpStatus: 401 });
  } else expect((JSON.parse(text) as { error: { code: string } }).error.code, full).toBe("unauthorized");
}

// ---------------------------------------------------------------------------------------------------------------------------
// Frames before authentication.

const served = ["runs.retrieve", "runs.events", "runs.submitToolOutputs", "runs.cancel"] as const;
const preAuthFrame = (): fc.Arbitrary<{ text: string; closes: boolean }> => {
  const ref = { thread_id: thread, run_id: run };
  // Valid calls for this socket's own run: only the missing authentication stands between them and the hub (or the upstream).
  const call = fc
    .record({
      id: fc.oneof(fc.integer({ min: 1, max: 99 }), fc.string({ maxLength: 6 })),
      path: fc.constantFrom(...served),
      lastEventId: fc.option(fc.integer({ min: 0, max: 5 }).map(String), { freq: 2 }),
    })
    .map(({ id, path, lastEventId }) => {
      const method = path === "runs.retrieve" ? "query" : path === "runs.events" ? "subscription" : "mutation";
      const input =
        path === "runs.submitToolOutputs" ? { ...ref, tool_outputs: [{ tool_call_id: "call_x", output: "o" }] } : ref;
      return { id, method, params: { path, input, ...(lastEventId !== null ? { lastEventId } : {}) } };
    });
  const stop = fc.record({ id: fc.integer({ min: 1, max: 99 }), method: fc.constant("subscription.stop") });
  const badParams = fc.oneof(
    fc.constant(5),
    fc.constant([]),
    fc.constant("token"),
    fc.record({ token: fc.integer() }),
    fc.record({ token: fc.constant(null) }),
  );
  return fc.oneof(
    { weight: 4, arbitrary: call.map((m) => ({ text: JSON.stringify(m), closes: false })) },
    {
      weight: 2,
      arbitrary: fc
        .array(fc.oneof(call, stop), { minLength: 1, maxLength: 4 })
        .map((ms) => ({ text: JSON.stringify(ms), closes: false })),
    },
    { weight: 1, arbitrary: stop.map((m) => ({ text: JSON.stringify(m), closes: false })) },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          fc.string({ maxLength: 40 }),
          fc.constantFrom("{", "[]", "null", "PONG", '{"id":1}', '{"method":"query"}'),
        )
        .map((text) => ({ text, closes: false })),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => ({ text: JSON.stringify(v), closes: false })) },
    // Connection params that are not a credential of any kind: the socket is closed with 4001.
    {
      weight: 2,
      arbitrary: spec
        .map((s) => ({ spec: s }))
        .map(({ spec }) => ({
          text: JSON.stringify({ method: "connectionParams", data: { token: `@spec:${JSON.stringify(spec)}` } }),
          closes: true,
        })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          { method: "connectionParams", data: null },
          { method: "connectionParams", data: {} },
          { method: "connectionParams", data: { user: "acme" } },
        )
        .map((m) => ({ text: JSON.stringify(m), closes: true })),
    },
    // Connection params of the wrong shape: a protocol error, the socket stays.
    {
      weight: 1,
      arbitrary: badParams.map((data) => ({
        text: JSON.stringify({ method: "connectionParams", data }),
        closes: false,
      })),
    },
  );
};

/** Replaces a `@spec:` placeholder by the token its credential spec stands for (tokens are signed at run time). */
async function materialise(text: string): Promise<string> {
  const match = /"@spec:((?:[^"\\]|\\.)*)"/.exec(text);
  if (!match) return text;
  const s = JSON.parse(JSON.parse(`"${match[1]}"`) as string) as Spec;
  const header = await headerFor(s);
  const token = bearerOf(header) ?? header;
  return text.replace(match[0], JSON.stringify(token));
}

class PreAuthSocket {
  readonly frames: string[] = [];
  readonly closes: number[] = [];
  pongs = 0;
  private constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (event) => {
      const data = String(event.data);
      if (data === "PONG") this.pongs++;
      else this.frames.push(data);
    });
    ws.addEventListener("close", (event) => this.closes.push(event.code));
  }
  static async open(): Promise<PreAuthSocket> {
    const response = await gatewayFetch(`${GATEWAY}/ws/threads/${thread}/runs/${run}`, {
      headers: { upgrade: "websocket" },
    });
    if (!response.webSocket) throw new Error(`upgrade refused: ${response.status} ${await response.text()}`);
    response.webSocket.accept();
    return new PreAuthSocket(response.webSocket);
  }
  /** Sends a frame and a PING; resolves once the PONG (or a close) is in, with the frames received meanwhile. */
  async exchange(text: string): Promise<string[]> {
    const from = this.frames.length;
    const expected = this.pongs + 1 + (text === "PING" ? 1 : 0);
    try {
      this.ws.send(text);
      this.ws.send("PING");
    } catch {
      // Closed: the close is checked.
    }
    for (let i = 0; i < 1000 && this.pongs < expected && this.closes.length === 0; i++) await sleep(2);
    if (this.closes.length === 0) expect(this.pongs, `no PONG after ${text.slice(0, 200)}`).toBe(expected);
    return this.frames.slice(from);
  }
}

describe("fuzz: credentials and frames before authentication (jwt,keys)", () => {
  beforeAll(async () => {
    validJwt = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(TENANT)
      .setIssuer(JWT_ISSUER)
      .setAudience(JWT_AUDIENCE)
      .setExpirationTime("10m")
      .sign(secret(JWT_SECRET));
    const assistant = await createToolAssistant(emulatorSdk());
    assistantId = assistant.id;
    const client = createRuncastClient({ url: GATEWAY, fetch: gatewayFetch as typeof fetch, token: validJwt });
    const created = await client.runs.createThreadAndRun.mutate({
      assistant_id: assistant.id,
      thread: { messages: [{ role: "user", content: "hello" }] },
    });
    thread = created.thread_id;
    run = created.id;
    // The whole log, until the run completes: its hub then polls no more.
    const events = await gatewayFetch(`${GATEWAY}/v1/threads/${thread}/runs/${run}/events`, {
      headers: { authorization: `Bearer ${validJwt}` },
    });
    expect(await events.text()).toContain("thread.run.completed");
    // The valid credential works on every target (so a refusal below is the credential's doing).
    expect((await client.runs.retrieve.query({ thread_id: thread, run_id: run })).status).toBe("completed");
    expect(
      (await gatewayFetch(`${GATEWAY}/v1/threads/${thread}/runs`, { headers: { authorization: `Bearer ${validJwt}` } }))
        .status,
    ).toBe(200);

    await setEmulatorSettings({ http_errors: FAULT });
    armed = (await emulatorSettings()).http_errors;
    expect(armed).toMatchObject(FAULT);
    await sleep(600);
    await expectUpstreamUntouched("nothing (the completed run's hub)");
  }, 30_000);

  afterAll(async () => {
    await resetEmulatorSettings();
  });

  it(
    `${RUNS.http} invalid credentials on tRPC, REST and the socket upgrade → 401 UNAUTHORIZED, never 5xx, never the upstream`,
    async () => {
      const kinds = new Map<string, number>();
      let skipped = 0;
      await fc.assert(
        fc.asyncProperty(spec, fc.constantFrom(...TARGETS), async (s, target) => {
          const header = await headerFor(s);
          let request: Request;
          try {
            request = requestFor(target, header);
          } catch {
            // A header value no client can send (outside Latin-1, or with control characters).
            skipped++;
            return;
          }
          kinds.set(s.kind, (kinds.get(s.kind) ?? 0) + 1);
          await checkRefused(target, header, await gatewayFetch(request));
          await expectUpstreamUntouched(`${target} with ${JSON.stringify(header.slice(0, 200))}`);
        }),
        { seed: SEED, numRuns: RUNS.http, endOnFailure: true },
      );
      console.log(
        `fuzz-auth coverage (seed ${SEED}): ${JSON.stringify(Object.fromEntries(kinds))}, unsendable ${skipped}`,
      );
      expect(skipped).toBeLessThan(RUNS.http * 0.1);
      for (const kind of ["header", "token", "wrong-key", "right-key", "alg-none", "mutated-jwt", "mutated-key"])
        expect(kinds.get(kind) ?? 0, kind).toBeGreaterThan(0);
    },
    FUZZ_TIMEOUT,
  );

  it(
    `${RUNS.ws} frames on a socket without credentials → UNAUTHORIZED or protocol errors, or close 4001; never data, never the upstream`,
    async () => {
      let socket = await PreAuthSocket.open();
      const seen = new Map<string, number>();
      const note = (key: string) => seen.set(key, (seen.get(key) ?? 0) + 1);
      try {
        await fc.assert(
          fc.asyncProperty(preAuthFrame(), async ({ text: template, closes }) => {
            if (socket.closes.length > 0) socket = await PreAuthSocket.open();
            const text = await materialise(template);
            const answers = await socket.exchange(text);
            const context = `${text.slice(0, 300)} → ${answers.join(" | ").slice(0, 500)} closes ${JSON.stringify(socket.closes)}`;
            for (const answer of answers) {
              const frame = JSON.parse(answer) as TrpcError & { id?: unknown; result?: { type: string } };
              if (frame.error) {
                expect(["UNAUTHORIZED", "PARSE_ERROR"], context).toContain(frame.error.data.code);
                note(`error ${frame.error.data.code}`);
              } else {
                // Only the acknowledgement of a stop the client itself sent: no subscription starts, no data flows.
                expect(frame.result?.type, context).toBe("stopped");
                expect(text, context).toContain("subscription.stop");
                note("stopped");
              }
            }
            if (socket.closes.length > 0) {
              expect(socket.closes[0], context).toBe(4001);
              note("close 4001");
            } else expect(closes, `credentials that are not valid were kept: ${context}`).toBe(false);
            await expectUpstreamUntouched(text.slice(0, 300));
          }),
          { seed: SEED, numRuns: RUNS.ws, endOnFailure: true },
        );
      } finally {
        socket.ws.close(1000, "done");
      }
      console.log(`fuzz-auth socket coverage (seed ${SEED}): ${JSON.stringify(Object.fromEntries(seen))}`);
      for (const key of ["error UNAUTHORIZED", "error PARSE_ERROR", "close 4001", "stopped"])
        expect(seen.get(key) ?? 0, key).toBeGreaterThan(0);
    },
    FUZZ_TIMEOUT,
  );
});
