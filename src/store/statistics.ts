/**
 * Planner statistics of the tables the calculation grows (a daily run adds a ledger row per
 * policy and claims, audit rows for the days with events). The write path runs prepared
 * statements, whose cached plans PostgreSQL builds from these statistics: a plan made while a
 * table looked empty scans it whole, and keeps doing so as it grows, until its statistics
 * change. Autovacuum normally refreshes them; where it is off or lags behind (seen here: a
 * PostgreSQL with autovacuum off, where the daily run's database time grew by 10% with every
 * day computed before), the daily run and reruns refresh them when they finish, with the same
 * threshold autovacuum's ANALYZE uses.
 *
 * A coarse sample is enough for that (STATISTICS_TARGET): what the plans need is the tables'
 * sizes and rough distributions, and the default sample (30,000 rows a table) cost a tenth of
 * the database's CPU for a daily run of 100,000 policies. Where autovacuum runs, it computes
 * full statistics on its own schedule and this refresh rarely finds a table lagging.
 */
import { sql } from "drizzle-orm";
import type { Executor } from "./connection.ts";
import { storageError } from "./storage-errors.ts";

/** The tables whose row counts the calculation changes every day. */
const GROWING_TABLES = ["calculation_ledger", "claims", "claim_audit"] as const;

/** default_statistics_target for the refresh: samples 300 x 10 rows a table instead of 30,000. */
const STATISTICS_TARGET = 10;

/** autovacuum_analyze_threshold and autovacuum_analyze_scale_factor at their defaults. */
const BASE_THRESHOLD = 50;
const SCALE_FACTOR = 0.1;

export interface StatisticsRefresh {
  /** The tables analyzed now (their statistics lagged behind their changes). */
  analyzed: string[];
}

/** ANALYZEs each growing table whose changes since its last ANALYZE pass the threshold. */
export async function refreshStatistics(db: Executor): Promise<StatisticsRefresh> {
  try {
    const rows = await db.execute<{ table: string; changed: string; tuples: string }>(sql`
      select s.relname as "table", s.n_mod_since_analyze::text as changed,
        greatest(c.reltuples, 0)::text as tuples
      from pg_stat_user_tables s join pg_class c on c.oid = s.relid
      where s.schemaname = current_schema()
        and s.relname in (${sql.join(GROWING_TABLES.map((t) => sql`${t}`), sql`, `)})`);
    const stale = [...rows]
      .filter((r) => Number(r.changed) > BASE_THRESHOLD + SCALE_FACTOR * Number(r.tuples))
      .map((r) => r.table)
      .sort();
    if (stale.length > 0) {
      await db.transaction(async (tx) => {
        await tx.execute(sql.raw(`set local default_statistics_target = ${STATISTICS_TARGET}`));
        // Identifiers from the fixed list above, never from input.
        for (const table of stale) await tx.execute(sql.raw(`analyze "${table}"`));
      });
    }
    return { analyzed: stale };
  } catch (error) {
    throw storageError("refreshing planner statistics", error);
  }
}
