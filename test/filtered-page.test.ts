// filteredPage on its own, over an in-memory list paged as the upstream pages (after/before cursors, has_more):
// filtered pages are never empty while more exist, their cursors continue exactly, and the page bound holds.
import { describe, expect, it } from "vitest";
import type { ListPage } from "../src/providers/provider";
import { filteredPage, type PageQuery } from "../src/rpc/filtered-page";

type Item = { id: string };

/** An upstream over `ids` (in list order) that counts its calls. */
function upstream(ids: string[]) {
  const calls: PageQuery[] = [];
  const fetchPage = async (query: PageQuery): Promise<ListPage<Item>> => {
    calls.push(query);
    const limit = query.limit ?? 20;
    const from = query.after !== undefined ? ids.indexOf(query.after) + 1 : 0;
    const to = query.before !== undefined ? ids.indexOf(query.before) : ids.length;
    const window = ids.slice(from, to);
    const backward = query.before !== undefined && query.after === undefined;
    const page = backward ? window.slice(-limit) : window.slice(0, limit);
    const data = page.map((id) => ({ id }));
    return {
      object: "list",
      data,
      first_id: page[0] ?? null,
      last_id: page.at(-1) ?? null,
      has_more: window.length > limit,
    };
  };
  return { calls, fetchPage };
}

/** Every id of a walk by `after: last_id` until has_more is false, and the pages it took. */
async function walk(ids: string[], keep: (item: Item) => boolean, limit: number) {
  const { fetchPage } = upstream(ids);
  const seen: string[] = [];
  const pages: Array<ListPage<Item>> = [];
  let after: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await filteredPage({ query: { limit, ...(after ? { after } : {}) }, fetchPage, keep });
    pages.push(page);
    seen.push(...page.data.map((item) => item.id));
    if (!page.has_more) break;
    expect(page.last_id).not.toBeNull();
    after = page.last_id!;
  }
  return { seen, pages };
}

const ids = Array.from({ length: 40 }, (_, i) => `asst_${String(i).padStart(2, "0")}`);
const allowed = new Set(["asst_15", "asst_16", "asst_30", "asst_39"]);
const keep = (item: Item) => allowed.has(item.id);

describe("filteredPage", () => {
  it("reads on past pages with nothing allowed: full pages, then the rest, and the walk sees each allowed item once", async () => {
    const { seen, pages } = await walk(ids, keep, 2);
    expect(seen).toEqual(["asst_15", "asst_16", "asst_30", "asst_39"]);
    expect(pages[0]).toMatchObject({
      data: [{ id: "asst_15" }, { id: "asst_16" }],
      first_id: "asst_15",
      last_id: "asst_16",
      has_more: true,
    });
    expect(pages.at(-1)?.has_more).toBe(false);
  });

  it("fills the page in the middle of an upstream page and continues right after its last item", async () => {
    const { fetchPage } = upstream(ids);
    const page = await filteredPage({ query: { limit: 1, after: "asst_10" }, fetchPage, keep });
    expect(page).toMatchObject({ data: [{ id: "asst_15" }], last_id: "asst_15", has_more: true });
    const next = await filteredPage({ query: { limit: 1, after: page.last_id! }, fetchPage, keep });
    expect(next.data).toEqual([{ id: "asst_16" }]);
  });

  it("stops after the page bound with what it has, has_more and a cursor at the last item examined", async () => {
    const { calls, fetchPage } = upstream(ids);
    const page = await filteredPage({ query: { limit: 1 }, fetchPage, keep, maxPages: 10 });
    expect(calls).toHaveLength(10);
    expect(page).toEqual({ object: "list", data: [], first_id: null, last_id: "asst_09", has_more: true });
  });

  it("at the end: has_more false, and the cursors are the page's own ends (nothing more to point past)", async () => {
    const { fetchPage } = upstream(ids);
    const page = await filteredPage({ query: { limit: 5, after: "asst_20" }, fetchPage, keep });
    expect(page).toEqual({
      object: "list",
      data: [{ id: "asst_30" }, { id: "asst_39" }],
      first_id: "asst_30",
      last_id: "asst_39",
      has_more: false,
    });
    const none = await filteredPage({ query: { limit: 5, after: "asst_39" }, fetchPage, keep });
    expect(none).toEqual({ object: "list", data: [], first_id: null, last_id: null, has_more: false });
  });

  it("with nothing filtered out it is the upstream's page, from one upstream call", async () => {
    const { calls, fetchPage } = upstream(ids);
    const page = await filteredPage({ query: { limit: 3, after: "asst_04" }, fetchPage, keep: () => true });
    expect(calls).toHaveLength(1);
    expect(page).toEqual(await upstream(ids).fetchPage({ limit: 3, after: "asst_04" }));
  });

  it("`before` walks backward: the items just before the cursor, in list order, first_id continuing backward", async () => {
    const { fetchPage } = upstream(ids);
    const page = await filteredPage({ query: { limit: 1, before: "asst_20" }, fetchPage, keep });
    expect(page).toMatchObject({ data: [{ id: "asst_16" }], first_id: "asst_16", has_more: true });
    const earlier = await filteredPage({ query: { limit: 2, before: page.first_id! }, fetchPage, keep });
    expect(earlier.data).toEqual([{ id: "asst_15" }]);
    const bounded = await filteredPage({ query: { limit: 1, before: "asst_15" }, fetchPage, keep, maxPages: 3 });
    expect(bounded).toEqual({ object: "list", data: [], first_id: "asst_12", last_id: null, has_more: true });
  });
});
