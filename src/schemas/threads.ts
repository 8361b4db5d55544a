// Inputs of the thread and message procedures (CreateThreadRequest, ModifyThreadRequest, CreateMessageRequest).
import * as z from "zod";
import { messageInput, metadata } from "./common";
import { messageId, threadId } from "./ids";
import { newToolResources, toolResourcesChange } from "./tool-resources";

export const threadRef = z.strictObject({ thread_id: threadId });

export const createThreadInput = z.strictObject({
  // The same bound as a thread made by createThreadAndRun.
  messages: z.array(messageInput).max(32, { error: "a thread starts with at most 32 messages" }).optional(),
  metadata: metadata.nullish(),
  tool_resources: newToolResources.nullish(),
});

export const updateThreadInput = threadRef.extend({
  metadata: metadata.nullish(),
  tool_resources: toolResourcesChange.nullish(),
});

export const createMessageInput = threadRef.extend(messageInput.shape);

export const messageRef = threadRef.extend({ message_id: messageId });

export type CreateThreadInput = z.infer<typeof createThreadInput>;
export type UpdateThreadInput = z.infer<typeof updateThreadInput>;
export type CreateMessageInput = z.infer<typeof createMessageInput>;
