/**
 * What happened to each policy-day of a calculation, and how it counts in totals and problems.
 */
import type { PolicyDayStatus } from "../store/policy-day-types.ts";
import { amountsOf, emptyTotals, type PolicyDayProblem, type Totals, totalsOf } from "./totals.ts";

/**
 * A refused write (PolicyDayStatus `refused`) is no final status: it becomes `contended`, with
 * its refusal as the problem, and is computed again in a later round.
 */
export type PolicyDayItemStatus =
  | Exclude<PolicyDayStatus, "refused">
  | "skipped"
  | "contended"
  | "failed";

/** Problem types of refused writes: computed again, in rounds of their own (policy-days.ts). */
export const REFUSAL_TYPES: ReadonlySet<string> = new Set([
  "PolicyChanged",
  "StaleToken",
  "InputsChanged",
]);

/** What happened to one policy-day in this call. */
export interface PolicyDayItem {
  policyId: string;
  claimDate: string;
  status: PolicyDayItemStatus;
  claims: number;
  cappedClaims: number;
  /** The day's payouts after the write, minor units, in `currency`. */
  payoutAmount: bigint;
  /** The policy's currency; null when the policy was not read (contended, missing …). */
  currency: string | null;
  /** The token the write carried (null when nothing was written). */
  fenceToken: bigint | null;
  inputsHash: string | null;
  /** Audit rows the write produced (claims inserted, changed, removed, re-allocations included). */
  changes: { inserted: number; updated: number; deleted: number };
  /** Why, for contended, failed and skipped days. */
  problem?: { type: string; message: string };
  /**
   * For a write refused for a stale token: the token its next computation must carry at least
   * (one above the ledger's), asked of the lock service as the key's token floor.
   */
  retryFloor?: bigint;
}

/** Failure types of single policy-days (also the activities' ApplicationFailure types). */
export const ItemProblemTypes = {
  LOCK_CONTENDED: "LockContended",
  LEASE_LOST: "LeaseLost",
  POLICY_CHANGED: "PolicyChanged",
  /** The write's token was below the ledger's, which holds another computation. */
  STALE_TOKEN: "StaleToken",
  /** Events of the day's window changed after the computation read them. */
  INPUTS_CHANGED: "InputsChanged",
  POLICY_NOT_FOUND: "PolicyNotFound",
  OUT_OF_COVERAGE: "OutOfCoverage",
  COMPUTE_FAILED: "ComputeFailed",
} as const;

export function emptyItem(
  policyId: string,
  date: string,
  status: PolicyDayItemStatus,
): PolicyDayItem {
  return {
    policyId,
    claimDate: date,
    status,
    claims: 0,
    cappedClaims: 0,
    payoutAmount: 0n,
    currency: null,
    fenceToken: null,
    inputsHash: null,
    changes: { inserted: 0, updated: 0, deleted: 0 },
  };
}

export function withProblem(item: PolicyDayItem, type: string, message: string): PolicyDayItem {
  return { ...item, problem: { type, message } };
}

export function itemTotals(item: PolicyDayItem): Totals {
  return totalsOf(
    item.status,
    item.claims,
    item.cappedClaims,
    item.currency === null ? null : { currency: item.currency, amount: item.payoutAmount },
  );
}

/** The sum of itemTotals over `items`, built in one pass (a chunk finishes a thousand). */
export function itemsTotals(items: readonly PolicyDayItem[]): Totals {
  const t = emptyTotals();
  const amounts = new Map<string, bigint>();
  for (const item of items) {
    t.policyDays++;
    t[item.status]++;
    t.claims += item.claims;
    t.cappedClaims += item.cappedClaims;
    if (item.currency !== null) {
      amounts.set(item.currency, (amounts.get(item.currency) ?? 0n) + item.payoutAmount);
    }
  }
  t.payouts = amountsOf(amounts);
  return t;
}

/** itemProblem over `items`, concatenated (only contended and failed items have one). */
export function itemsProblems(items: readonly PolicyDayItem[]): PolicyDayProblem[] {
  const out: PolicyDayProblem[] = [];
  for (const item of items) {
    if (item.status === "contended" || item.status === "failed") out.push(...itemProblem(item));
  }
  return out;
}

export function itemProblem(item: PolicyDayItem): PolicyDayProblem[] {
  if (item.status !== "contended" && item.status !== "failed") return [];
  return [{
    policyId: item.policyId,
    claimDate: item.claimDate,
    status: item.status,
    type: item.problem?.type ?? item.status,
    message: item.problem?.message ?? item.status,
  }];
}
