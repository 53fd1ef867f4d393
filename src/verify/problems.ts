/** What `verify` can find, one record per finding, each naming the policy-day and claim. */

export const PROBLEM_KINDS = [
  "difference",
  "cap_breach",
  "ledger_gap",
  "orphan",
  "invalid_policy",
] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

export interface VerifyProblem {
  kind: ProblemKind;
  policyId: string;
  claimDate?: string;
  claimKey?: string;
  /**
   * The specific check: `missing`, `extra`, a claim field (`payoutBps` …), `period_cap`,
   * `payout_over_uncapped`, `payout_amount`, `no_ledger_row`, `stale_ledger_row`,
   * `no_policy`, `outside_coverage`, `claims_without_ledger_row`, `ledger_claims_count`,
   * `unverifiable` (a stored policy the calculator cannot take: its claims were not checked).
   */
  check: string;
  message: string;
  expected?: unknown;
  actual?: unknown;
}

/** `difference P000123 2025-03-04 day: payoutBps: stored 2500, expected 1000` */
export function formatProblem(problem: VerifyProblem): string {
  const where = [problem.policyId, problem.claimDate, problem.claimKey].filter(Boolean).join(" ");
  return `${problem.kind} ${where}: ${problem.message}`;
}
