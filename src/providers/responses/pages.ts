// Upstream-shaped list pages over Runcast's own records: `limit`, `order` (desc by default), `after`, `before`.
import type { ListPage } from "../provider";

export interface PageQuery {
  limit?: number;
  order?: "asc" | "desc";
  after?: string;
  before?: string;
}

/** A page of `items` (oldest first, as stored), the upstream's way: a cursor names the object to page from. */
export function page<T extends { id: string }>(items: T[], query: PageQuery): ListPage<T> {
  const limit = query.limit ?? 20;
  let ordered = query.order === "asc" ? items : [...items].reverse();
  if (query.after) {
    const at = ordered.findIndex((item) => item.id === query.after);
    ordered = at >= 0 ? ordered.slice(at + 1) : [];
  }
  if (query.before) {
    const at = ordered.findIndex((item) => item.id === query.before);
    // The objects just before the cursor, still in the requested order.
    const before = at >= 0 ? ordered.slice(0, at) : [];
    const data = before.slice(-limit);
    return listOf(data, before.length > limit);
  }
  return listOf(ordered.slice(0, limit), ordered.length > limit);
}

const listOf = <T extends { id: string }>(data: T[], has_more: boolean): ListPage<T> => ({
  object: "list",
  data,
  first_id: data[0]?.id ?? null,
  last_id: data.at(-1)?.id ?? null,
  has_more,
});
