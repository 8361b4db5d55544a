// Which fields of a run's input name files or vector stores of the shared upstream account (they need runcast:override).

type ContentPart = { type: string };
type MessageInput = { content: string | ContentPart[]; attachments?: unknown[] | null };

/** The parts of createThreadAndRun's and runs.create's inputs that can carry upstream file or vector store ids. */
export interface RunResources {
  tool_resources?: unknown;
  thread?: { tool_resources?: unknown; messages?: MessageInput[] };
  additional_messages?: MessageInput[] | null;
}

const attaches = (message: MessageInput) => (message.attachments?.length ?? 0) > 0;
const showsImageFile = (message: MessageInput) =>
  Array.isArray(message.content) && message.content.some((part) => part.type === "image_file");

/**
 * The field paths, in the caller's terms, that name an upstream file or vector store: `tool_resources`
 * (file ids and vector store ids, at run or thread level), message `attachments`, and `image_file`
 * content parts. The upstream reads whatever id it is given on the gateway's key, so any of these
 * would let a caller read a file of the account that the assistant was never given.
 */
export function upstreamResourceFields(input: RunResources): string[] {
  const messageLists: Array<[string, MessageInput[] | null | undefined]> = [
    ["thread.messages", input.thread?.messages],
    ["additional_messages", input.additional_messages],
  ];
  return [
    ...(input.tool_resources ? ["tool_resources"] : []),
    ...(input.thread?.tool_resources ? ["thread.tool_resources"] : []),
    ...messageLists.flatMap(([path, messages]) => [
      ...(messages?.some(attaches) ? [`${path}[].attachments`] : []),
      ...(messages?.some(showsImageFile) ? [`${path}[].content[].image_file`] : []),
    ]),
  ];
}
