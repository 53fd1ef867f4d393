/**
 * What the database holds after a measurement: a benchmark that did less work than it claims
 * (skipped days, lost writes) must fail, not report a fine number. The floor and the daily run
 * compute the same policy-days on identical copies of the data, so their claims must agree
 * row for row.
 */
import crypto from "node:crypto";
import type { Sql } from "../../src/store/connection.ts";

export interface DateState {
  ledgerRows: number;
  /** Policy-days whose local day had at least one event. */
  withEvents: number;
  claims: number;
  /** sha256 over every claim of the date, ordered: equal digests mean equal claims. */
  claimsDigest: string;
}

export async function dateState(sql: Sql, date: string): Promise<DateState> {
  const [ledger] = await sql<{ rows: number; with_events: number }[]>`
    select count(*)::int as rows, count(*) filter (where events_count > 0)::int as with_events
    from calculation_ledger where claim_date = ${date}`;
  const claims = await sql<{ line: string }[]>`
    select concat_ws('|', policy_id, claim_key, tier, array_to_string(event_ids, ','),
      uncapped_bps, payout_bps, payout_amount, capped) as line
    from claims where claim_date = ${date}
    order by policy_id collate "C", claim_key collate "C"`;
  const hash = crypto.createHash("sha256");
  for (const c of claims) hash.update(c.line + "\n");
  return {
    ledgerRows: ledger!.rows,
    withEvents: ledger!.with_events,
    claims: claims.length,
    claimsDigest: hash.digest("hex"),
  };
}

/** Throws naming what is wrong when a measured date was not computed completely. */
export function expectComplete(
  what: string,
  state: DateState,
  policyDays: number,
  totals: { computed: number; failed: number; contended: number; skipped: number },
): void {
  const problems: string[] = [];
  if (state.ledgerRows !== policyDays) {
    problems.push(`${state.ledgerRows} ledger rows, expected ${policyDays}`);
  }
  if (totals.computed !== policyDays) {
    problems.push(`${totals.computed} policy-days computed, expected ${policyDays}`);
  }
  if (totals.failed + totals.contended + totals.skipped > 0) {
    problems.push(
      `failed ${totals.failed}, contended ${totals.contended}, skipped ${totals.skipped}`,
    );
  }
  if (problems.length > 0) throw new Error(`${what}: ${problems.join("; ")}`);
}
