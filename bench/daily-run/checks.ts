/**
 * What the database holds after a measurement: a benchmark that did less work than it claims
 * (skipped days, lost writes) must fail, not report a fine number. The floors and the daily
 * run compute the same policy-days on identical copies of the data, so their claims, ledger
 * rows and audit rows must agree row for row (all but who wrote them, when, and the tokens).
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
  /** The same over the date's ledger rows: inputs hash, calculator version, counts, totals. */
  ledgerDigest: string;
  /** The same over the audit rows the date's computations wrote. */
  auditDigest: string;
  auditRows: number;
  /** Sums over the date's ledger rows (payout in minor units, a decimal string). */
  ledgerTotals: { events: number; claims: number; capped: number; payoutAmount: string };
  /**
   * Ledger rows without a positive fencing token, and claims of the date whose token is not
   * their day's ledger token (days computed in date order, as here, leave none).
   */
  fenceMismatches: number;
}

/** Streamed: the digest of a whole book's rows without holding them. */
async function digest(batches: AsyncIterable<{ line: string }[]>) {
  const hash = crypto.createHash("sha256");
  let count = 0;
  for await (const batch of batches) {
    for (const r of batch) {
      hash.update(r.line + "\n");
      count++;
    }
  }
  return { count, digest: hash.digest("hex") };
}

export async function dateState(sql: Sql, date: string): Promise<DateState> {
  const [ledger] = await sql<{
    rows: number;
    with_events: number;
    events: number;
    claims: number;
    capped: number;
    payout: string;
    bad_fences: number;
  }[]>`
    select count(*)::int as rows, count(*) filter (where events_count > 0)::int as with_events,
      coalesce(sum(events_count), 0)::int as events, coalesce(sum(claims_count), 0)::int as claims,
      coalesce(sum(capped_count), 0)::int as capped,
      coalesce(sum(payout_amount_total), 0)::text as payout,
      count(*) filter (where fence_token <= 0)::int as bad_fences
    from calculation_ledger where claim_date = ${date}`;
  const [claimFences] = await sql<{ n: number }[]>`
    select count(*)::int as n from claims c
    left join calculation_ledger l on l.policy_id = c.policy_id and l.claim_date = c.claim_date
    where c.claim_date = ${date} and l.fence_token is distinct from c.fence_token`;
  const claims = await digest(sql<{ line: string }[]>`
    select concat_ws('|', policy_id, claim_key, tier, array_to_string(event_ids, ','),
      uncapped_bps, payout_bps, payout_amount, capped,
      (extract(epoch from first_observed_at) * 1000)::int8, calculator_version) as line
    from claims where claim_date = ${date}
    order by policy_id collate "C", claim_key collate "C"`.cursor(5_000));
  const ledgerRows = await digest(sql<{ line: string }[]>`
    select concat_ws('|', policy_id, inputs_hash, calculator_version, events_count, claims_count,
      capped_count, payout_bps_total, payout_amount_total, computations) as line
    from calculation_ledger where claim_date = ${date}
    order by policy_id collate "C"`.cursor(5_000));
  const audit = await digest(sql<{ line: string }[]>`
    select line from (select concat_ws('|', policy_id, claim_date, claim_key, action, reason,
      coalesce(old_tier, '-'), coalesce(new_tier, '-'),
      coalesce(array_to_string(old_event_ids, ','), '-'),
      coalesce(array_to_string(new_event_ids, ','), '-'), coalesce(old_uncapped_bps, -1),
      coalesce(new_uncapped_bps, -1), coalesce(old_payout_bps, -1), coalesce(new_payout_bps, -1),
      coalesce(old_payout_amount, -1), coalesce(new_payout_amount, -1), calculator_version)
      as line
    from claim_audit where computed_date = ${date}) a
    order by line collate "C"`.cursor(5_000));
  return {
    ledgerRows: ledger!.rows,
    withEvents: ledger!.with_events,
    claims: claims.count,
    claimsDigest: claims.digest,
    ledgerDigest: ledgerRows.digest,
    auditDigest: audit.digest,
    auditRows: audit.count,
    ledgerTotals: {
      events: ledger!.events,
      claims: ledger!.claims,
      capped: ledger!.capped,
      payoutAmount: ledger!.payout,
    },
    fenceMismatches: ledger!.bad_fences + claimFences!.n,
  };
}

/**
 * Throws naming what differs when two computations of the same policy-days stored different
 * claims, ledger rows or audit rows.
 */
export function expectSameState(what: string, a: DateState, b: DateState): void {
  const differs = [
    a.claimsDigest !== b.claimsDigest && `claims (${a.claims} vs ${b.claims} rows)`,
    a.ledgerDigest !== b.ledgerDigest &&
    `ledger rows (totals ${JSON.stringify(a.ledgerTotals)} vs ${JSON.stringify(b.ledgerTotals)})`,
    a.auditDigest !== b.auditDigest && `audit rows (${a.auditRows} vs ${b.auditRows})`,
  ].filter(Boolean);
  if (differs.length > 0) throw new Error(`${what} stored different ${differs.join(", ")}`);
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
