// A list page with only the items a caller may see, read on through the upstream's pages so that filtering never
// leaves a page empty (or short) while the upstream has more.
import type { ListPage } from "../providers/provider";

export interface PageQuery {
  limit?: number;
  order?: "asc" | "desc";
  after?: string;
  before?: string;
}

/** Upstream pages read per call at most: a bound on the work one call can cause however little a caller may see. */
export const MAX_UPSTREAM_PAGES = 10;
/** The upstream's own default page size. */
const DEFAULT_LIMIT = 20;

/**
 * Reads upstream pages from the caller's cursor until `limit` items pass `keep`, the upstream has no
 * more, or `maxPages` were read. The cursor answered (`last_id`, or `first_id` when paging backward
 * with `before`) is the last upstream item examined while more remain, so the next call goes on from
 * exactly there; `has_more` is true only while the upstream (or the page bound) left items unexamined.
 *
 * @example filteredPage({ query: input, fetchPage: (q) => provider.listAssistants(q), keep: (a) => allowed(a.id) })
 */
export async function filteredPage<T extends { id: string }>({
  query,
  fetchPage,
  keep,
  maxPages = MAX_UPSTREAM_PAGES,
}: {
  query: PageQuery;
  fetchPage: (query: PageQuery) => Promise<ListPage<T>>;
  keep: (item: T) => boolean;
  maxPages?: number;
}): Promise<ListPage<T>> {
  const limit = query.limit ?? DEFAULT_LIMIT;
  // `before` alone walks backward from its cursor (each page still comes in list order), so the walk does too.
  const backward = query.before !== undefined && query.after === undefined;
  const kept: T[] = [];
  let cursor = backward ? query.before : query.after;
  let more = true;
  for (let pages = 0; pages < maxPages && more && kept.length < limit; pages++) {
    const page = await fetchPage({
      ...query,
      limit,
      ...(cursor === undefined ? {} : backward ? { before: cursor } : { after: cursor }),
    });
    const items = backward ? [...page.data].reverse() : page.data;
    let examined = 0;
    for (const item of items) {
      if (kept.length === limit) break;
      examined++;
      cursor = item.id;
      if (keep(item)) kept.push(item);
    }
    // An empty page cannot move the cursor: taking its `has_more` at its word would ask for the same page again.
    more = items.length > 0 && (examined < items.length || page.has_more);
  }
  const data = backward ? kept.reverse() : kept;
  // While more remain, the cursor must point past everything examined, allowed or not; after that, the page's own ends.
  const first_id = backward && more ? (cursor ?? null) : (data[0]?.id ?? null);
  const last_id = !backward && more ? (cursor ?? null) : (data.at(-1)?.id ?? null);
  return { object: "list", data, first_id, last_id, has_more: more };
}
