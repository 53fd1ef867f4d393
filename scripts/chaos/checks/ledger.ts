/**
 * Every policy-day computed: one ledger row for each day of each policy's coverage (all of it
 * lies inside the data set's dates), none outside, none twice.
 */
import type { Check } from "./context.ts";

export const ledgerComplete: Check = {
  name: "ledger-complete",
  description: "a calculation_ledger row for every policy-day of every coverage, and no other",
  async run({ sql, expectedPolicyDays }) {
    const problems: string[] = [];
    const [counts] = await sql<{ expected: number; ledger: number }[]>`
      select
        (select coalesce(sum(coverage_end - coverage_start + 1), 0)::int from policies) as expected,
        (select count(*)::int from calculation_ledger) as ledger`;
    if (counts!.expected !== expectedPolicyDays) {
      problems.push(
        `the policies cover ${counts!.expected} policy-days, the data set ${expectedPolicyDays}`,
      );
    }
    const missing = await sql<{ policy_id: string; claim_date: string }[]>`
      select p.id as policy_id, (p.coverage_start + i)::text as claim_date
      from policies p
      cross join lateral generate_series(0, p.coverage_end - p.coverage_start) i
      left join calculation_ledger l on l.policy_id = p.id and l.claim_date = p.coverage_start + i
      where l.policy_id is null
      order by 1, 2`;
    for (const m of missing) problems.push(`no ledger row for ${m.policy_id} ${m.claim_date}`);
    const outside = await sql<{ policy_id: string; claim_date: string }[]>`
      select l.policy_id, l.claim_date::text from calculation_ledger l
      left join policies p on p.id = l.policy_id
      where p.id is null or l.claim_date not between p.coverage_start and p.coverage_end
      order by 1, 2`;
    for (const o of outside) {
      problems.push(`ledger row outside any coverage: ${o.policy_id} ${o.claim_date}`);
    }
    const twice = await sql<{ policy_id: string; claim_date: string; n: number }[]>`
      select policy_id, claim_date::text, count(*)::int as n from calculation_ledger
      group by policy_id, claim_date having count(*) > 1 order by 1, 2`;
    for (const t of twice) problems.push(`${t.n} ledger rows for ${t.policy_id} ${t.claim_date}`);
    if (problems.length === 0 && counts!.ledger !== expectedPolicyDays) {
      problems.push(`${counts!.ledger} ledger rows, expected ${expectedPolicyDays}`);
    }
    return problems;
  },
};
