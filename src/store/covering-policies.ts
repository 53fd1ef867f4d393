/**
 * Keyset pages of the ids of policies whose coverage includes a date, in id order
 * (`COLLATE "C"`, the code-unit order of JS sorting). Keyset, not OFFSET: a page costs the
 * same at policy 1 and at policy 1,000,000, and policies imported during a run only ever
 * appear after the cursor or not at all.
 */
import { and, asc, gt, gte, lte, type SQL } from "drizzle-orm";
import { ClaimsError, ErrorCodes } from "../errors.ts";
import type { Executor } from "./connection.ts";
import { requireDate } from "./policy-day-inputs.ts";
import { policies } from "./schema/policies.ts";
import { chunks } from "./chunks.ts";
import { storageError } from "./storage-errors.ts";
import { inTextList } from "./unnest.ts";

export interface CoveringPage {
  /** The claim date the coverage must include. */
  date: string;
  /** Return ids after this one (the last id of the previous page); omit for the first page. */
  afterId?: string | null | undefined;
  /** Ids per page, 1 to 100,000. A page shorter than this is the last one. */
  limit: number;
}

export const MAX_PAGE_SIZE = 100_000;

function requirePage(page: CoveringPage): void {
  requireDate(page.date, "date");
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > MAX_PAGE_SIZE) {
    throw new ClaimsError(
      ErrorCodes.INPUT_INVALID,
      `limit must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${page.limit}`,
    );
  }
}

async function pageWhere(db: Executor, page: CoveringPage, extra?: SQL): Promise<string[]> {
  const conditions = [
    lte(policies.coverageStart, page.date),
    gte(policies.coverageEnd, page.date),
  ];
  if (page.afterId !== undefined && page.afterId !== null) {
    conditions.push(gt(policies.id, page.afterId));
  }
  if (extra) conditions.push(extra);
  try {
    const rows = await db.select({ id: policies.id }).from(policies).where(and(...conditions))
      .orderBy(asc(policies.id)).limit(page.limit);
    return rows.map((r) => r.id);
  } catch (error) {
    throw storageError(`listing the policies covering ${page.date}`, error);
  }
}

/** One page of the ids of all policies covering `page.date`, ascending. */
export async function listCoveringPolicyIds(
  db: Executor,
  page: CoveringPage,
): Promise<string[]> {
  requirePage(page);
  return await pageWhere(db, page);
}

/**
 * The same restricted to `ids` (a rerun of chosen policies): one page of those of `ids` that
 * exist and cover `page.date`, ascending.
 */
export async function listCoveringPolicyIdsAmong(
  db: Executor,
  ids: readonly string[],
  page: CoveringPage,
): Promise<string[]> {
  requirePage(page);
  // Sorted like the result, so the first slices that fill a page are all there is to ask about.
  const sorted = [...new Set(ids)].sort();
  const after = page.afterId ?? null;
  const start = after === null ? 0 : sorted.findIndex((id) => id > after);
  const wanted = start === -1 ? [] : sorted.slice(start);
  const out: string[] = [];
  for (const slice of chunks(wanted, 5000)) {
    const rest = { ...page, limit: page.limit - out.length };
    out.push(...await pageWhere(db, rest, inTextList(policies.id, slice)));
    if (out.length >= page.limit) break;
  }
  return out;
}
