/**
 * The database side of affected-days.ts: the policies of each region whose coverage overlaps
 * the changed events' window, read in keyset pages so a region of a million policies never
 * sits in memory at once.
 */
import { and, asc, eq, gt, gte, lte } from "drizzle-orm";
import type { Executor } from "../store/connection.ts";
import { policies, rowToPolicy } from "../store/schema/policies.ts";
import { storageError } from "../store/storage-errors.ts";
import { type AffectedInstants, type PolicyDay, RegionDates } from "./affected-days.ts";

const PAGE = 10_000;

export async function findAffectedPolicyDays(
  db: Executor,
  versions: AffectedInstants,
): Promise<PolicyDay[]> {
  const days: PolicyDay[] = [];
  for (const { region, instants, from, to } of versions.regions()) {
    const dates = new RegionDates(instants);
    let after: string | null = null;
    for (;;) {
      const conditions = [
        eq(policies.region, region),
        lte(policies.coverageStart, to),
        gte(policies.coverageEnd, from),
      ];
      if (after !== null) conditions.push(gt(policies.id, after));
      let rows;
      try {
        rows = await db.select().from(policies).where(and(...conditions))
          .orderBy(asc(policies.id)).limit(PAGE);
      } catch (error) {
        throw storageError(`finding the policies of region "${region}" the events affect`, error);
      }
      for (const row of rows) {
        const policy = rowToPolicy(row);
        for (const claimDate of dates.datesFor(policy)) {
          days.push({ policyId: policy.id, claimDate });
        }
      }
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1]!.id;
    }
  }
  // Regions are disjoint, so there are no repeats; order for people and for tests.
  return days.sort((a, b) =>
    a.policyId < b.policyId
      ? -1
      : a.policyId > b.policyId
      ? 1
      : a.claimDate < b.claimDate
      ? -1
      : a.claimDate > b.claimDate
      ? 1
      : 0
  );
}
