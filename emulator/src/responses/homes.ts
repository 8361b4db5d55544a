// Which Durable Object holds a conversation or a response: its id names it, so every request finds it without a lookup.
// One object (a "home") holds one conversation, or one chain of responses linked by `previous_response_id`.
import { randomText } from "../ids";

const KEY_LENGTH = 24;

/** The header through which the Worker tells a Durable Object its own home key (the name it was reached by). */
export const HOME_HEADER = "x-emulator-home";

export const newHome = () => randomText(KEY_LENGTH);

export const conversationIdIn = (home: string) => `conv_${home}`;

/** A response id carries its home's key, then its own random part: `resp_<home><own>`. */
export const responseIdIn = (home: string) => `resp_${home}${randomText(KEY_LENGTH)}`;

/** The home key inside a conversation or response id of ours; null for anything else. */
export function homeOf(id: string): string | null {
  const match = /^conv_([A-Za-z0-9]{24})$/.exec(id) ?? /^resp_([A-Za-z0-9]{24})[A-Za-z0-9]{24}$/.exec(id) ?? undefined;
  return match?.[1] ?? null;
}
