/**
 * Reading stored claims: a policy's claims in canonical order (SPEC §3.3), and the claims of
 * many policies at once for the write path.
 */
import { and, asc, eq, gte, lte, type SQL, sql } from "drizzle-orm";
import type { Claim, Tier } from "../domain/schemas.ts";
import type { Executor } from "./connection.ts";
import { epochMs } from "./epoch-ms.ts";
import { claims } from "./schema/claims.ts";
import { storageError } from "./storage-errors.ts";
import { unnestColumn, unnestFrom, unnestRef } from "./unnest.ts";

/** A claim as stored: the SPEC §2 claim, its canonical sort key and its provenance. */
export interface StoredClaim {
  policyId: string;
  claimDate: string;
  claimKey: string;
  tier: Tier;
  eventIds: string[];
  uncappedBps: number;
  payoutBps: number;
  /** Minor units. */
  payoutAmount: bigint;
  capped: boolean;
  /** Earliest observedAt of the claim's events (epoch ms): canonical order's second key. */
  firstObservedAtMs: number;
  /** Fencing token of the write that last changed this claim. */
  fenceToken: bigint;
  calculatorVersion: string;
  createdAt: Date;
  updatedAt: Date;
}

export const claimFields = {
  policyId: claims.policyId,
  claimDate: claims.claimDate,
  claimKey: claims.claimKey,
  tier: claims.tier,
  eventIds: claims.eventIds,
  uncappedBps: claims.uncappedBps,
  payoutBps: claims.payoutBps,
  payoutAmount: claims.payoutAmount,
  capped: claims.capped,
  firstObservedAtMs: epochMs(claims.firstObservedAt),
  fenceToken: claims.fenceToken,
  calculatorVersion: claims.calculatorVersion,
  createdAt: claims.createdAt,
  updatedAt: claims.updatedAt,
};

const canonicalOrder = [
  asc(claims.policyId),
  asc(claims.claimDate),
  asc(claims.firstObservedAt),
  asc(claims.claimKey),
];

function asStoredClaim(row: Omit<StoredClaim, "tier"> & { tier: string }): StoredClaim {
  return { ...row, tier: row.tier as Tier };
}

/** The claim as SPEC §2 shows it (what `calc` prints and `calculatePeriod` returns). */
export function toDomainClaim(claim: StoredClaim): Claim {
  return {
    policyId: claim.policyId,
    claimDate: claim.claimDate,
    claimKey: claim.claimKey,
    tier: claim.tier,
    eventIds: [...claim.eventIds],
    uncappedBps: claim.uncappedBps,
    payoutBps: claim.payoutBps,
    capped: claim.capped,
    // At most sumInsured (<= 10^12): exact as a number.
    payoutAmount: Number(claim.payoutAmount),
  };
}

/** A policy's stored claims in canonical order, optionally only those dated within [from, to]. */
export async function loadPolicyClaims(
  db: Executor,
  policyId: string,
  range: { from?: string; to?: string } = {},
): Promise<StoredClaim[]> {
  const conditions: SQL[] = [eq(claims.policyId, policyId)];
  if (range.from !== undefined) conditions.push(gte(claims.claimDate, range.from));
  if (range.to !== undefined) conditions.push(lte(claims.claimDate, range.to));
  try {
    const rows = await db.select(claimFields).from(claims).where(and(...conditions))
      .orderBy(...canonicalOrder);
    return rows.map(asStoredClaim);
  } catch (error) {
    throw storageError(`loading the claims of policy "${policyId}"`, error);
  }
}

/**
 * The stored claims of each of `policyIds` (canonical order per policy); no entry when none.
 * One prepared statement, issued synchronously on call (the write path pipelines it). The ids
 * are joined as an unnest column, not tested with `= any(array)`: once PostgreSQL switches the
 * prepared statement to a generic plan, `any` over a parameter array is a linear search per
 * row (measured: 25 ms instead of 2 ms for 500 policies against a few thousand claims).
 */
export async function loadClaimsOfPolicies(
  db: Executor,
  policyIds: readonly string[],
): Promise<Map<string, StoredClaim[]>> {
  const out = new Map<string, StoredClaim[]>();
  try {
    const ids = unnestColumn.id("id", [...new Set(policyIds)]);
    const rows = await db.select(claimFields).from(claims)
      .innerJoin(unnestFrom([ids]), sql`${claims.policyId} = ${unnestRef(ids)}`)
      .orderBy(...canonicalOrder).prepare("claims_of_policies").execute();
    for (const row of rows) {
      let list = out.get(row.policyId);
      if (!list) out.set(row.policyId, list = []);
      list.push(asStoredClaim(row));
    }
  } catch (error) {
    throw storageError(`loading the claims of ${policyIds.length} policies`, error);
  }
  return out;
}

/**
 * The stored claims the write path needs for `writes`: every claim of each policy a write may
 * change (one with candidates, or with a stored claim on a day it writes), nothing of the
 * others. A write with no candidates on a day without stored claims changes no claim (the plan
 * skips it): reading its policy's whole period anyway made every daily write cost more as
 * claims accumulated over the coverage year (bench/daily-run.ts measured +25% worker CPU per
 * policy-day after 60 days). One prepared statement, issued synchronously on call.
 *
 * Its shape keeps PostgreSQL on the natural-key index whatever the table's size: each write's
 * probe is a LATERAL … LIMIT 1 (an OR'ed EXISTS may become a hashed subplan over the whole
 * table), and the claims are fetched by `policy_id = any(array(…))`. The first form of this
 * query scanned every claim once per chunk: PostgreSQL's CPU per daily run grew with each day
 * computed before (tests/integration/store/claims-for-writes-plan.test.ts keeps it indexed).
 */
export async function loadClaimsForWrites(
  db: Executor,
  writes: readonly { policyId: string; claimDate: string; candidates: readonly unknown[] }[],
): Promise<Map<string, StoredClaim[]>> {
  const out = new Map<string, StoredClaim[]>();
  try {
    const rows = await db.select(claimFields).from(claims)
      .where(claimsForWritesFilter(writes))
      .orderBy(...canonicalOrder).prepare("claims_for_writes").execute();
    for (const row of rows) {
      let list = out.get(row.policyId);
      if (!list) out.set(row.policyId, list = []);
      list.push(asStoredClaim(row));
    }
  } catch (error) {
    throw storageError(`loading the claims of ${writes.length} policy-day writes`, error);
  }
  return out;
}

/** The WHERE clause of loadClaimsForWrites (exported for its plan test). */
export function claimsForWritesFilter(
  writes: readonly { policyId: string; claimDate: string; candidates: readonly unknown[] }[],
): SQL {
  const ids = unnestColumn.id("id", writes.map((w) => w.policyId));
  const days = unnestColumn.date("day", writes.map((w) => w.claimDate));
  const all = unnestColumn.bool("all", writes.map((w) => w.candidates.length > 0));
  return sql`${claims.policyId} = any(array(
    select distinct ${unnestRef(ids)} from ${unnestFrom([ids, days, all])}
    left join lateral (
      select 1 as hit from ${claims} as d
      where d.policy_id = ${unnestRef(ids)} and d.claim_date = ${unnestRef(days)} limit 1
    ) as probe on true
    where ${unnestRef(all)} or probe.hit is not null))`;
}
