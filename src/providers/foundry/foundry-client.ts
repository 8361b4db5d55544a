// The official SDK's client, pointed at an Azure AI Foundry project's classic-agents endpoint: the same Assistants wire,
// with `api-version` on every call and an Entra bearer token that is renewed before it expires and, after a 401, once.
import OpenAI from "openai";
import { UpstreamError } from "../../errors/upstream-error";
import type { EntraTokenSource } from "./entra-token";

export interface FoundryProject {
  /** `https://<resource>.services.ai.azure.com/api/projects/<project>` */
  endpoint: string;
  /** `v1` by default; the dated `2025-05-15-preview` is accepted too. */
  apiVersion: string;
}

export const DEFAULT_FOUNDRY_API_VERSION = "v1";

/**
 * A failed sign-in as the answer the SDK reads: Entra's refusal is a 401 it does not retry (it surfaces like any upstream
 * refusal of the gateway's credentials, BAD_GATEWAY); Entra busy or failing is a 503 it may retry. Entra out of reach
 * is thrown, as a connection failure is.
 */
function signInFailed(error: UpstreamError): Response {
  const status = error.details.status ?? 401;
  return Response.json(
    {
      error: {
        message: error.message,
        type: error.details.type ?? null,
        code: error.details.code ?? null,
        param: null,
      },
    },
    { status, headers: status === 401 ? { "x-should-retry": "false" } : {} },
  );
}

/** Sends each request with a current token; a 401 renews the token and sends the request once more. */
export function withEntraToken(tokens: EntraTokenSource, inner: typeof fetch): typeof fetch {
  return async (input, init) => {
    // The SDK sends its bodies as strings, so the same request can be built twice (once more after a 401).
    const send = async (attempt: Request) => {
      let token: string;
      try {
        token = await tokens.token();
      } catch (error) {
        if (error instanceof UpstreamError && error.failure === "http")
          return { token: null, response: signInFailed(error) };
        throw error;
      }
      const headers = new Headers(attempt.headers);
      headers.set("authorization", `Bearer ${token}`);
      headers.delete("api-key");
      return { token, response: await inner(new Request(attempt, { headers })) };
    };
    const first = await send(new Request(input, init));
    if (first.response.status !== 401 || first.token === null) return first.response;
    tokens.invalidate(first.token);
    await first.response.body?.cancel();
    return (await send(new Request(input, init))).response;
  };
}

export function foundryClient(
  project: FoundryProject,
  tokens: EntraTokenSource,
  inner: typeof fetch,
  options: { maxRetries: number; timeout: number },
): OpenAI {
  return new OpenAI({
    ...options,
    // The SDK insists on a key; the real credential is the bearer token set on every request.
    apiKey: "entra",
    baseURL: project.endpoint.replace(/\/$/, ""),
    defaultQuery: { "api-version": project.apiVersion },
    fetch: withEntraToken(tokens, inner),
  });
}
