/**
 * `claims report`: per claim date and per region, how many policy-days were computed (ledger
 * rows), how many claims there are, how many were capped, and the payout per currency (minor
 * units, exact). Aggregated in SQL; money stays integer text until it becomes a bigint here.
 */
import type { Sql } from "../store/connection.ts";

export interface ReportLine {
  /** The claim date, the region, or "total". */
  key: string;
  policyDays: number;
  claims: number;
  cappedClaims: number;
  /** Payout per currency code, minor units. */
  payout: Record<string, bigint>;
}

export interface ClaimsReport {
  from: string;
  to: string;
  policyId: string | null;
  /** Every currency that appears, sorted: the payout columns of table and CSV output. */
  currencies: string[];
  days: ReportLine[];
  regions: ReportLine[];
  totals: ReportLine;
}

export interface ReportQuery {
  from: string;
  to: string;
  policyId?: string | undefined;
}

/** Currency shown for claims whose policy row is missing (an orphan `verify` reports). */
export const UNKNOWN = "(unknown)";

function emptyLine(key: string): ReportLine {
  return { key, policyDays: 0, claims: 0, cappedClaims: 0, payout: {} };
}

function lineOf(map: Map<string, ReportLine>, key: string): ReportLine {
  let line = map.get(key);
  if (!line) {
    line = emptyLine(key);
    map.set(key, line);
  }
  return line;
}

const byKey = (a: ReportLine, b: ReportLine) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export async function buildClaimsReport(sql: Sql, query: ReportQuery): Promise<ClaimsReport> {
  const policyId = query.policyId ?? null;
  const claimRows = await sql<
    {
      claim_date: string;
      region: string | null;
      currency: string | null;
      claims: number;
      capped: number;
      payout: string;
    }[]
  >`
    select c.claim_date::text as claim_date, p.region, p.currency,
           count(*)::int as claims,
           count(*) filter (where c.capped)::int as capped,
           sum(c.payout_amount)::text as payout
    from claims c
    left join policies p on p.id = c.policy_id
    where c.claim_date between ${query.from}::date and ${query.to}::date
      and (${policyId}::text is null or c.policy_id = ${policyId}::text)
    group by 1, 2, 3`;
  const ledgerRows = await sql<{ claim_date: string; region: string | null; days: number }[]>`
    select l.claim_date::text as claim_date, p.region, count(*)::int as days
    from calculation_ledger l
    left join policies p on p.id = l.policy_id
    where l.claim_date between ${query.from}::date and ${query.to}::date
      and (${policyId}::text is null or l.policy_id = ${policyId}::text)
    group by 1, 2`;

  const days = new Map<string, ReportLine>();
  const regions = new Map<string, ReportLine>();
  const totals = emptyLine("total");
  const currencies = new Set<string>();
  for (const r of ledgerRows) {
    for (const line of [lineOf(days, r.claim_date), lineOf(regions, r.region ?? UNKNOWN), totals]) {
      line.policyDays += r.days;
    }
  }
  for (const r of claimRows) {
    const currency = r.currency ?? UNKNOWN;
    currencies.add(currency);
    const amount = BigInt(r.payout);
    for (const line of [lineOf(days, r.claim_date), lineOf(regions, r.region ?? UNKNOWN), totals]) {
      line.claims += r.claims;
      line.cappedClaims += r.capped;
      line.payout[currency] = (line.payout[currency] ?? 0n) + amount;
    }
  }
  return {
    from: query.from,
    to: query.to,
    policyId,
    currencies: [...currencies].sort(),
    days: [...days.values()].sort(byKey),
    regions: [...regions.values()].sort(byKey),
    totals,
  };
}
