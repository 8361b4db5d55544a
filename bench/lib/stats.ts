// Small statistics for benchmark figures: medians of repeated runs and percentiles of latencies.

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = values.slice().sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (values: number[]) => percentile(values, 50);

/** Rounds for a table: three significant digits, no exponent. */
export function round(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return Number(value.toFixed(Math.min(digits, 6)));
}

/** The largest and smallest of many values (spreading half a million into Math.max overflows the stack). */
export const maxOf = (values: Iterable<number>) => {
  let max = -Infinity;
  for (const value of values) if (value > max) max = value;
  return max;
};

export const minOf = (values: Iterable<number>) => {
  let min = Infinity;
  for (const value of values) if (value < min) min = value;
  return min;
};
