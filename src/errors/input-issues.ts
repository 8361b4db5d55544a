// Rejected inputs described field by field, for tRPC's error data and the REST surface's error body alike.
import * as z from "zod";

export interface FieldIssue {
  field: string;
  message: string;
}

export const inputIssues = (error: unknown): FieldIssue[] | undefined =>
  error instanceof z.ZodError
    ? error.issues.map((issue) => ({ field: issue.path.join(".") || "(input)", message: issue.message }))
    : undefined;

/** `thread_id: must be a thread id: …; limit: …`, so the message alone says what to fix. */
export const describeIssues = (issues: FieldIssue[]) =>
  issues.map(({ field, message }) => `${field}: ${message}`).join("; ");
