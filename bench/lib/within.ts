// Waiting with a bound, for the benchmarks: a timer that outlived its answer would keep the process alive for minutes.

/** `promise`, or a rejection with `what` after `ms`; the timer never outlives the answer. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
