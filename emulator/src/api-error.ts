// The upstream's error shape, `{"error": {message, type, param, code}}`, and how it leaves as a Response.

/** An error the emulator answers with, exactly as the upstream would shape it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly options: {
      type?: string;
      param?: string | null;
      code?: string | null;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(message);
  }

  toResponse(): Response {
    const { type = "invalid_request_error", param = null, code = null, headers = {} } = this.options;
    return Response.json({ error: { message: this.message, type, param, code } }, { status: this.status, headers });
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new ApiError(400, message, { param, code });

export const notFound = (kind: string, id: string) => new ApiError(404, `No ${kind} found with id '${id}'.`);

/** Anything thrown becomes a Response; only ApiError carries its own status. */
export function toErrorResponse(error: unknown): Response {
  if (error instanceof ApiError) return error.toResponse();
  console.error("emulator: unexpected error", error);
  return new ApiError(500, "The server had an error while processing your request. Sorry about that!", {
    type: "server_error",
  }).toResponse();
}
