// How many messages a socket may send: a token bucket per socket, and a small allowance before it has authenticated.
// In memory only: a hub that wakes from hibernation gives its sockets a full bucket, which bounds work just the same.

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
