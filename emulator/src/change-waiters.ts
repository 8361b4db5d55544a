// Streams and long polls inside one Durable Object wait for a run (or response) to change; whoever changes it wakes
// them. In memory on purpose: a waiter is a request this isolate is serving, and goes with it.
export class ChangeWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  /** Wakes everyone waiting on `id`. */
  wake(id: string): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    this.waiting.delete(id);
    for (const resolve of waiting) resolve();
  }

  /** Resolves at the next change of `id`, or at `until` (epoch ms) if that comes first; never, for `null`, but a change. */
  next(id: string, until: number | null): Promise<void> {
    return new Promise((resolve) => {
      const waiting = this.waiting.get(id) ?? new Set();
      this.waiting.set(id, waiting);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        waiting.delete(done);
        resolve();
      };
      waiting.add(done);
      if (until !== null) timer = setTimeout(done, Math.max(0, until - Date.now()));
    });
  }
}
