// Cursor pagination as the upstream does it: limit 1..100 (default 20), order asc|desc (default desc), after/before ids.
import { badRequest } from "./api-error";

export interface PageParams {
  limit: number;
  order: "asc" | "desc";
  after?: string;
  before?: string;
}

export interface ListResponse<T> {
  object: "list";
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export function parsePageParams(query: URLSearchParams): PageParams {
  const rawLimit = query.get("limit");
  const limit = rawLimit === null ? 20 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw badRequest(
      `Invalid 'limit': integer out of range. Expected a value between 1 and 100, but got ${rawLimit} instead.`,
      "limit",
      "invalid_value",
    );
  const order = query.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc")
    throw badRequest(
      `Invalid value for 'order': expected one of 'asc' or 'desc', but got '${order}' instead.`,
      "order",
      "invalid_value",
    );
  const params: PageParams = { limit, order };
  const after = query.get("after");
  const before = query.get("before");
  if (after) params.after = after;
  if (before) params.before = before;
  return params;
}

/**
 * The SQL shape of one page over rows ordered by `seq`: `after` walks forward in the chosen order,
 * `before` walks backward from its cursor, so those rows are read in reverse and flipped back.
 */
export function pageQuery(params: PageParams, cursorSeq: { after?: number; before?: number }) {
  const ascending = params.order === "asc";
  const bounds: string[] = [];
  const bindings: number[] = [];
  if (cursorSeq.after !== undefined) {
    bounds.push(ascending ? "seq > ?" : "seq < ?");
    bindings.push(cursorSeq.after);
  }
  if (cursorSeq.before !== undefined) {
    bounds.push(ascending ? "seq < ?" : "seq > ?");
    bindings.push(cursorSeq.before);
  }
  const reverse = cursorSeq.before !== undefined && cursorSeq.after === undefined;
  const sqlAscending = ascending !== reverse;
  return { bounds, bindings, orderBy: sqlAscending ? "seq ASC" : "seq DESC", reverse, fetch: params.limit + 1 };
}

/** Turns the `limit + 1` rows read into one page; the extra row only says whether there is more. */
export function toListResponse<T extends { id: string }>(rows: T[], limit: number, reverse: boolean): ListResponse<T> {
  const has_more = rows.length > limit;
  const page = rows.slice(0, limit);
  if (reverse) page.reverse();
  return { object: "list", data: page, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null, has_more };
}
