// Cursor pagination maths shared by every list endpoint of the emulator.
import { describe, expect, it } from "vitest";
import { pageQuery, parsePageParams, toListResponse } from "../emulator/src/pagination";

/** Runs a page query over seqs 1..n in memory, as SQLite would. */
function page(n: number, query: URLSearchParams, ids: Record<string, number> = {}) {
  const params = parsePageParams(query);
  const plan = pageQuery(params, {
    after: params.after ? ids[params.after] : undefined,
    before: params.before ? ids[params.before] : undefined,
  });
  let rows = Array.from({ length: n }, (_, i) => i + 1);
  plan.bounds.forEach((bound, i) => {
    const value = plan.bindings[i]!;
    rows = rows.filter((seq) => (bound.includes(">") ? seq > value : seq < value));
  });
  rows.sort((a, b) => (plan.orderBy === "seq ASC" ? a - b : b - a));
  return toListResponse(
    rows.slice(0, plan.fetch).map((seq) => ({ id: `o${seq}` })),
    params.limit,
    plan.reverse,
  );
}
const ids = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`o${i + 1}`, i + 1]));

describe("pagination", () => {
  it("defaults to 20 newest first", () => {
    const result = page(25, new URLSearchParams());
    expect(result.data).toHaveLength(20);
    expect(result).toMatchObject({ object: "list", first_id: "o25", last_id: "o6", has_more: true });
  });

  it("walks forward with after, in either order", () => {
    expect(page(10, new URLSearchParams("limit=3&after=o8"), ids).data.map((o) => o.id)).toEqual(["o7", "o6", "o5"]);
    expect(page(10, new URLSearchParams("limit=3&order=asc&after=o8"), ids)).toMatchObject({
      data: [{ id: "o9" }, { id: "o10" }],
      has_more: false,
    });
  });

  it("walks backward with before, keeping the chosen order within the page", () => {
    expect(page(10, new URLSearchParams("limit=3&order=asc&before=o8"), ids)).toMatchObject({
      data: [{ id: "o5" }, { id: "o6" }, { id: "o7" }],
      has_more: true,
    });
    expect(page(10, new URLSearchParams("limit=3&before=o8"), ids)).toMatchObject({
      data: [{ id: "o10" }, { id: "o9" }],
      has_more: false,
    });
  });

  it("answers an empty list with null cursors", () => {
    expect(page(0, new URLSearchParams())).toEqual({
      object: "list",
      data: [],
      first_id: null,
      last_id: null,
      has_more: false,
    });
  });

  it("rejects limits outside 1..100 and unknown orders", () => {
    for (const query of ["limit=0", "limit=101", "limit=2.5", "limit=x", "order=sideways"])
      expect(() => parsePageParams(new URLSearchParams(query)), query).toThrow(/limit|order/);
  });
});
