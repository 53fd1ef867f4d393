/**
 * Table contents for before/after comparisons: every row of the data tables in key order,
 * without the columns that record when something happened (they differ run to run).
 */
import crypto from "node:crypto";
import type { Sql } from "../../../../src/store/connection.ts";

export interface StoreSnapshot {
  policies: unknown[];
  events: unknown[];
  claims: unknown[];
  ledger: number;
  audit: number;
}

export async function snapshot(sql: Sql): Promise<StoreSnapshot> {
  const policies = await sql`
    select id, region, currency, sum_insured::text, timezone, coverage_start::text,
           coverage_end::text, payout_mode, tier1_bps, tier2_bps, tier3_bps, period_cap_bps
    from policies order by id`;
  const events = await sql`
    select id, region, tier, (extract(epoch from observed_at) * 1000)::int8::text as observed_ms,
           status, source, value
    from risk_events order by id`;
  const claims = await sql`
    select policy_id, claim_date::text, claim_key, tier, event_ids, uncapped_bps, payout_bps,
           payout_amount::text, capped
    from claims order by policy_id, claim_date, claim_key`;
  const [counts] = await sql<{ ledger: number; audit: number }[]>`
    select (select count(*)::int from calculation_ledger) as ledger,
           (select count(*)::int from claim_audit) as audit`;
  return {
    policies: [...policies],
    events: [...events],
    claims: [...claims],
    ledger: counts?.ledger ?? -1,
    audit: counts?.audit ?? -1,
  };
}

export function hashOf(value: unknown): string {
  return crypto.createHash("sha256").update(JSON.stringify(value)).digest("hex");
}
