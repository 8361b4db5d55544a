// A caller's message (thread creation, additional_messages, createMessage) both ways: as the conversation item sent
// upstream, and as the Assistants message Runcast keeps under that item's id with what items lack (created_at, metadata).
import type { ResponseInputItem } from "openai/resources/responses/responses";
import type * as z from "zod";
import type { messageInput } from "../../schemas/common";
import type { Message } from "../provider";

export type MessageInput = z.infer<typeof messageInput>;

type Part = Exclude<MessageInput["content"], string>[number];

const textOf = (parts: Part[]) => parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("\n");

/** The conversation item: user content keeps its images; an assistant's earlier words go as text (Responses' form). */
export function toItem(message: MessageInput): ResponseInputItem {
  if (typeof message.content === "string") return { type: "message", role: message.role, content: message.content };
  if (message.role === "assistant") return { type: "message", role: "assistant", content: textOf(message.content) };
  return {
    type: "message",
    role: "user",
    content: message.content.map((part) => {
      switch (part.type) {
        case "text":
          return { type: "input_text" as const, text: part.text };
        case "image_url":
          return {
            type: "input_image" as const,
            image_url: part.image_url.url,
            detail: part.image_url.detail ?? "auto",
          };
        case "image_file":
          return {
            type: "input_image" as const,
            file_id: part.image_file.file_id,
            detail: part.image_file.detail ?? "auto",
          };
      }
    }),
  };
}

/** The Assistants message, complete at once, as the upstream answers a created message. */
export function toMessage(id: string, threadId: string, now: number, message: MessageInput): Message {
  const parts: Part[] =
    typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
  return {
    id,
    object: "thread.message",
    created_at: now,
    thread_id: threadId,
    status: "completed",
    incomplete_details: null,
    completed_at: now,
    incomplete_at: null,
    role: message.role,
    content: parts.map((part) => {
      switch (part.type) {
        case "text":
          return { type: "text", text: { value: part.text, annotations: [] } };
        case "image_url":
          return { type: "image_url", image_url: { url: part.image_url.url, detail: part.image_url.detail ?? "auto" } };
        case "image_file":
          return {
            type: "image_file",
            image_file: { file_id: part.image_file.file_id, detail: part.image_file.detail ?? "auto" },
          };
      }
    }),
    assistant_id: null,
    run_id: null,
    attachments: (message.attachments ?? []) as Message["attachments"],
    metadata: message.metadata ?? {},
  };
}
