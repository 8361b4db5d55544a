// Where Foundry's project paths land inside the emulator: `/api/projects/<project>/…` becomes `/foundry/…` for its Durable Objects.

/** The internal prefix of Foundry requests, so a thread or the directory knows to validate and answer them Foundry's way. */
export const FOUNDRY_PREFIX = "/foundry";

/** The internal URL for a project request; the query (api-version, paging, include[]) is kept. */
export function internalUrl(requestUrl: string): URL {
  const url = new URL(requestUrl);
  url.pathname = url.pathname.replace(/^\/api\/projects\/[^/]+/, FOUNDRY_PREFIX);
  return url;
}
