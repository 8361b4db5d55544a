// Edge guards for every route: CORS for browser frontends from an allow-list, and a bound on request bodies.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { GatewayEnv } from "../env";
import { REQUEST_ID_HEADER, type RouteEnv } from "./request-id";
import { restError } from "./rest-errors";

type Env = RouteEnv;

const allowedOrigins = (env: GatewayEnv) =>
  (env.RUNCAST_CORS_ORIGINS ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);

/**
 * Only origins in RUNCAST_CORS_ORIGINS get CORS headers, each echoed back by name: never a wildcard.
 * Credentials are bearer tokens in a header, not cookies, so no credentialed CORS is needed.
 */
export const corsGuard: MiddlewareHandler<Env> = (c, next) =>
  cors({
    origin: (origin) => (allowedOrigins(c.env).includes(origin) ? origin : null),
    allowHeaders: [
      "authorization",
      "content-type",
      "last-event-id",
      "openai-beta",
      "x-stainless-retry-count",
      "x-stainless-helper-method",
      REQUEST_ID_HEADER,
    ],
    allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
    exposeHeaders: ["openai-poll-after-ms", "retry-after", REQUEST_ID_HEADER, "x-upstream-request-id"],
    maxAge: 600,
  })(c, next);

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Bodies over RUNCAST_MAX_BODY_BYTES are refused with 413 before anything reads them whole. */
export const bodyGuard: MiddlewareHandler<Env> = (c, next) =>
  bodyLimit({
    maxSize: Number(c.env.RUNCAST_MAX_BODY_BYTES ?? DEFAULT_MAX_BODY_BYTES),
    onError: (c) =>
      restError(
        `The request body is larger than ${c.env.RUNCAST_MAX_BODY_BYTES ?? DEFAULT_MAX_BODY_BYTES} bytes.`,
        413,
        c.var.requestId,
        { code: "payload_too_large" },
      ),
  })(c, next);
