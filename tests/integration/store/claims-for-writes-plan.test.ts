/**
 * The write path's claims read (loadClaimsForWrites) on a table of a coverage year's claims:
 * it returns exactly the claims of the policies a write may change, and PostgreSQL runs it on
 * the natural-key index, both as a custom and as a generic plan (prepared statements switch
 * to the generic one). A plan that scans the claims table costs every chunk of every daily run
 * time proportional to all claims ever stored: the daily run then slows down day after day.
 */
import assert from "node:assert/strict";
import { asc } from "drizzle-orm";
import {
  claimFields,
  claimsForWritesFilter,
  loadClaimsForWrites,
} from "../../../src/store/claims.ts";
import { claims } from "../../../src/store/schema/claims.ts";
import { refreshStatistics } from "../../../src/store/statistics.ts";
import { useTestDatabase } from "../../support/database.ts";
import { test } from "../../support/test.ts";

const database = useTestDatabase("store_claims_plan");

const POLICIES = 2_000;
const DAYS = 60;
const id = (n: number) => `cp-${String(n).padStart(5, "0")}`;
const dayOf = (d: number) => new Date(Date.UTC(2025, 0, 1 + d)).toISOString().slice(0, 10);

/** 2,000 policies; every policy has a claim every 5th day of 60 (24,000 claims). */
async function seed(): Promise<void> {
  await database.sql.unsafe(`
    insert into policies (id, region, currency, sum_insured, timezone, coverage_start,
      coverage_end, payout_mode, tier1_bps, tier2_bps, tier3_bps, period_cap_bps)
    select 'cp-' || lpad(n::text, 5, '0'), 'r', 'EUR', 1000000, 'UTC', '2025-01-01',
      '2025-12-31', 'once_per_day', 100, 200, 300, 10000
    from generate_series(0, ${POLICIES - 1}) n;
    insert into claims (policy_id, claim_date, claim_key, tier, event_ids, uncapped_bps,
      payout_bps, payout_amount, capped, first_observed_at, fence_token, calculator_version)
    select 'cp-' || lpad(n::text, 5, '0'), date '2025-01-01' + d, 'day', 'tier1',
      array['e-' || d], 100, 100, 10000, false, timestamptz '2025-01-01' + d * interval '1 day',
      1, 'test'
    from generate_series(0, ${POLICIES - 1}) n, generate_series(0, ${DAYS - 1}, 5) d;
    analyze policies;
    select pg_stat_force_next_flush();`);
  // The claims' statistics as the daily run leaves them: its coarse refresh (statistics.ts).
  const refreshed = await refreshStatistics(database.db);
  assert.ok(refreshed.analyzed.includes("claims"), JSON.stringify(refreshed));
}

test("loadClaimsForWrites: the claims of policies with candidates or a claim on the day, by index", async () => {
  await seed();
  // A chunk of 500 writes for day 10 (a claim day for every policy) and day 11 (none):
  // candidates for every 20th policy.
  const writes = Array.from({ length: 500 }, (_, i) => ({
    policyId: id(i * 4),
    claimDate: dayOf(i % 2 === 0 ? 10 : 11),
    candidates: i % 20 === 0 ? [{}] : [],
  }));
  const loaded = await loadClaimsForWrites(database.db, writes);
  const expected = new Set(
    writes.filter((w) => w.candidates.length > 0 || w.claimDate === dayOf(10)).map((w) =>
      w.policyId
    ),
  );
  assert.deepEqual([...loaded.keys()].sort(), [...expected].sort());
  for (const [policyId, stored] of loaded) {
    assert.equal(stored.length, DAYS / 5, `${policyId}: every claim of the policy`);
    assert.deepEqual(stored.map((c) => c.claimDate), [...stored.map((c) => c.claimDate)].sort());
  }

  const query = database.db.select(claimFields).from(claims).where(claimsForWritesFilter(writes))
    .orderBy(asc(claims.policyId)).toSQL();
  // Every parameter is an array literal's text (src/store/unnest.ts): quote it as SQL.
  const literal = (value: unknown) => `'${String(value).replace(/'/g, "''")}'`;
  for (const mode of ["force_custom_plan", "force_generic_plan"]) {
    const plan = await database.sql.begin(async (tx) => {
      await tx.unsafe(`set local plan_cache_mode = ${mode}`);
      await tx.unsafe(`prepare claims_plan as ${query.sql}`);
      const rows = await tx.unsafe<{ "QUERY PLAN": string }[]>(
        `explain (costs off) execute claims_plan(${query.params.map(literal).join(", ")})`,
      );
      await tx.unsafe("deallocate claims_plan");
      return rows.map((r) => r["QUERY PLAN"]).join("\n");
    });
    assert.doesNotMatch(plan, /Seq Scan on claims/, `${mode}:\n${plan}`);
    assert.match(plan, /claims_natural_key/, `${mode}:\n${plan}`);
  }
});
