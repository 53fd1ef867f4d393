/** What a bulk upsert reports, and the duplicate check every bulk upsert starts with. */
import { ClaimsError, ErrorCodes } from "../errors.ts";

export interface UpsertCounts {
  /** Rows that did not exist before. */
  inserted: number;
  /** Existing rows whose stored values changed. */
  updated: number;
  /** Existing rows identical to the input: nothing was written for them. */
  unchanged: number;
}

/**
 * One statement cannot upsert the same key twice (PostgreSQL refuses "ON CONFLICT DO UPDATE
 * command cannot affect row a second time"), and two versions of one row in one file are
 * ambiguous anyway: refuse them before touching the database, naming both positions.
 */
export function requireUniqueIds(rows: readonly { id: string }[], what: string): void {
  const seen = new Map<string, number>();
  rows.forEach((row, index) => {
    const first = seen.get(row.id);
    if (first !== undefined) {
      throw new ClaimsError(
        ErrorCodes.INPUT_INVALID,
        `duplicate ${what} id "${row.id}" at rows ${first} and ${index} (0-based): an id may appear once per upsert`,
      );
    }
    seen.set(row.id, index);
  });
}
