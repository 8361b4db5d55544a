// Tenant isolation and what a caller may run: every thread-scoped call checks ownership; runs check assistants and overrides.
import { TRPCError } from "@trpc/server";
import type { GatewayEnv } from "../env";
import { allowedAssistants } from "./auth-config";
import { authenticate } from "./authenticate";
import { enforceRate } from "./limits";
import type { Caller, Principal } from "./principal";
import { upstreamResourceFields, type UpstreamResources } from "./upstream-resources";

/** Ownership never changes once set, so each isolate remembers what it has looked up. */
const owners = new Map<string, string>();
const OWNER_CACHE_LIMIT = 10_000;

const ownerStub = (env: GatewayEnv, threadId: string) => env.THREAD_OWNER.get(env.THREAD_OWNER.idFromName(threadId));

export async function threadOwner(env: GatewayEnv, threadId: string): Promise<string | null> {
  const known = owners.get(threadId);
  if (known) return known;
  const owner = await ownerStub(env, threadId).owner();
  if (owner) remember(threadId, owner);
  return owner;
}

function remember(threadId: string, owner: string) {
  if (owners.size >= OWNER_CACHE_LIMIT) owners.delete(owners.keys().next().value!);
  owners.set(threadId, owner);
}

/** Records the creating tenant as a new thread's owner. */
export async function claimThread(env: GatewayEnv, threadId: string, tenant: string): Promise<void> {
  remember(threadId, await ownerStub(env, threadId).claim(tenant));
}

/**
 * Forgets a deleted thread's owner, so the owner store does not grow with every thread ever made. Only after the
 * upstream deleted it: the id is then gone for good (the upstream never reuses ids), so nobody can claim it again.
 */
export async function forgetThread(env: GatewayEnv, threadId: string): Promise<void> {
  owners.delete(threadId);
  await ownerStub(env, threadId).forget();
}

/** The same answer the upstream gives for a thread that does not exist: no hint that it does. */
export const threadNotFound = (threadId: string) =>
  new TRPCError({ code: "NOT_FOUND", message: `No thread found with id '${threadId}'.` });

/**
 * A thread (and its runs, steps and messages) is reachable by the tenant that created it through
 * Runcast, and by admins; a thread not created through Runcast only by admins. Anyone else gets
 * NOT_FOUND, never the object.
 */
export async function assertThreadAccess(env: GatewayEnv, principal: Caller, threadId: string): Promise<void> {
  if (principal.admin) return;
  if ((await threadOwner(env, threadId)) !== principal.tenant) throw threadNotFound(threadId);
}

/** What every thread-scoped entry outside tRPC checks first, in the order a procedure does: who, how often, whose. */
export async function authorizeThread(env: GatewayEnv, token: string | null, threadId: string): Promise<Principal> {
  const principal = await authenticate(env, token);
  await enforceRate(env, principal);
  await assertThreadAccess(env, principal, threadId);
  return principal;
}

/** Naming the upstream account's files or vector stores (see upstream-resources.ts) needs the override scope. */
export function assertMayNameResources(principal: Caller, fields: string[]): void {
  if (principal.override || fields.length === 0) return;
  throw new TRPCError({
    code: "FORBIDDEN",
    message: `${fields.join(", ")}: naming the upstream account's files or vector stores needs the runcast:override scope.`,
  });
}

/** Run settings that change what the assistant is; each needs the override scope. */
const OVERRIDES = ["model", "instructions", "additional_instructions", "tools", "response_format"] as const;

/** Whether the caller may run this assistant: within the global list (which binds admins too) and the credential's own. */
export function mayRunAssistant(env: GatewayEnv, principal: Principal, assistantId: string): boolean {
  const allowed = (list: string[] | null) => list === null || list.includes(assistantId);
  return allowed(allowedAssistants(env)) && allowed(principal.assistants);
}

type RunInput = { assistant_id: string } & Partial<Record<(typeof OVERRIDES)[number], unknown>> & UpstreamResources;

/** The assistant must be allowed (globally and by the credential); overrides and the account's files need their scope. */
export function assertMayRun(env: GatewayEnv, principal: Principal, input: RunInput): void {
  if (!mayRunAssistant(env, principal, input.assistant_id))
    throw new TRPCError({
      code: "FORBIDDEN",
      message: `assistant_id: assistant ${input.assistant_id} is not one this caller may run.`,
    });
  if (principal.override) return;
  const overridden = OVERRIDES.filter((field) => input[field] !== undefined && input[field] !== null);
  const resources = upstreamResourceFields(input);
  if (overridden.length + resources.length === 0) return;
  const what = [
    ...(overridden.length > 0 ? [`overriding the assistant's ${overridden.join(", ")}`] : []),
    ...(resources.length > 0 ? ["naming the upstream account's files or vector stores"] : []),
  ];
  throw new TRPCError({
    code: "FORBIDDEN",
    message: `${[...overridden, ...resources].join(", ")}: ${what.join(" and ")} needs the runcast:override scope.`,
  });
}
