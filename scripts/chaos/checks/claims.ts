/**
 * The claims table against the rules: no duplicate on the natural key (counted with GROUP BY,
 * not only trusted to the unique constraint), the cap invariants, and equality with the domain
 * calculator's whole-period result over the stored events, policy by policy, field by field.
 */
import { calculatePeriod } from "../../../src/domain/calculate.ts";
import type { Claim, RiskEvent } from "../../../src/domain/schemas.ts";
import { riskEvents, rowToEvent } from "../../../src/store/schema/events.ts";
import { policies, rowToPolicy } from "../../../src/store/schema/policies.ts";
import type { Check } from "./context.ts";

export const noDuplicates: Check = {
  name: "no-duplicates",
  description: "GROUP BY (policy_id, claim_date, claim_key) on claims finds every key once",
  async run({ sql }) {
    const rows = await sql<
      { policy_id: string; claim_date: string; claim_key: string; n: number }[]
    >`
      select policy_id, claim_date::text, claim_key, count(*)::int as n from claims
      group by policy_id, claim_date, claim_key having count(*) > 1
      order by 1, 2, 3`;
    return rows.map((r) => `${r.n} claims for ${r.policy_id} ${r.claim_date} ${r.claim_key}`);
  },
};

export const capInvariant: Check = {
  name: "cap-invariant",
  description:
    "per policy sum(payout_bps) <= period_cap_bps; payout <= uncapped; capped flag; exact amounts",
  async run({ sql }) {
    const problems: string[] = [];
    const over = await sql<{ policy_id: string; total: number; cap: number }[]>`
      select c.policy_id, sum(c.payout_bps)::int as total, p.period_cap_bps as cap
      from claims c join policies p on p.id = c.policy_id
      group by c.policy_id, p.period_cap_bps having sum(c.payout_bps) > p.period_cap_bps
      order by 1`;
    for (const o of over) {
      problems.push(`${o.policy_id} pays ${o.total} bps over its period, cap ${o.cap}`);
    }
    const bad = await sql<
      { policy_id: string; claim_date: string; claim_key: string; what: string }[]
    >`
      select c.policy_id, c.claim_date::text, c.claim_key,
        case
          when c.payout_bps > c.uncapped_bps then 'payout_bps above uncapped_bps'
          when c.capped <> (c.payout_bps < c.uncapped_bps) then 'capped flag wrong'
          else 'payout_amount is not floor(sum_insured * payout_bps / 10000): ' ||
            c.payout_amount || ' vs ' || floor(p.sum_insured::numeric * c.payout_bps / 10000)
        end as what
      from claims c join policies p on p.id = c.policy_id
      where c.payout_bps > c.uncapped_bps or c.capped <> (c.payout_bps < c.uncapped_bps)
        or c.payout_amount::numeric <> floor(p.sum_insured::numeric * c.payout_bps / 10000)
      order by 1, 2, 3`;
    for (const b of bad) problems.push(`${b.policy_id} ${b.claim_date} ${b.claim_key}: ${b.what}`);
    return problems;
  },
};

interface StoredRow {
  policy_id: string;
  claim_date: string;
  claim_key: string;
  tier: string;
  event_ids: string[];
  uncapped_bps: number;
  payout_bps: number;
  capped: boolean;
  payout_amount: bigint;
}

const FIELDS = ["tier", "eventIds", "uncappedBps", "payoutBps", "capped", "payoutAmount"] as const;

function storedAsClaim(r: StoredRow): Claim {
  return {
    policyId: r.policy_id,
    claimDate: r.claim_date,
    claimKey: r.claim_key,
    tier: r.tier as Claim["tier"],
    eventIds: r.event_ids,
    uncappedBps: r.uncapped_bps,
    payoutBps: r.payout_bps,
    capped: r.capped,
    payoutAmount: Number(r.payout_amount),
  };
}

/** Differences between the stored claims of one policy and its whole-period calculation. */
export function compareClaims(policyId: string, stored: Claim[], expected: Claim[]): string[] {
  const problems: string[] = [];
  const key = (c: Claim) => `${c.claimDate} ${c.claimKey}`;
  const byKey = new Map(stored.map((c) => [key(c), c]));
  for (const want of expected) {
    const have = byKey.get(key(want));
    byKey.delete(key(want));
    if (!have) {
      problems.push(`${policyId} ${key(want)}: missing (expected ${JSON.stringify(want)})`);
      continue;
    }
    for (const field of FIELDS) {
      const a = JSON.stringify(have[field]);
      const b = JSON.stringify(want[field]);
      if (a !== b) problems.push(`${policyId} ${key(want)}: ${field} stored ${a}, expected ${b}`);
    }
  }
  for (const extra of byKey.values()) {
    problems.push(`${policyId} ${key(extra)}: stored but not produced by the calculation`);
  }
  return problems;
}

export const matchesWholePeriod: Check = {
  name: "matches-whole-period",
  description: "stored claims == domain calculatePeriod(policy, stored events) for every policy",
  async run({ sql, db }) {
    const [policyRows, eventRows, claimRows] = await Promise.all([
      db.select().from(policies),
      db.select().from(riskEvents),
      sql<StoredRow[]>`
        select policy_id, claim_date::text, claim_key, tier, event_ids, uncapped_bps,
          payout_bps, capped, payout_amount from claims`,
    ]);
    const eventsByRegion = new Map<string, RiskEvent[]>();
    for (const row of eventRows) {
      const list = eventsByRegion.get(row.region) ?? [];
      list.push(rowToEvent(row));
      eventsByRegion.set(row.region, list);
    }
    const storedByPolicy = new Map<string, Claim[]>();
    for (const row of claimRows) {
      const list = storedByPolicy.get(row.policy_id) ?? [];
      list.push(storedAsClaim(row));
      storedByPolicy.set(row.policy_id, list);
    }
    const problems: string[] = [];
    for (const row of policyRows) {
      const policy = rowToPolicy(row);
      const expected = calculatePeriod(policy, eventsByRegion.get(policy.region) ?? []);
      problems.push(...compareClaims(policy.id, storedByPolicy.get(policy.id) ?? [], expected));
      storedByPolicy.delete(policy.id);
    }
    for (const id of storedByPolicy.keys()) problems.push(`claims of unknown policy ${id}`);
    return problems;
  },
};
