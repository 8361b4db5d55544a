// Foundry's `api-version` query parameter, required on every project call; its value also picks the list shape.
import type { Context, Next } from "hono";
import { AzureError } from "./azure-error";

/** The versions the service names in its own refusal (Azure/azure-sdk-for-net#50120); all behave alike here. */
export const API_VERSIONS = ["v1", "2025-05-01", "2025-05-15-preview"] as const;

export async function requireApiVersion(c: Context, next: Next) {
  const version = c.req.query("api-version");
  if (!version) throw new AzureError(400, "BadRequest", "Missing required query parameter: api-version");
  if (!(API_VERSIONS as readonly string[]).includes(version))
    throw new AzureError(
      400,
      "UnsupportedApiVersionValue",
      `Unsupported api version '${version}'. The supported versions are ${API_VERSIONS.map((v) => `'${v}'`).join(", ")}`,
    );
  await next();
}

/**
 * Lists in `v1` are AgentsPagedResult, `{data, last_id, has_more}`, with no `object` or `first_id`; the dated versions
 * keep the Assistants list shape. Callers that page by the last item's id (the openai SDK does) work with both.
 */
export async function listShape(c: Context, next: Next) {
  await next();
  if (c.req.query("api-version") !== "v1" || !c.res.ok) return;
  if (!/^application\/json/.test(c.res.headers.get("content-type") ?? "")) return;
  const body = (await c.res.clone().json()) as {
    object?: string;
    data?: unknown;
    last_id?: unknown;
    has_more?: unknown;
  };
  if (body.object !== "list") return;
  const { data, last_id, has_more } = body;
  c.res = Response.json({ data, last_id, has_more }, { status: c.res.status, headers: c.res.headers });
}
