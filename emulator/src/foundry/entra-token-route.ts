// The emulated Microsoft Entra token endpoint, `POST /<tenant>/oauth2/v2.0/token`, client-credentials grant only: one
// app registration (EMULATOR_ENTRA_* vars) may get tokens for Foundry, and everything else fails as Entra fails it.
import type { Context } from "hono";
import { directory } from "../durable-routing";
import { FOUNDRY_AUDIENCE, issueAccessToken, issuerFromEnv } from "./access-token";

type Env = { Bindings: EmulatorEnv };

/** Entra's error body: an OAuth error, an AADSTS code in the description and in `error_codes`, and trace ids. */
function entraError(status: number, error: string, code: number, description: string): Response {
  const traceId = crypto.randomUUID();
  const correlationId = crypto.randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  return Response.json(
    {
      error,
      error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
    { status },
  );
}

const missing = (parameter: string) =>
  entraError(400, "invalid_request", 900144, `The request body must contain the following parameter: '${parameter}'.`);

/** The one form Entra's checks take, in its order: tenant, grant, client, secret, scope. */
function refusal(env: EmulatorEnv, tenant: string, form: URLSearchParams): Response | null {
  if (tenant !== env.EMULATOR_ENTRA_TENANT_ID)
    return entraError(
      400,
      "invalid_request",
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
  const grant = form.get("grant_type");
  if (!grant) return missing("grant_type");
  if (grant !== "client_credentials")
    return entraError(400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${grant}'.`);
  const clientId = form.get("client_id");
  if (!clientId) return missing("client_id");
  if (clientId !== env.EMULATOR_ENTRA_CLIENT_ID)
    return entraError(
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`,
    );
  const secret = form.get("client_secret");
  if (!secret)
    return entraError(
      401,
      "invalid_client",
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  if (secret !== env.EMULATOR_ENTRA_CLIENT_SECRET)
    return entraError(
      401,
      "invalid_client",
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    );
  const scope = form.get("scope");
  if (!scope) return missing("scope");
  if (!scope.endsWith("/.default"))
    return entraError(
      400,
      "invalid_scope",
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  if (scope !== `${FOUNDRY_AUDIENCE}/.default`)
    return entraError(
      400,
      "invalid_resource",
      500011,
      `The resource principal named ${scope.slice(0, -"/.default".length)} was not found in the tenant named ${tenant}.`,
    );
  return null;
}

export async function entraTokenRoute(c: Context<Env>): Promise<Response> {
  // Entra reads a form body; anything else has, to it, no parameters at all. (Decoded by hand: workerd warns when
  // `.text()` reads a body whose content type is not text.)
  const form = /application\/x-www-form-urlencoded/i.test(c.req.header("content-type") ?? "")
    ? new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()))
    : new URLSearchParams();
  const refused = refusal(c.env, c.req.param("tenant") ?? "", form);
  if (refused) return refused;
  const { token_lifetime_seconds } = await directory(c.env).entraSettings();
  const access_token = await issueAccessToken(issuerFromEnv(c.env), {
    clientId: form.get("client_id")!,
    lifetimeSeconds: token_lifetime_seconds,
  });
  return Response.json(
    { token_type: "Bearer", expires_in: token_lifetime_seconds, ext_expires_in: token_lifetime_seconds, access_token },
    { headers: { "cache-control": "no-store, no-cache", pragma: "no-cache" } },
  );
}
