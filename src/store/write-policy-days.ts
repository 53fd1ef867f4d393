/**
 * The fenced write path (SPEC §3 last paragraph, §4): many policy-day results in ONE
 * transaction that
 *   1. locks the policies' rows in id order (`SELECT … FOR UPDATE`): every writer of a policy
 *      is serialised, and sorted locking means overlapping batches never deadlock. A write
 *      that brings the policy it was computed from (`basis`) has its row's version checked
 *      instead of the row read again: the computation read it once, the write proves it current;
 *   2. reads, under those locks, the stored claims of the policies whose claims a write may
 *      change (see loadClaimsForWrites) and the written days' ledger rows;
 *   3. plans every write in memory (policy-day-plan.ts): fence check against the ledger,
 *      re-allocation of the period cap, claim/audit/ledger changes;
 *   4. applies the plan with one multi-row statement per kind of change.
 * A database failure anywhere rolls everything back: no partial claim set, no ledger row
 * without its claims.
 */
import { asc, type SQL, sql } from "drizzle-orm";
import { CALCULATOR_VERSION } from "../domain/version.ts";
import { ClaimsError, ErrorCodes } from "../errors.ts";
import type { Db, Executor } from "./connection.ts";
import { loadClaimsForWrites } from "./claims.ts";
import { loadLedgerEntries } from "./ledger.ts";
import type { PolicyDayOutcome, PolicyDayWrite, RefusalReason } from "./policy-day-types.ts";
import { loadEventRevisions, windowRevision } from "./event-revisions.ts";
import { localDayBounds } from "../domain/calendar.ts";
import { planPolicyDayWrites } from "./policy-day-plan.ts";
import {
  deleteClaims,
  insertAudit,
  insertLedgerRows,
  insertRefusals,
  updateLedgerRows,
  updateLedgerTotals,
  upsertClaims,
} from "./policy-day-statements.ts";
import { policyVersion, type VersionedPolicy } from "./policies.ts";
import { policies, policyFields, rowToPolicy } from "./schema/policies.ts";
import { storageError } from "./storage-errors.ts";
import { inTextList, unnestColumn, unnestFrom, unnestRef } from "./unnest.ts";
import { checkTargets, validatePolicyDayWrites } from "./validate-policy-day-writes.ts";
import type { Policy } from "../domain/schemas.ts";

export interface WritePolicyDaysOptions {
  /**
   * The lease's signal: when it is aborted (the lock was lost) before COMMIT (checked at the
   * start and after `beforeCommit`), the transaction rolls back and LOCK_LOST is thrown. The
   * fence token already stops a late writer; this spares the database the work.
   */
  signal?: AbortSignal | undefined;
  /**
   * Runs inside the transaction after every write statement, just before COMMIT; throwing
   * rolls everything back. For a last check of the lease, and for fault injection in tests.
   */
  beforeCommit?: ((tx: Executor) => Promise<void> | void) | undefined;
  /** How long to wait for a policy's row lock before failing (transient), ms. Default 30,000. */
  lockTimeoutMs?: number | undefined;
  /** Recorded in the ledger, audit and claims (default: the domain's CALCULATOR_VERSION). */
  calculatorVersion?: string | undefined;
}

const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

/**
 * Writes the results of many policy-day computations, in order, in one transaction, and
 * returns one outcome per write (same order). A write whose fence token is lower than the
 * ledger's changes nothing: it is `stale` when the ledger holds a computation of the same
 * inputs, else `refused` (stale_token). A write whose policy (`basis`) or events
 * (`eventsRevision`) changed since they were read is `refused` too (policy_changed,
 * inputs_changed); every refusal is recorded in write_refusals. Equal tokens are accepted
 * (the same lease retrying).
 *
 * Throws (and writes nothing): INPUT_INVALID for a malformed write, POLICY_NOT_FOUND,
 * OUT_OF_COVERAGE, LOCK_LOST when `signal` aborted, SERVICE_UNAVAILABLE / STORAGE_FAILED for
 * database failures (see isTransientStorageError), the driver error as `cause`.
 */
export async function writePolicyDays(
  db: Db,
  writes: readonly PolicyDayWrite[],
  options: WritePolicyDaysOptions = {},
): Promise<PolicyDayOutcome[]> {
  validatePolicyDayWrites(writes);
  if (writes.length === 0) return [];
  const calculatorVersion = options.calculatorVersion ?? CALCULATOR_VERSION;
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  if (!Number.isSafeInteger(lockTimeoutMs) || lockTimeoutMs < 0) {
    throw new ClaimsError(
      ErrorCodes.INPUT_INVALID,
      `lockTimeoutMs must be a non-negative integer (0 waits forever), got ${lockTimeoutMs}`,
    );
  }
  const policyIds = [...new Set(writes.map((w) => w.policyId))].sort();
  const basisOf = new Map<string, VersionedPolicy>();
  for (const w of writes) if (w.basis) basisOf.set(w.policyId, w.basis);
  const revisionChecked = writes.filter((w) => w.basis && w.eventsRevision !== undefined);
  const windowOf = localWindows();
  throwIfLeaseLost(options.signal, writes.length);
  try {
    return await db.transaction(async (tx) => {
      // Statements sent together travel together (prepared statements pipeline): two round
      // trips between BEGIN and COMMIT whatever the batch size. The reads queue behind the
      // lock statement on the server and take their snapshots only once it has the locks, so
      // they see everything the previous holder of any of these policies committed.
      const [, versions, unread, stored, ledger, revisions] = await Promise.all([
        // Drizzle's raw execute is lazy (it starts when awaited, and Promise.all would await
        // it only after the others have been sent): start it now, so the lock waits under it.
        tx.execute(transactionSettings(lockTimeoutMs)).then((r) => r),
        lockPolicies(tx, policyIds, basisOf),
        // Policies no write brought a read of (see PolicyDayWrite.basis): read under the lock.
        readPolicies(tx, policyIds.filter((id) => !basisOf.has(id))),
        loadClaimsForWrites(tx, writes),
        loadLedgerEntries(tx, writes),
        // The events revisions of the written days, read under the locks like the rest: an
        // import committed before them shows here, one committed after them recalculates later.
        loadEventRevisions(
          tx,
          revisionChecked.map((w) => ({ region: w.basis!.policy.region, window: windowOf(w) })),
        ),
      ]);
      const locked = policiesUnderLock(policyIds, versions, basisOf, unread);
      checkTargets(locked, writes.filter((w) => !versions.changed.has(w.policyId)));
      const refusedBefore = new Map<number, RefusalReason>();
      writes.forEach((w, index) => {
        if (!w.basis) return;
        if (versions.changed.has(w.policyId)) refusedBefore.set(index, "policy_changed");
        else if (
          w.eventsRevision !== undefined &&
          windowRevision(revisions, w.basis.policy.region, windowOf(w)) !== w.eventsRevision
        ) {
          refusedBefore.set(index, "inputs_changed");
        }
      });
      const plan = planPolicyDayWrites(
        { policies: locked, claims: stored, ledger },
        writes,
        calculatorVersion,
        refusedBefore,
      );
      const existing = plan.ledger.filter((l) => l.existed);
      const [updated] = await Promise.all([
        updateLedgerRows(tx, existing),
        insertRefusals(tx, plan.refusals),
        upsertClaims(tx, plan.claimUpserts),
        deleteClaims(tx, plan.claimDeletes),
        insertAudit(tx, plan.audit),
        insertLedgerRows(tx, plan.ledger.filter((l) => !l.existed)),
        updateLedgerTotals(tx, plan.ledgerTotals),
      ]);
      if (updated !== existing.length) {
        // Rows read under the policy locks vanished: something deletes ledger rows unlocked.
        throw new ClaimsError(
          ErrorCodes.STORAGE_FAILED,
          `ledger changed under the policy locks: updated ${updated} of ${existing.length} rows`,
        );
      }
      await options.beforeCommit?.(tx);
      throwIfLeaseLost(options.signal, writes.length);
      return plan.outcomes;
    });
  } catch (error) {
    throw storageError(`writing ${writes.length} policy-days`, error);
  }
}

/** Transaction-local settings: one statement without parameters (it pipelines). */
function transactionSettings(lockTimeoutMs: number) {
  return sql.raw(`select set_config('lock_timeout', '${lockTimeoutMs}', true)`);
}

/**
 * The local day of a write's policy (the one it brought) as a UTC interval, computed once per
 * zone and date of a call: a chunk's thousand writes share a few dozen zones and one date.
 */
function localWindows(): (w: PolicyDayWrite) => { startMs: number; endMs: number } {
  const known = new Map<string, { startMs: number; endMs: number }>();
  return (w) => {
    const zone = w.basis!.policy.timezone;
    const key = `${zone} ${w.claimDate}`;
    let window = known.get(key);
    if (!window) known.set(key, window = localDayBounds(w.claimDate, zone));
    return window;
  };
}

/** One policy-day: `writePolicyDays` with a single write. */
export async function writePolicyDay(
  db: Db,
  write: PolicyDayWrite,
  options: WritePolicyDaysOptions = {},
): Promise<PolicyDayOutcome> {
  const [outcome] = await writePolicyDays(db, [write], options);
  return outcome!;
}

/** Throws STALE_FENCE when the outcome is `stale`: for callers that treat it as a failure. */
export function assertNotStale(outcome: PolicyDayOutcome): void {
  if (outcome.status !== "stale") return;
  throw new ClaimsError(
    ErrorCodes.STALE_FENCE,
    `stale fencing token for policy "${outcome.policyId}" on ${outcome.claimDate}: the ledger ` +
      `holds token ${outcome.ledgerFenceToken} from a newer lease; nothing was written`,
  );
}

function throwIfLeaseLost(signal: AbortSignal | undefined, count: number): void {
  if (!signal?.aborted) return;
  throw new ClaimsError(
    ErrorCodes.LOCK_LOST,
    `lease lost before commit: nothing was written for ${count} policy-day${
      count === 1 ? "" : "s"
    }`,
    { cause: signal.reason },
  );
}

/** What the lock statement reports: ids with no policy row, and rows changed since read. */
interface LockCheck {
  missing: ReadonlySet<string>;
  changed: ReadonlySet<string>;
}

/**
 * Locks the rows in id order and checks them in the same statement: the inner select is the
 * lock (its Sort runs below the LockRows node, and ORDER BY keeps it from being flattened into
 * the join), the outer one compares each row's version with the version its computation read
 * (PolicyDayWrite.basis). One row comes back, listing only the ids that are missing or changed:
 * the computation read the rows already, and returning a thousand of them again per chunk was
 * a visible share of both the worker's and PostgreSQL's CPU. One statement for any number of
 * ids: it is sent synchronously, before the reads queued behind it.
 */
async function lockPolicies(
  tx: Executor,
  ids: readonly string[],
  basisOf: ReadonlyMap<string, VersionedPolicy>,
): Promise<LockCheck> {
  const wanted = [
    unnestColumn.id("id", ids),
    unnestColumn.text("read_version", ids.map((id) => basisOf.get(id)?.version ?? null)),
  ];
  const [wantedId, wantedVersion] = wanted.map((c) => unnestRef(c, "w")) as [SQL, SQL];
  const locked = tx.select({
    id: policies.id,
    version: policyVersion.as("locked_version"),
  })
    .from(policies).where(inTextList(policies.id, ids)).orderBy(asc(policies.id)).for("update")
    .as("locked");
  const [row] = await tx.select({
    missing: sql<string[] | null>`array_agg(${wantedId}) filter (where ${locked.id} is null)`,
    changed: sql<string[] | null>`array_agg(${wantedId}) filter (where ${locked.id} is not null
      and ${wantedVersion} is not null and ${wantedVersion} <> ${locked.version})`,
  }).from(unnestFrom(wanted, "w")).leftJoin(locked, sql`${locked.id} = ${wantedId}`)
    .prepare("policies_lock").execute();
  return { missing: new Set(row?.missing ?? []), changed: new Set(row?.changed ?? []) };
}

/** The policies, read after the lock statement (so under its locks). Nothing for no ids. */
async function readPolicies(tx: Executor, ids: readonly string[]): Promise<Map<string, Policy>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.select(policyFields).from(policies).where(inTextList(policies.id, ids))
    .prepare("policies_read_locked").execute();
  return new Map(rows.map((row) => [row.id, rowToPolicy(row)]));
}

/**
 * The locked policies: those a write brought, when their version is still the locked row's,
 * and those read under the lock. A policy changed after its computation read it is left out:
 * its writes are refused (policy_changed) and computed again from a fresh read. Missing
 * policies are left out too (checkTargets names them).
 */
function policiesUnderLock(
  ids: readonly string[],
  check: LockCheck,
  basisOf: ReadonlyMap<string, VersionedPolicy>,
  unread: ReadonlyMap<string, Policy>,
): Map<string, Policy> {
  const out = new Map<string, Policy>();
  for (const id of ids) {
    if (check.missing.has(id) || check.changed.has(id)) continue;
    const policy = basisOf.get(id)?.policy ?? unread.get(id);
    if (policy) out.set(id, policy);
  }
  return out;
}
