// Azure's front-door error shape, `{"error": {code, message}}`: what Foundry answers before a request reaches the agents engine.
import { ApiError } from "../api-error";

/** An error Azure's front door answers with (api-version, authentication, unknown paths); the engine's keep OpenAI's shape. */
export class AzureError extends ApiError {
  constructor(
    status: number,
    readonly code: string,
    message: string,
  ) {
    super(status, message, { code });
  }

  override toResponse(): Response {
    return Response.json({ error: { code: this.code, message: this.message } }, { status: this.status });
  }
}

/** The one message Azure AI Services gives for a missing, malformed, expired or wrong-audience bearer token. */
export const unauthorized = () =>
  new AzureError(
    401,
    "401",
    "Unauthorized. Access token is missing, invalid, audience is incorrect (https://ai.azure.com), or have expired.",
  );
