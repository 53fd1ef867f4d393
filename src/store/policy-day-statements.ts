/**
 * The statements of the write path: one statement per kind of change for the whole call (rows
 * travel as unnest columns, see unnest.ts), never a round trip per policy.
 *
 * Each is a Drizzle query run as a named prepared statement: its SQL text is the same for any
 * row count, so postgres.js prepares it once per connection and afterwards sends Bind/Execute
 * only. Unprepared, every statement with parameters first waits for a Describe round trip and
 * blocks pipelining on the connection; prepared, the caller can send independent statements
 * back to back (Promise.all) and wait once for all of them.
 */
import { sql } from "drizzle-orm";
import type { Executor } from "./connection.ts";
import type {
  AuditEntry,
  ClaimDelete,
  ClaimUpsert,
  LedgerChange,
  LedgerTotalsUpdate,
  RefusalEntry,
} from "./policy-day-plan-types.ts";
import { ledgerDaysFilter } from "./ledger.ts";
import { claimAudit } from "./schema/audit.ts";
import { claims } from "./schema/claims.ts";
import { calculationLedger } from "./schema/ledger.ts";
import { writeRefusals } from "./schema/write-refusals.ts";
import { chunks } from "./chunks.ts";
import { setFromExcluded } from "./upsert-sql.ts";
import {
  repeatedColumn as rep,
  type UnnestColumn,
  unnestColumn as col,
  unnestFrom,
  unnestRef,
  unnestSelectFor,
} from "./unnest.ts";

/** Rows per statement: bounds the size of one message, not the parameter count (constant). */
const ROWS_PER_STATEMENT = 10_000;

const CLAIM_VALUE_COLUMNS = [
  "tier",
  "eventIds",
  "uncappedBps",
  "payoutBps",
  "payoutAmount",
  "capped",
  "firstObservedAt",
  "fenceToken",
  "calculatorVersion",
] as const;

/** The database clock of the statement: one value for every row a statement writes. */
const statementTime = sql`statement_timestamp()`;

/** Runs `run` over slices of `rows`, all statements sent at once; nothing for no rows. */
async function perChunk<T, R>(
  rows: readonly T[],
  run: (chunk: T[]) => Promise<R>,
): Promise<R[]> {
  return await Promise.all(chunks(rows, ROWS_PER_STATEMENT).map(run));
}

export function claimColumns(rows: readonly ClaimUpsert[]): UnnestColumn[] {
  return [
    col.id("policy_id", rows.map((r) => r.policyId)),
    rep.date("claim_date", rows.map((r) => r.claimDate)),
    col.id("claim_key", rows.map((r) => r.claimKey)),
    col.text("tier", rows.map((r) => r.tier)),
    col.textArray("event_ids", rows.map((r) => r.eventIds)),
    col.int4("uncapped_bps", rows.map((r) => r.uncappedBps)),
    col.int4("payout_bps", rows.map((r) => r.payoutBps)),
    col.int8("payout_amount", rows.map((r) => r.payoutAmount)),
    col.bool("capped", rows.map((r) => r.capped)),
    col.instant("first_observed_at", rows.map((r) => r.firstObservedAtMs)),
    col.int8("fence_token", rows.map((r) => r.fenceToken)),
    rep.text("calculator_version", rows.map((r) => r.calculatorVersion)),
  ];
}

/**
 * Drizzle's INSERT … ON CONFLICT (policy_id, claim_date, claim_key) DO UPDATE, all rows in one
 * statement: the unique natural key makes a duplicate claim impossible whatever happens around
 * this statement.
 */
export async function upsertClaims(tx: Executor, rows: readonly ClaimUpsert[]): Promise<void> {
  await perChunk(rows, (chunk) =>
    tx.insert(claims).select(
      unnestSelectFor(claims, claimColumns(chunk), {
        createdAt: statementTime,
        updatedAt: statementTime,
      }),
    ).onConflictDoUpdate({
      target: [claims.policyId, claims.claimDate, claims.claimKey],
      set: { ...setFromExcluded(claims, CLAIM_VALUE_COLUMNS), updatedAt: statementTime },
    }).prepare("claims_upsert").execute());
}

export async function deleteClaims(tx: Executor, rows: readonly ClaimDelete[]): Promise<void> {
  await perChunk(rows, (chunk) => {
    const columns = [
      col.id("policy_id", chunk.map((r) => r.policyId)),
      col.date("claim_date", chunk.map((r) => r.claimDate)),
      col.id("claim_key", chunk.map((r) => r.claimKey)),
    ];
    return tx.delete(claims).where(
      sql`(${claims.policyId}, ${claims.claimDate}, ${claims.claimKey}) in
        (select ${sql.join(columns.map((c) => unnestRef(c)), sql`, `)} from ${
        unnestFrom(columns)
      })`,
    ).prepare("claims_delete").execute();
  });
}

/**
 * Append-only, like the audit: the refused writes of the call. Rare (a clock-skewed token, an
 * import racing a computation), so a plain multi-row insert, and no statement at all for none.
 */
export async function insertRefusals(
  tx: Executor,
  rows: readonly RefusalEntry[],
): Promise<void> {
  if (rows.length === 0) return;
  await tx.insert(writeRefusals).values(rows.map((r) => ({ ...r, at: statementTime })));
}

/** Append-only: audit rows are only ever inserted. */
export async function insertAudit(tx: Executor, entries: readonly AuditEntry[]): Promise<void> {
  await perChunk(entries, (chunk) => {
    const columns = [
      col.id("policy_id", chunk.map((e) => e.policyId)),
      rep.date("claim_date", chunk.map((e) => e.claimDate)),
      col.id("claim_key", chunk.map((e) => e.claimKey)),
      col.text("action", chunk.map((e) => e.action)),
      col.text("reason", chunk.map((e) => e.reason)),
      rep.date("computed_date", chunk.map((e) => e.computedDate)),
      col.text("old_tier", chunk.map((e) => e.old?.tier ?? null)),
      col.text("new_tier", chunk.map((e) => e.new?.tier ?? null)),
      col.textArray("old_event_ids", chunk.map((e) => e.old?.eventIds ?? null)),
      col.textArray("new_event_ids", chunk.map((e) => e.new?.eventIds ?? null)),
      col.int4("old_uncapped_bps", chunk.map((e) => e.old?.uncappedBps ?? null)),
      col.int4("new_uncapped_bps", chunk.map((e) => e.new?.uncappedBps ?? null)),
      col.int4("old_payout_bps", chunk.map((e) => e.old?.payoutBps ?? null)),
      col.int4("new_payout_bps", chunk.map((e) => e.new?.payoutBps ?? null)),
      col.int8("old_payout_amount", chunk.map((e) => e.old?.payoutAmount ?? null)),
      col.int8("new_payout_amount", chunk.map((e) => e.new?.payoutAmount ?? null)),
      col.int8("fence_token", chunk.map((e) => e.fenceToken)),
      rep.text("calculator_version", chunk.map((e) => e.calculatorVersion)),
      rep.text("written_by", chunk.map((e) => e.writtenBy)),
    ];
    return tx.insert(claimAudit).select(unnestSelectFor(claimAudit, columns, { at: statementTime }))
      .prepare("claim_audit_insert").execute();
  });
}

export function ledgerColumns(rows: readonly LedgerChange[]): UnnestColumn[] {
  return [
    col.id("policy_id", rows.map((r) => r.policyId)),
    rep.date("claim_date", rows.map((r) => r.claimDate)),
    col.int8("fence_token", rows.map((r) => r.content.fenceToken)),
    col.text("inputs_hash", rows.map((r) => r.content.inputsHash)),
    rep.text("calculator_version", rows.map((r) => r.content.calculatorVersion)),
    col.int4("events_count", rows.map((r) => r.content.eventsCount)),
    col.int4("claims_count", rows.map((r) => r.content.claimsCount)),
    col.int4("capped_count", rows.map((r) => r.content.cappedCount)),
    col.int4("payout_bps_total", rows.map((r) => r.content.payoutBpsTotal)),
    col.int8("payout_amount_total", rows.map((r) => r.content.payoutAmountTotal)),
    col.int4("computations", rows.map((r) => r.content.computations)),
    rep.text("written_by", rows.map((r) => r.content.writtenBy)),
  ];
}

/**
 * First computations of policy-days. A plain INSERT, not an upsert: the caller holds the
 * policy's row lock and read the ledger under it, so a conflicting row would mean a writer
 * that bypassed the lock and the fence, and must fail the transaction rather than be overwritten.
 */
export async function insertLedgerRows(
  tx: Executor,
  rows: readonly LedgerChange[],
): Promise<void> {
  await perChunk(rows, (chunk) =>
    tx.insert(calculationLedger).select(
      unnestSelectFor(calculationLedger, ledgerColumns(chunk), {
        computedAt: statementTime,
        changedAt: statementTime,
      }),
    ).prepare("ledger_insert").execute());
}

/**
 * Recomputed and re-allocated policy-days: `computed_at` moves only for days computed now,
 * `changed_at` only for days whose claims changed. Returns the number of rows updated.
 */
export async function updateLedgerRows(
  tx: Executor,
  rows: readonly LedgerChange[],
): Promise<number> {
  const counts = await perChunk(rows, async (chunk) => {
    const columns = ledgerColumns(chunk);
    const recomputed = col.bool("recomputed", chunk.map((r) => r.recomputed));
    const claimsChanged = col.bool("claims_changed", chunk.map((r) => r.claimsChanged));
    const [policyId, claimDate, ...values] = columns;
    const byName = new Map(values.map((c) => [c.name, unnestRef(c)]));
    const set = (name: string) => byName.get(name)!;
    const l = calculationLedger;
    const result = await tx.update(l).set({
      fenceToken: set("fence_token"),
      inputsHash: set("inputs_hash"),
      calculatorVersion: set("calculator_version"),
      eventsCount: set("events_count"),
      claimsCount: set("claims_count"),
      cappedCount: set("capped_count"),
      payoutBpsTotal: set("payout_bps_total"),
      payoutAmountTotal: set("payout_amount_total"),
      computations: set("computations"),
      writtenBy: set("written_by"),
      computedAt: sql`case when ${unnestRef(recomputed)} then ${statementTime}
        else ${l.computedAt} end`,
      changedAt: sql`case when ${unnestRef(claimsChanged)} then ${statementTime}
        else ${l.changedAt} end`,
    }).from(unnestFrom([...columns, recomputed, claimsChanged])).where(
      sql`${ledgerDaysFilter(chunk)} and ${l.policyId} = ${unnestRef(policyId!)}
        and ${l.claimDate} = ${unnestRef(claimDate!)}`,
    ).prepare("ledger_update").execute();
    return result.count;
  });
  return counts.reduce((a, b) => a + b, 0);
}

/** Totals (and `changed_at`) of re-allocated days, on the rows that exist. */
export async function updateLedgerTotals(
  tx: Executor,
  rows: readonly LedgerTotalsUpdate[],
): Promise<void> {
  await perChunk(rows, (chunk) => {
    const policyId = col.id("policy_id", chunk.map((r) => r.policyId));
    const claimDate = col.date("claim_date", chunk.map((r) => r.claimDate));
    const claimsCount = col.int4("claims_count", chunk.map((r) => r.claimsCount));
    const cappedCount = col.int4("capped_count", chunk.map((r) => r.cappedCount));
    const bps = col.int4("payout_bps_total", chunk.map((r) => r.payoutBpsTotal));
    const amount = col.int8("payout_amount_total", chunk.map((r) => r.payoutAmountTotal));
    const l = calculationLedger;
    return tx.update(l).set({
      claimsCount: unnestRef(claimsCount),
      cappedCount: unnestRef(cappedCount),
      payoutBpsTotal: unnestRef(bps),
      payoutAmountTotal: unnestRef(amount),
      changedAt: statementTime,
    }).from(unnestFrom([policyId, claimDate, claimsCount, cappedCount, bps, amount])).where(
      sql`${ledgerDaysFilter(chunk)} and ${l.policyId} = ${unnestRef(policyId)}
        and ${l.claimDate} = ${unnestRef(claimDate)}`,
    ).prepare("ledger_totals_update").execute();
  });
}
