// Per-tenant limits: request rate at the edge (the rate-limiting binding) and concurrent active runs (exact, TenantRuns).
import { TRPCError } from "@trpc/server";
import type { GatewayEnv } from "../env";
import type { Run } from "../providers/provider";
import { RetryLater } from "../errors/retry-later";
import { authSetting } from "./auth-config";
import type { Caller, Principal } from "./principal";

/** The binding counts per 60 s window (wrangler.toml `simple.period`), so that is when to come back. */
const RATE_PERIOD_SECONDS = 60;

/** Tenants' requests are counted; `none` mode's single developer is not a tenant to protect from. */
export async function enforceRate(env: GatewayEnv, principal: Caller): Promise<void> {
  if ("mode" in authSetting(env)) return;
  const { success } = await env.TENANT_RATE_LIMIT.limit({ key: principal.tenant });
  if (!success) {
    const message = `Too many requests for tenant ${principal.tenant}; try again in up to ${RATE_PERIOD_SECONDS} s.`;
    throw new TRPCError({ code: "TOO_MANY_REQUESTS", message, cause: new RetryLater(message, RATE_PERIOD_SECONDS) });
  }
}

/** How soon a tenant at its active-run limit is asked to try again. */
const ACTIVE_RUNS_RETRY_SECONDS = 15;

const tenantRuns = (env: GatewayEnv, tenant: string) => env.TENANT_RUNS.get(env.TENANT_RUNS.idFromName(tenant));

/**
 * Runs `create` inside one of the tenant's active-run slots: reserved before the upstream is asked,
 * bound to the run by the creation step as soon as the run exists (bindRunSlot), given back if creation
 * fails. The run's hub frees it when the run ends.
 */
export async function withRunSlot(
  env: GatewayEnv,
  principal: Principal,
  create: (reservation: string) => Promise<Run>,
): Promise<Run> {
  const limit = Number(env.RUNCAST_MAX_ACTIVE_RUNS ?? 10);
  const runs = tenantRuns(env, principal.tenant);
  const slot = await runs.reserve(limit);
  if (!slot.ok) {
    const message = `Tenant ${principal.tenant} already has ${slot.active} active runs (the limit is ${limit}); wait for one to finish.`;
    // When a run will end is unknown; its expiry is only the latest bound, so callers are asked back sooner.
    throw new TRPCError({
      code: "TOO_MANY_REQUESTS",
      message,
      cause: new RetryLater(message, Math.min(slot.retryAfterSeconds, ACTIVE_RUNS_RETRY_SECONDS)),
    });
  }
  try {
    return await create(slot.id);
  } catch (error) {
    await runs.release(slot.id);
    throw error;
  }
}

/** Called by the creation step once the run exists, before the run's hub can see it end. */
export const bindRunSlot = (env: GatewayEnv, tenant: string, reservation: string, run: Run) =>
  tenantRuns(env, tenant).bind(reservation, run.id, run.expires_at === null ? null : run.expires_at * 1000);

/** Called by a run's hub when the run ends. */
export const releaseRunSlot = (env: GatewayEnv, tenant: string, runId: string) =>
  tenantRuns(env, tenant).release(runId);
