/**
 * SQL pieces of idempotent upserts: `SET col = excluded.col` for a list of columns, and the
 * `(cols) IS DISTINCT FROM (excluded cols)` guard that turns an identical re-import into no
 * write at all (no new row version, no trigger, no `updated_at` bump).
 */
import { getTableColumns, type SQL, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";

type ColumnKey<T extends PgTable> = keyof T["_"]["columns"] & string;

function columnOf<T extends PgTable>(table: T, key: ColumnKey<T>) {
  const column = getTableColumns(table)[key];
  if (!column) throw new Error(`no column ${key} in this table`);
  return column;
}

/** `{ key: excluded.<column> }` for each key: the proposed row replaces the stored values. */
export function setFromExcluded<T extends PgTable>(
  table: T,
  keys: readonly ColumnKey<T>[],
): Record<string, SQL> {
  const set: Record<string, SQL> = {};
  for (const key of keys) set[key] = sql`excluded.${sql.identifier(columnOf(table, key).name)}`;
  return set;
}

/** True in SQL when any of the columns differs from the proposed row (NULL-safe). */
export function differsFromExcluded<T extends PgTable>(
  table: T,
  keys: readonly ColumnKey<T>[],
): SQL {
  const stored = keys.map((key) => sql`${columnOf(table, key)}`);
  const proposed = keys.map((key) => sql`excluded.${sql.identifier(columnOf(table, key).name)}`);
  return sql`(${sql.join(stored, sql`, `)}) is distinct from (${sql.join(proposed, sql`, `)})`;
}

/** `xmax = 0` in RETURNING of an upsert: the row was inserted, not updated. */
export const wasInserted: SQL<boolean> = sql<boolean>`(xmax = 0)`;
