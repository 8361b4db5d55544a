// Which fields of an input name files or vector stores of the shared upstream account (they need runcast:override).

type ContentPart = { type: string };
type MessageInput = { content: string | ContentPart[]; attachments?: unknown[] | null };

/** The parts of an input that can carry upstream file or vector store ids: runs, threads, messages, assistants. */
export interface UpstreamResources {
  tool_resources?: unknown;
  thread?: { tool_resources?: unknown; messages?: MessageInput[] };
  messages?: MessageInput[];
  additional_messages?: MessageInput[] | null;
}

const attaches = (message: MessageInput) => (message.attachments?.length ?? 0) > 0;
const showsImageFile = (message: MessageInput) =>
  Array.isArray(message.content) && message.content.some((part) => part.type === "image_file");

/** `attachments` and `image_file` content parts of the messages, each named once under `prefix`. */
function messageFields(prefix: string, messages: MessageInput[] | null | undefined): string[] {
  return [
    ...(messages?.some(attaches) ? [`${prefix}attachments`] : []),
    ...(messages?.some(showsImageFile) ? [`${prefix}content[].image_file`] : []),
  ];
}

/**
 * The field paths, in the caller's terms, that name an upstream file or vector store: `tool_resources`
 * (file ids and vector store ids, at run, thread or assistant level), message `attachments`, and
 * `image_file` content parts. The upstream reads whatever id it is given on the gateway's key, so any
 * of these would let a caller read a file of the account that the assistant was never given.
 */
export function upstreamResourceFields(input: UpstreamResources): string[] {
  return [
    ...(input.tool_resources ? ["tool_resources"] : []),
    ...(input.thread?.tool_resources ? ["thread.tool_resources"] : []),
    ...messageFields("thread.messages[].", input.thread?.messages),
    ...messageFields("messages[].", input.messages),
    ...messageFields("additional_messages[].", input.additional_messages),
  ];
}

/** The same for one message (`threads.messages.create`). */
export const messageResourceFields = (message: MessageInput): string[] => messageFields("", [message]);
