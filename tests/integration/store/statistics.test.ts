/**
 * refreshStatistics (src/store/statistics.ts): after a run, the growing tables whose changes
 * pass autovacuum's ANALYZE threshold are analyzed (with a coarse sample), the others are left
 * alone, and a second call right after finds nothing to do.
 */
import assert from "node:assert/strict";
import { refreshStatistics } from "../../../src/store/statistics.ts";
import { useTestDatabase } from "../../support/database.ts";
import { test } from "../../support/test.ts";

const database = useTestDatabase("store_statistics");

async function lastAnalyzed(): Promise<Map<string, { analyzed: boolean; changed: number }>> {
  const rows = await database.sql<{ relname: string; analyzed: boolean; changed: string }[]>`
    select relname, last_analyze is not null as analyzed, n_mod_since_analyze::text as changed
    from pg_stat_user_tables where relname in ('calculation_ledger', 'claims', 'claim_audit')`;
  return new Map(
    rows.map((r) => [r.relname, { analyzed: r.analyzed, changed: Number(r.changed) }]),
  );
}

test("tables past the threshold are analyzed, the others not; then nothing is left to do", async () => {
  await database.sql.unsafe(`
    insert into policies (id, region, currency, sum_insured, timezone, coverage_start,
      coverage_end, payout_mode, tier1_bps, tier2_bps, tier3_bps, period_cap_bps)
    select 'st-' || n, 'r', 'EUR', 1000000, 'UTC', '2025-01-01', '2025-12-31', 'once_per_day',
      100, 200, 300, 10000
    from generate_series(1, 500) n;
    insert into calculation_ledger (policy_id, claim_date, fence_token, inputs_hash,
      calculator_version, events_count, claims_count, capped_count, payout_bps_total,
      payout_amount_total, written_by)
    select 'st-' || n, date '2025-01-01' + d, 1, 'h', 'v', 0, 0, 0, 0, 0, 'test'
    from generate_series(1, 500) n, generate_series(0, 3) d;
    insert into claims (policy_id, claim_date, claim_key, tier, event_ids, uncapped_bps,
      payout_bps, payout_amount, capped, first_observed_at, fence_token, calculator_version)
    select 'st-' || n, '2025-01-01', 'day', 'tier1', array['e'], 100, 100, 1000, false,
      '2025-01-01T00:00:00Z', 1, 'v'
    from generate_series(1, 10) n;
    -- Backends publish their table counters asynchronously: make these visible now.
    select pg_stat_force_next_flush();`);

  const first = await refreshStatistics(database.db);
  // 2,000 ledger rows pass 50 + 10% of 0; 10 claims do not pass 50; no audit rows at all.
  assert.deepEqual(first.analyzed, ["calculation_ledger"]);
  const after = await lastAnalyzed();
  assert.equal(after.get("calculation_ledger")?.analyzed, true);
  assert.equal(after.get("calculation_ledger")?.changed, 0);
  assert.equal(after.get("claims")?.analyzed, false);
  const [estimate] = await database.sql<{ reltuples: number }[]>`
    select reltuples from pg_class where relname = 'calculation_ledger'`;
  assert.equal(estimate?.reltuples, 2000, "the planner now knows the ledger's size");

  assert.deepEqual((await refreshStatistics(database.db)).analyzed, []);
});
