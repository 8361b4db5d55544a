// Durations in settings (RUNCAST_JWT_MAX_AGE): whole seconds, or a number with a unit, as jose's own durations read.

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_557_600 };
const DURATION =
  /^(\d+(?:\.\d+)?) ?(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?|y|yrs?|years?)?$/i;

/**
 * Seconds for `"900"`, `"15m"`, `"1.5 hours"` or `"7d"`; null for anything else, or for less than a
 * second. Parsed here rather than by jose so a bad value is a configuration error, not a refused token.
 */
export function durationSeconds(raw: string): number | null {
  const match = DURATION.exec(raw.trim());
  if (!match) return null;
  const seconds = Math.round(Number(match[1]) * UNIT_SECONDS[(match[2] ?? "s")[0]!.toLowerCase()]!);
  return seconds >= 1 ? seconds : null;
}
