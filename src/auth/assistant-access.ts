// Who may see and manage an assistant: the allow-lists that decide who may run it, and the runcast:assistants scope.
import { TRPCError } from "@trpc/server";
import type { GatewayEnv } from "../env";
import { mayRunAssistant } from "./access";
import { SCOPES, type Principal } from "./principal";

/** The upstream's own wording for an assistant that does not exist: one outside a caller's lists looks the same. */
export const assistantNotFound = (assistantId: string) =>
  new TRPCError({ code: "NOT_FOUND", message: `No assistant found with id '${assistantId}'.` });

/** An assistant the caller may not run is one it cannot see either (as assistants.list leaves it out). */
export function assertAssistantVisible(env: GatewayEnv, principal: Principal, assistantId: string): void {
  if (!mayRunAssistant(env, principal, assistantId)) throw assistantNotFound(assistantId);
}

/**
 * Creating, modifying and deleting assistants changes what every tenant's runs do on the company's key, so it
 * needs its own scope (admins have it); checked before anything is looked up, so a refusal costs no upstream call.
 */
export function assertMayManageAssistants(principal: Principal): void {
  if (!principal.manageAssistants)
    throw new TRPCError({
      code: "FORBIDDEN",
      message: `Creating, modifying and deleting assistants needs the ${SCOPES.assistants} scope.`,
    });
}
