/**
 * Counts and money of any number of policy-days, and the few problems worth showing. Pure and
 * JSON-shaped (money as decimal strings): totals travel through Temporal payloads, heartbeat
 * details and workflow histories, and JSON has no bigint.
 *
 * Money is kept per currency and never summed across currencies: a book pays in many
 * currencies, and one number adding their minor units together means nothing (and, forwarded
 * to finance, is a money error).
 */

/** Payouts per ISO 4217 currency code: exact minor units as decimal strings, codes sorted. */
export type CurrencyAmounts = Record<string, string>;

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
  /** The handled days' payouts after their write, per currency (minor units, decimal strings). */
  payouts: CurrencyAmounts;
  /**
   * Policy-days whose payouts are missing from `payouts`: totals of a workflow started by a
   * version before per-currency totals carry one mixed sum, which is not added anywhere.
   */
  payoutsUnknown?: number;
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
    payouts: {},
  };
}

/** `a` and `b` added per currency; the codes of the result sorted. */
export function addAmounts(a: CurrencyAmounts, b: CurrencyAmounts): CurrencyAmounts {
  const sum = new Map<string, bigint>();
  for (const amounts of [a, b]) {
    for (const [currency, amount] of Object.entries(amounts)) {
      sum.set(currency, (sum.get(currency) ?? 0n) + BigInt(amount));
    }
  }
  return amountsOf(sum);
}

/** JSON-shaped amounts from exact ones, codes sorted (stable output, stable histories). */
export function amountsOf(sums: ReadonlyMap<string, bigint>): CurrencyAmounts {
  const out: CurrencyAmounts = {};
  for (const currency of [...sums.keys()].sort()) out[currency] = sums.get(currency)!.toString();
  return out;
}

/**
 * Totals recorded by a version before per-currency payouts (a single mixed `payoutAmount`):
 * their payouts cannot be split by currency, so they are counted as unknown, never added.
 */
function payoutsOf(t: Totals): { payouts: CurrencyAmounts; unknown: number } {
  if (t.payouts) return { payouts: t.payouts, unknown: t.payoutsUnknown ?? 0 };
  const legacy = (t as { payoutAmount?: string }).payoutAmount;
  return { payouts: {}, unknown: legacy !== undefined && legacy !== "0" ? t.policyDays : 0 };
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
    ...withPayouts(payoutsOf(a), payoutsOf(b)),
  };
}

function withPayouts(
  a: { payouts: CurrencyAmounts; unknown: number },
  b: { payouts: CurrencyAmounts; unknown: number },
): Pick<Totals, "payouts" | "payoutsUnknown"> {
  const payouts = addAmounts(a.payouts, b.payouts);
  const unknown = a.unknown + b.unknown;
  return unknown > 0 ? { payouts, payoutsUnknown: unknown } : { payouts };
}

/** Totals of one policy-day with the given status. */
export function totalsOf(
  status: TotalsStatus,
  claims = 0,
  cappedClaims = 0,
  payout: { currency: string; amount: bigint } | null = null,
): Totals {
  const t = emptyTotals();
  t.policyDays = 1;
  t[status] = 1;
  t.claims = claims;
  t.cappedClaims = cappedClaims;
  if (payout) t.payouts = { [payout.currency]: payout.amount.toString() };
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
