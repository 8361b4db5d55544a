// Credentials and clients for the `secure` project's tests (test/secure/): JWTs signed with the project's secret,
// the typed client / REST SDK / subscription links with a token, and a proof that a refusal made no upstream call.
import { createTRPCClient, createWSClient, httpSubscriptionLink, wsLink, type TRPCClientError } from "@trpc/client";
import { EventSource } from "eventsource";
import { SignJWT } from "jose";
import OpenAI from "openai";
import { createRuncastClient, type AppRouter } from "../../src/client";
import { JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET } from "../secure/fixtures";
import { GATEWAY, gatewayFetch, resetEmulatorSettings, setEmulatorSettings } from "./emulator";
import { RecordingWebSocket, wsUrl, type Received } from "./hub";
import { emulatorSettings } from "./runcast";

export interface TokenOptions {
  sub?: string | null;
  scope?: string;
  scopes?: string[];
  scp?: string[];
  assistants?: string[];
  /** Seconds from now (negative: already expired); null: no `exp` claim at all. */
  expiresIn?: number | null;
  /** When it was issued, in seconds from now (negative: in the past); null: no `iat` claim. Default now. */
  issuedIn?: number | null;
  issuer?: string;
  audience?: string;
  secret?: string;
  alg?: "HS256" | "HS384" | "HS512";
  notBefore?: number;
}

/** An HS256 JWT as the project's identity provider would issue it, with any claim changed. */
export async function jwt(options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {};
  if (options.scope !== undefined) claims.scope = options.scope;
  if (options.scopes !== undefined) claims.scopes = options.scopes;
  if (options.scp !== undefined) claims.scp = options.scp;
  if (options.assistants !== undefined) claims.assistants = options.assistants;
  let token = new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? "HS256" })
    .setIssuer(options.issuer ?? JWT_ISSUER)
    .setAudience(options.audience ?? JWT_AUDIENCE);
  if (options.issuedIn !== null) token = token.setIssuedAt(now + (options.issuedIn ?? 0));
  if (options.expiresIn !== null) token = token.setExpirationTime(now + (options.expiresIn ?? 300));
  if (options.sub !== null) token = token.setSubject(options.sub ?? "acme");
  if (options.notBefore !== undefined) token = token.setNotBefore(now + options.notBefore);
  return token.sign(new TextEncoder().encode(options.secret ?? JWT_SECRET));
}

/** A tenant name of its own, so a test's rate and run counts are not shared with any other test. */
export const uniqueTenant = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}`;

/** The typed tRPC client with a credential (or none). */
export const rpcAs = (token?: string) =>
  createRuncastClient({ url: GATEWAY, fetch: gatewayFetch as typeof fetch, ...(token ? { token } : {}) });

/** The official SDK on the REST surface, with the caller's Runcast token as its API key. */
export const restAs = (token: string) =>
  new OpenAI({ apiKey: token, baseURL: `${GATEWAY}/v1`, fetch: gatewayFetch, maxRetries: 0 });

/** httpSubscriptionLink over /trpc (SSE), sending the token as the `token` connection param. */
export function sseAs(token?: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpSubscriptionLink({
        url: `${GATEWAY}/trpc`,
        EventSource,
        eventSourceOptions: { fetch: (url: string | URL, init: RequestInit) => gatewayFetch(url, init) },
        ...(token ? { connectionParams: { token } } : {}),
      }),
    ],
  });
}

const openSockets = new Set<{ close(): unknown }>();

/** wsLink on a run's socket, authenticating with the `token` connection param; every socket it opens is kept. */
export function wsAs(threadId: string, runId: string, token?: string, options: { appRetryDelays?: boolean } = {}) {
  const sockets: RecordingWebSocket[] = [];
  const Socket = class extends RecordingWebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
      openSockets.add(this);
    }
  };
  const wsClient = createWSClient({
    url: wsUrl(threadId, runId),
    WebSocket: Socket as unknown as typeof WebSocket,
    // Reconnects quickly, unless a test needs wsLink's own delays (as an app has them).
    ...(options.appRetryDelays ? {} : { retryDelayMs: () => 50 }),
    ...(token ? { connectionParams: { token } } : {}),
  });
  openSockets.add({ close: () => wsClient.close() });
  const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
  return { client, wsClient, sockets };
}

/** A raw socket on a run's route (no wsLink), with headers on the upgrade; closed by `closeAllSockets`. */
export function rawSocket(threadId: string, runId: string, headers: Record<string, string> = {}) {
  const socket = new RecordingWebSocket(wsUrl(threadId, runId), headers);
  openSockets.add(socket);
  return socket;
}

/** afterEach: no socket outlives its test. */
export async function closeAllSockets() {
  for (const socket of [...openSockets]) await socket.close();
  openSockets.clear();
}

export interface SubscriptionOutcome {
  events: Received[];
  error: TRPCClientError<AppRouter> | null;
  completed: boolean;
}

type EventsClient = ReturnType<typeof sseAs>;

/**
 * Subscribes to `runs.events` and settles when the subscription completes or fails (or after `timeoutMs`,
 * with neither), with every event received: the way to show that a refused caller got no event at all.
 */
export function subscribeOnce(
  client: EventsClient,
  input: { thread_id: string; run_id: string; lastEventId?: string },
  timeoutMs = 8_000,
): Promise<SubscriptionOutcome> {
  return new Promise((resolve) => {
    const events: Received[] = [];
    let settled = false;
    const settle = (outcome: Omit<SubscriptionOutcome, "events">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      subscription.unsubscribe();
      resolve({ events, ...outcome });
    };
    const timer = setTimeout(() => settle({ error: null, completed: false }), timeoutMs);
    const subscription = client.runs.events.subscribe(input, {
      onData: ({ id, data }) => events.push({ id: Number(id), event: data.event, data: data.data }),
      onError: (error) => settle({ error, completed: false }),
      onComplete: () => settle({ error: null, completed: true }),
    });
  });
}

/**
 * Arms a one-shot emulator fault (the next upstream request answers 500), runs `action`, and answers whether
 * the fault is still armed: if it is, nothing reached the upstream meanwhile. The settings are reset afterwards.
 */
export async function upstreamUntouchedBy(action: () => Promise<unknown>): Promise<boolean> {
  await setEmulatorSettings({ http_errors: { status: 500, count: 1, retry_after: 0 } });
  await action();
  const { http_errors } = await emulatorSettings();
  // Disarmed at once, so the test's own later requests to the emulator are not the ones to fail.
  await resetEmulatorSettings();
  return http_errors?.count === 1;
}

/** The error an HTTP procedure answered with, read from tRPC's JSON body (for raw requests). */
export async function trpcErrorBody(
  response: Response,
): Promise<{ message: string; data: { code: string; httpStatus: number; retry_after?: number } }> {
  const body = (await response.json()) as {
    error: { message: string; data: { code: string; httpStatus: number; retry_after?: number } };
  };
  return body.error;
}

/** A raw tRPC query over HTTP: `GET /trpc/<path>?input=…`. */
export const trpcQueryUrl = (path: string, input: unknown) =>
  `${GATEWAY}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`;
