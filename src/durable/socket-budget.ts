// How many messages a socket may send: a token bucket per socket, and a small allowance before it has authenticated.
// In memory only: a hub that wakes from hibernation gives its sockets a full bucket, which bounds work just the same.
import type { ClientFrame } from "./ws-protocol";

export interface Budget {
  tokens: number;
  /** When the bucket was last refilled (ms). */
  at: number;
  /** Messages sent before the socket authenticated. */
  beforeAuth: number;
}

export interface BudgetLimits {
  socketMessagesPerSecond: number;
  maxMessagesBeforeAuth: number;
  maxMessagesPerFrame: number;
}

/** A burst may reach twice the sustained rate, and always at least one full batch. */
const capacity = (limits: BudgetLimits) => Math.max(2 * limits.socketMessagesPerSecond, limits.maxMessagesPerFrame);

export const freshBudget = (limits: BudgetLimits, now: number): Budget => ({
  tokens: capacity(limits),
  at: now,
  beforeAuth: 0,
});

/**
 * What a message that is not tRPC's protocol costs, in messages. No client sends one, and each takes the hub's time from
 * the run's other subscribers (it is answered with an error): a socket flooding them is closed after a tenth of the
 * messages a well-behaved one may send (about 20 in a burst).
 */
const INVALID_MESSAGE_COST = 10;

/** What a frame costs of its socket's budget: its messages, each one that is not the protocol counted ten times. */
export function frameCost(frame: ClientFrame): number {
  const invalid = frame.messages.filter((message) => message.type === "invalid").length;
  return frame.count + invalid * (INVALID_MESSAGE_COST - 1);
}

export type Spent = "ok" | "rate" | "beforeAuth";

/** Takes `count` messages from the budget: "ok", or which limit they broke (the socket is then closed). */
export function spend(budget: Budget, count: number, authenticated: boolean, limits: BudgetLimits, now: number): Spent {
  budget.tokens = Math.min(
    capacity(limits),
    budget.tokens + ((now - budget.at) / 1000) * limits.socketMessagesPerSecond,
  );
  budget.at = now;
  if (!authenticated) {
    budget.beforeAuth += count;
    if (budget.beforeAuth > limits.maxMessagesBeforeAuth) return "beforeAuth";
  }
  budget.tokens -= count;
  return budget.tokens < 0 ? "rate" : "ok";
}
