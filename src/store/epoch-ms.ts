/**
 * Instants leave the database as epoch milliseconds computed by PostgreSQL, not as timestamp
 * text parsed by JS `Date` (which reads years 0-99 as 1900-1999): exact at the millisecond
 * precision the calculator orders by.
 */
import { type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";

export function epochMs(column: AnyPgColumn): SQL<number> {
  return sql<number>`(extract(epoch from ${column}) * 1000)::int8`.mapWith(Number);
}
