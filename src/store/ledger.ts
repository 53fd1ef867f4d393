/**
 * Reading the calculation ledger: one row per computed policy-day with the fencing token of its
 * last writer, what that computation saw and wrote, and when (SPEC §4).
 */
import { and, asc, eq, getTableColumns, type SQL, sql } from "drizzle-orm";
import type { Executor } from "./connection.ts";
import { calculationLedger, type LedgerRow } from "./schema/ledger.ts";
import { chunks } from "./chunks.ts";
import { dayKey } from "./keys.ts";
import { storageError } from "./storage-errors.ts";
import { textArrayParam, unnestColumn, unnestFrom, unnestRef } from "./unnest.ts";

export type LedgerEntry = LedgerRow;

export interface PolicyDayKey {
  policyId: string;
  claimDate: string;
}

/**
 * `policy_id = any(ids) and claim_date = any(dates)`: a superset of the wanted days that the
 * planner always serves from the primary key. (A join against a list of pairs tempts it into
 * hashing the whole ledger, which grows by a day's worth of policies every day.)
 */
export function ledgerDaysFilter(days: readonly PolicyDayKey[]): SQL {
  const ids = [...new Set(days.map((d) => d.policyId))];
  const dates = [...new Set(days.map((d) => d.claimDate))];
  return sql`${calculationLedger.policyId} = any(${textArrayParam(ids)})
    and ${calculationLedger.claimDate} = any(${textArrayParam(dates)}::date[])`;
}

/** The ledger row of a policy-day, or null when the day was never computed. */
export async function loadLedgerEntry(
  db: Executor,
  policyId: string,
  claimDate: string,
): Promise<LedgerEntry | null> {
  try {
    const rows = await db.select().from(calculationLedger).where(and(
      eq(calculationLedger.policyId, policyId),
      eq(calculationLedger.claimDate, claimDate),
    ));
    return rows[0] ?? null;
  } catch (error) {
    throw storageError(`loading the ledger row of ${policyId} ${claimDate}`, error);
  }
}

/** Every ledger row of a policy, by date. */
export async function loadPolicyLedger(db: Executor, policyId: string): Promise<LedgerEntry[]> {
  try {
    return await db.select().from(calculationLedger)
      .where(eq(calculationLedger.policyId, policyId)).orderBy(asc(calculationLedger.claimDate));
  } catch (error) {
    throw storageError(`loading the ledger of policy "${policyId}"`, error);
  }
}

/**
 * The ledger rows of the given policy-days that exist, keyed by `dayKey(policyId, date)`: the
 * days joined as unnest columns (measured faster than `= any` lists or `IN (…)` here, and
 * planned onto the primary key), one prepared statement per 10,000 days, all issued
 * synchronously on call (the write path pipelines them behind its lock statement).
 */
export async function loadLedgerEntries(
  db: Executor,
  days: readonly PolicyDayKey[],
): Promise<Map<string, LedgerEntry>> {
  const out = new Map<string, LedgerEntry>();
  const l = calculationLedger;
  try {
    const pages = await Promise.all(
      chunks(days, 10_000).map((slice) => {
        const policyId = unnestColumn.id("policy_id", slice.map((d) => d.policyId));
        const claimDate = unnestColumn.date("claim_date", slice.map((d) => d.claimDate));
        return db.select(getTableColumns(l)).from(l).innerJoin(
          unnestFrom([policyId, claimDate]),
          sql`${l.policyId} = ${unnestRef(policyId)} and ${l.claimDate} = ${unnestRef(claimDate)}`,
        ).prepare("ledger_days").execute();
      }),
    );
    for (const row of pages.flat()) out.set(dayKey(row.policyId, row.claimDate), row);
  } catch (error) {
    throw storageError(`loading ${days.length} ledger rows`, error);
  }
  return out;
}
