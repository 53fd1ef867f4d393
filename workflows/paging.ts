/** Pure paging helpers of the fan-out (no Temporal API: unit-testable anywhere). */
import type { PolicyIdPage } from "../src/temporal/shared.ts";

export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`chunk size must be >= 1, got ${size}`);
  }
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The next page of an explicit id list sorted in code-unit order: the ids strictly after the
 * cursor, the same keyset rule as the database's pages, so one cursor type serves both.
 */
export function pageOfList(
  ids: readonly string[],
  after: string | null,
  limit: number,
): PolicyIdPage {
  let lo = 0;
  if (after !== null) {
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid]! <= after) lo = mid + 1;
      else hi = mid;
    }
  }
  const page = ids.slice(lo, lo + limit);
  const last = lo + page.length >= ids.length;
  return { ids: page, next: last ? null : page[page.length - 1]! };
}
