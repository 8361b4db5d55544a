// Upstream object ids as inputs: checked for form and length, so no id can change the upstream path it is put into.
import * as z from "zod";

/**
 * Letters, digits, `_` and `-`, at most 128 characters. The prefix (`thread_`, `run_`, …) is not
 * checked: compatible providers do not all use OpenAI's prefixes.
 */
const ID_FORM = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export const upstreamId = (what: string) =>
  z
    .string({ error: `must be ${what} id (a string)` })
    .regex(ID_FORM, { error: `must be ${what} id: letters, digits, "_" and "-", at most 128 characters` });

export const threadId = upstreamId("a thread");
export const runId = upstreamId("a run");
export const stepId = upstreamId("a run step");
export const assistantId = upstreamId("an assistant");
export const toolCallId = upstreamId("a tool call");
export const messageId = upstreamId("a message");
export const fileId = upstreamId("a file");
export const vectorStoreId = upstreamId("a vector store");
