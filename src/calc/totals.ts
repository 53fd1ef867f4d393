/**
 * Counts and money of any number of policy-days, and the few problems worth showing. Pure and
 * JSON-shaped (money as a decimal string): totals travel through Temporal payloads, heartbeat
 * details and workflow histories, and JSON has no bigint.
 */

export interface Totals {
  /** Policy-days handled (every status below together). */
  policyDays: number;
  computed: number;
  unchanged: number;
  /** A newer writer (higher fencing token) had written the day; its result stands. */
  stale: number;
  /** Not covered on that date (explicit policy lists in a rerun). */
  skipped: number;
  /** Still locked by another calculation after every retry. */
  contended: number;
  failed: number;
  /** Claims of the handled days after their write. */
  claims: number;
  cappedClaims: number;
  /** Sum of the handled days' payouts after their write, minor units, decimal string. */
  payoutAmount: string;
}

export type TotalsStatus = "computed" | "unchanged" | "stale" | "skipped" | "contended" | "failed";

export function emptyTotals(): Totals {
  return {
    policyDays: 0,
    computed: 0,
    unchanged: 0,
    stale: 0,
    skipped: 0,
    contended: 0,
    failed: 0,
    claims: 0,
    cappedClaims: 0,
    payoutAmount: "0",
  };
}

export function addTotals(a: Totals, b: Totals): Totals {
  return {
    policyDays: a.policyDays + b.policyDays,
    computed: a.computed + b.computed,
    unchanged: a.unchanged + b.unchanged,
    stale: a.stale + b.stale,
    skipped: a.skipped + b.skipped,
    contended: a.contended + b.contended,
    failed: a.failed + b.failed,
    claims: a.claims + b.claims,
    cappedClaims: a.cappedClaims + b.cappedClaims,
    payoutAmount: (BigInt(a.payoutAmount) + BigInt(b.payoutAmount)).toString(),
  };
}

/** Totals of one policy-day with the given status. */
export function totalsOf(
  status: TotalsStatus,
  claims = 0,
  cappedClaims = 0,
  payoutAmount: bigint = 0n,
): Totals {
  const t = emptyTotals();
  t.policyDays = 1;
  t[status] = 1;
  t.claims = claims;
  t.cappedClaims = cappedClaims;
  t.payoutAmount = payoutAmount.toString();
  return t;
}

/** A policy-day that did not end computed, unchanged, stale or skipped. */
export interface PolicyDayProblem {
  policyId: string;
  claimDate: string;
  status: "contended" | "failed";
  /** A failure type (e.g. LockContended, PolicyNotFound) or the error's name. */
  type: string;
  message: string;
}

/** Summaries keep at most this many problems: histories and terminals are not log stores. */
export const MAX_PROBLEMS = 100;

export function appendProblems(
  into: readonly PolicyDayProblem[],
  more: readonly PolicyDayProblem[],
): PolicyDayProblem[] {
  const room = MAX_PROBLEMS - into.length;
  return room > 0 ? into.concat(more.slice(0, room)) : [...into];
}
