/**
 * Rows whose policy does not exist at all (possible only if the foreign keys were dropped or
 * bypassed, which is exactly when someone needs to know). Set-based anti-joins, limited.
 */
import type { DateRange } from "./check-policy.ts";
import type { Tx } from "./load-page.ts";
import type { VerifyProblem } from "./problems.ts";

export async function policylessRows(
  tx: Tx,
  limit: number,
  range?: DateRange,
): Promise<{ problems: VerifyProblem[]; total: number }> {
  const from = range?.from ?? null;
  const to = range?.to ?? null;
  const rows = await tx<
    {
      source: string;
      policy_id: string;
      claim_date: string;
      claim_key: string | null;
      total: number;
    }[]
  >`
    with orphans as (
      select 'claim' as source, c.policy_id, c.claim_date, c.claim_key
      from claims c
      where not exists (select 1 from policies p where p.id = c.policy_id)
      union all
      select 'ledger', l.policy_id, l.claim_date, null
      from calculation_ledger l
      where not exists (select 1 from policies p where p.id = l.policy_id)
    )
    select source, policy_id, claim_date::text as claim_date, claim_key,
           (count(*) over ())::int as total
    from orphans
    where (${from}::date is null or claim_date >= ${from}::date)
      and (${to}::date is null or claim_date <= ${to}::date)
    order by policy_id, claim_date, claim_key nulls first
    limit ${limit}`;
  return {
    total: rows[0]?.total ?? 0,
    problems: rows.map((r) => ({
      kind: "orphan",
      check: "no_policy",
      policyId: r.policy_id,
      claimDate: r.claim_date,
      ...(r.claim_key !== null ? { claimKey: r.claim_key } : {}),
      message: r.source === "claim"
        ? "claim whose policy does not exist"
        : "ledger row whose policy does not exist",
    })),
  };
}
