// The emulator's knobs: defaults from its Worker vars, global overrides from the admin endpoint, per-run overrides from run metadata.
import { z } from "zod";
import { badRequest } from "./api-error";

const httpErrors = z.object({
  status: z.union([z.literal(429), z.literal(500), z.literal(502), z.literal(503)]),
  count: z.number().int().min(1).max(1000),
  retry_after: z.number().int().min(0).max(3600).default(1),
});

/** Global settings: pace and size of replies, timing hints, and faults that apply to every request or stream. */
export const settingsSchema = z.strictObject({
  reply_words: z.number().int().min(1).max(100_000),
  words_per_delta: z.number().int().min(1).max(1000),
  delta_ms: z.number().int().min(0).max(60_000),
  stamp: z.boolean(),
  expires_seconds: z.number().int().min(1).max(86_400),
  poll_after_ms: z.number().int().min(0).max(60_000),
  cut_after: z.number().int().min(1).nullable(),
  first_byte_ms: z.number().int().min(0).max(60_000),
  http_errors: httpErrors.nullable(),
  /** Responses streams: a `keepalive` event after this long without one (0: never); the upstream sends them on long waits. */
  keepalive_ms: z.number().int().min(0).max(600_000),
  /** Responses: how old a background response may be and still be streamed again (the upstream's is 5 minutes). */
  resume_window_ms: z.number().int().min(1).max(86_400_000),
});
export type Settings = z.infer<typeof settingsSchema>;
export type HttpErrorFault = z.infer<typeof httpErrors>;

export const DEFAULT_SETTINGS: Settings = {
  reply_words: 24,
  words_per_delta: 1,
  delta_ms: 25,
  stamp: false,
  expires_seconds: 600,
  poll_after_ms: 200,
  cut_after: null,
  first_byte_ms: 0,
  http_errors: null,
  keepalive_ms: 15_000,
  resume_window_ms: 300_000,
};

const intVar = (value: string | undefined, fallback: number) =>
  value !== undefined && /^\d+$/.test(value) ? Number(value) : fallback;

/** Defaults, with the Worker's EMULATOR_* vars applied. */
export function settingsFromEnv(env: Partial<Record<string, string>>): Settings {
  return {
    ...DEFAULT_SETTINGS,
    reply_words: intVar(env.EMULATOR_REPLY_WORDS, DEFAULT_SETTINGS.reply_words),
    delta_ms: intVar(env.EMULATOR_DELTA_MS, DEFAULT_SETTINGS.delta_ms),
    expires_seconds: intVar(env.EMULATOR_EXPIRES_SECONDS, DEFAULT_SETTINGS.expires_seconds),
    poll_after_ms: intVar(env.EMULATOR_POLL_AFTER_MS, DEFAULT_SETTINGS.poll_after_ms),
  };
}

export function patchSettings(current: Settings, patch: unknown): Settings {
  const parsed = settingsSchema.partial().safeParse(patch);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue?.path.join(".") || null;
    throw badRequest(
      `Invalid setting${param ? ` '${param}'` : ""}: ${issue?.message ?? "invalid value"}.`,
      param,
      "invalid_value",
    );
  }
  return { ...current, ...parsed.data };
}

export const FAILURE_CODES = ["server_error", "rate_limit_exceeded", "invalid_prompt"] as const;
export const INCOMPLETE_REASONS = ["max_completion_tokens", "max_prompt_tokens"] as const;
/** The Responses API's reasons for `incomplete`, accepted by `emulator_incomplete` on a response. */
export const RESPONSE_INCOMPLETE_REASONS = ["max_output_tokens", "content_filter"] as const;
type IncompleteReason = (typeof INCOMPLETE_REASONS)[number] | (typeof RESPONSE_INCOMPLETE_REASONS)[number];

/** Everything that shapes one run, fixed when the run is created. */
export interface RunKnobs extends Omit<Settings, "http_errors"> {
  fail: (typeof FAILURE_CODES)[number] | null;
  incomplete: IncompleteReason | null;
  http_errors: HttpErrorFault | null;
}

const KNOB_PREFIX = "emulator_";

function metadataKnob<T>(
  metadata: Record<string, string>,
  name: string,
  parse: (value: string) => T | undefined,
): T | undefined {
  const raw = metadata[KNOB_PREFIX + name];
  if (raw === undefined) return undefined;
  const value = parse(raw);
  if (value === undefined)
    throw badRequest(
      `Invalid emulator knob 'metadata.${KNOB_PREFIX}${name}': '${raw}' is not an accepted value.`,
      `metadata.${KNOB_PREFIX}${name}`,
      "invalid_value",
    );
  return value;
}

const wholeNumber = (min: number, max: number) => (value: string) =>
  /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max ? Number(value) : undefined;
const oneOf =
  <T extends string>(values: readonly T[]) =>
  (value: string) =>
    (values as readonly string[]).includes(value) ? (value as T) : undefined;

/** `"500x2"`: the next 2 requests naming the run answer 500; `"429x1"` one 429 with `retry-after: 1`. */
const httpErrorsKnob = (value: string): HttpErrorFault | undefined => {
  const match = /^(429|500|502|503)x(\d{1,3})$/.exec(value);
  if (!match || Number(match[2]) < 1) return undefined;
  return { status: Number(match[1]) as HttpErrorFault["status"], count: Number(match[2]), retry_after: 1 };
};

/**
 * Resolves a run's (or a response's) knobs: metadata `emulator_*` keys win over the global settings. Bad knob values
 * are a 400. The Responses surface passes its own `incompleteReasons`, since its `incomplete` reasons differ.
 */
export function resolveKnobs(
  settings: Settings,
  metadata: Record<string, string>,
  { incompleteReasons = INCOMPLETE_REASONS }: { incompleteReasons?: readonly IncompleteReason[] } = {},
): RunKnobs {
  return {
    ...settings,
    reply_words: metadataKnob(metadata, "reply_words", wholeNumber(1, 100_000)) ?? settings.reply_words,
    words_per_delta: metadataKnob(metadata, "words_per_delta", wholeNumber(1, 1000)) ?? settings.words_per_delta,
    delta_ms: metadataKnob(metadata, "delta_ms", wholeNumber(0, 60_000)) ?? settings.delta_ms,
    stamp: metadataKnob(metadata, "stamp", oneOf(["true", "false"] as const)) === "true" || settings.stamp,
    expires_seconds: metadataKnob(metadata, "expire_after", wholeNumber(1, 86_400)) ?? settings.expires_seconds,
    cut_after: metadataKnob(metadata, "cut_after", wholeNumber(1, 1_000_000)) ?? settings.cut_after,
    // The global first-byte delay applies to every response at the Worker; this one only to the run's streams.
    first_byte_ms: metadataKnob(metadata, "first_byte_ms", wholeNumber(0, 60_000)) ?? 0,
    fail: metadataKnob(metadata, "fail", oneOf(FAILURE_CODES)) ?? null,
    incomplete: metadataKnob(metadata, "incomplete", oneOf(incompleteReasons)) ?? null,
    http_errors: metadataKnob(metadata, "http_errors", httpErrorsKnob) ?? null,
    keepalive_ms: metadataKnob(metadata, "keepalive_ms", wholeNumber(0, 600_000)) ?? settings.keepalive_ms,
    resume_window_ms:
      metadataKnob(metadata, "resume_window_ms", wholeNumber(1, 86_400_000)) ?? settings.resume_window_ms,
  };
}

/** The two shapes of a Responses stream's `error` event: nested as observed upstream, flat as the spec writes it. */
export const STREAM_ERROR_SHAPES = ["nested", "flat"] as const;

/** A response's knobs: a run's, plus `emulator_stream_error`, which ends its stream with an `error` event halfway. */
export interface ResponseKnobs extends RunKnobs {
  stream_error: (typeof STREAM_ERROR_SHAPES)[number] | null;
}

/** Resolves a response's knobs from its metadata, with the Responses API's `incomplete` reasons. */
export function resolveResponseKnobs(settings: Settings, metadata: Record<string, string>): ResponseKnobs {
  return {
    ...resolveKnobs(settings, metadata, { incompleteReasons: RESPONSE_INCOMPLETE_REASONS }),
    stream_error: metadataKnob(metadata, "stream_error", oneOf(STREAM_ERROR_SHAPES)) ?? null,
  };
}
