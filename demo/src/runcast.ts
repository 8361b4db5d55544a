// The page's one client: the gateway that served this page, as `npm start` runs it (authentication `none`).
import { createRuncastClient } from "../../src/client";

export const runcast = createRuncastClient({ url: window.location.origin });

/** A readable sentence for any error the client throws (tRPC errors carry the gateway's message). */
export function describeError(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return String(error);
}
