// A tenant's active runs, counted exactly: one Durable Object per tenant. A slot is reserved before the upstream
// is asked to create a run, bound to the run once it exists, and released when the run ends (or its expiry passes).
import { DurableObject } from "cloudflare:workers";
import type { GatewayEnv } from "../env";

/** An unbound reservation lapses after this long (the creation failed without saying so). */
const RESERVATION_MS = 60_000;
/** A run whose end was never reported frees its slot this long after its expiry. */
const EXPIRY_GRACE_MS = 60_000;

export type Reservation = { ok: true; id: string } | { ok: false; active: number; retryAfterSeconds: number };

export class TenantRuns extends DurableObject<GatewayEnv> {
  reserve(limit: number, now = Date.now()): Reservation {
    const slots = this.live(now);
    if (slots.length >= limit) {
      const soonest = Math.min(...slots.map(([, until]) => until));
      return { ok: false, active: slots.length, retryAfterSeconds: Math.max(1, Math.ceil((soonest - now) / 1000)) };
    }
    const id = crypto.randomUUID();
    this.ctx.storage.kv.put(`slot:${id}`, now + RESERVATION_MS);
    return { ok: true, id };
  }

  /**
   * The reservation becomes the run's slot, held until it ends (or its expiry passes). The reservation is
   * remembered as bound to the run, so a creation that fails after this point, and so gives back its
   * reservation, frees the run's slot (no hub may ever hold that run to free it).
   */
  bind(reservation: string, runId: string, expiresAtMs: number | null): void {
    const until = (expiresAtMs ?? Date.now() + 3_600_000) + EXPIRY_GRACE_MS;
    this.ctx.storage.kv.delete(`slot:${reservation}`);
    this.ctx.storage.kv.put(`slot:${runId}`, until);
    this.ctx.storage.kv.put(`bound:${reservation}`, { runId, until });
  }

  /** Frees a slot: a run that ended, or a reservation whose creation failed (with the run it was bound to, if any). */
  release(id: string): void {
    this.ctx.storage.kv.delete(`slot:${id}`);
    const bound = this.ctx.storage.kv.get<{ runId: string }>(`bound:${id}`);
    if (bound) {
      this.ctx.storage.kv.delete(`slot:${bound.runId}`);
      this.ctx.storage.kv.delete(`bound:${id}`);
    }
  }

  active(now = Date.now()): number {
    return this.live(now).length;
  }

  private live(now: number): Array<[string, number]> {
    for (const [key, { until }] of this.ctx.storage.kv.list<{ until: number }>({ prefix: "bound:" }))
      if (until <= now) this.ctx.storage.kv.delete(key);
    const slots: Array<[string, number]> = [];
    for (const [key, until] of this.ctx.storage.kv.list<number>({ prefix: "slot:" })) {
      if (until > now) slots.push([key, until]);
      else this.ctx.storage.kv.delete(key);
    }
    return slots;
  }
}
