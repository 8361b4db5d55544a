// A refusal that says when to come back: its seconds reach the caller as `data.retry_after` (tRPC) or `retry-after` (REST).

export class RetryLater extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
