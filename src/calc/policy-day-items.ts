/**
 * What happened to each policy-day of a calculation, and how it counts in totals and problems.
 */
import type { PolicyDayStatus } from "../store/policy-day-types.ts";
import { emptyTotals, type PolicyDayProblem, type Totals, totalsOf } from "./totals.ts";

export type PolicyDayItemStatus = PolicyDayStatus | "skipped" | "contended" | "failed";

/** What happened to one policy-day in this call. */
export interface PolicyDayItem {
  policyId: string;
  claimDate: string;
  status: PolicyDayItemStatus;
  claims: number;
  cappedClaims: number;
  payoutAmount: bigint;
  /** The token the write carried (null when nothing was written). */
  fenceToken: bigint | null;
  inputsHash: string | null;
  /** Audit rows the write produced (claims inserted, changed, removed, re-allocations included). */
  changes: { inserted: number; updated: number; deleted: number };
  /** Why, for contended, failed and skipped days. */
  problem?: { type: string; message: string };
}

/** Failure types of single policy-days (also the activities' ApplicationFailure types). */
export const ItemProblemTypes = {
  LOCK_CONTENDED: "LockContended",
  LEASE_LOST: "LeaseLost",
  POLICY_CHANGED: "PolicyChanged",
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
    fenceToken: null,
    inputsHash: null,
    changes: { inserted: 0, updated: 0, deleted: 0 },
  };
}

export function withProblem(item: PolicyDayItem, type: string, message: string): PolicyDayItem {
  return { ...item, problem: { type, message } };
}

export function itemTotals(item: PolicyDayItem): Totals {
  return totalsOf(item.status, item.claims, item.cappedClaims, item.payoutAmount);
}

/** The sum of itemTotals over `items`, built in one pass (a chunk finishes a thousand). */
export function itemsTotals(items: readonly PolicyDayItem[]): Totals {
  const t = emptyTotals();
  let amount = 0n;
  for (const item of items) {
    t.policyDays++;
    t[item.status]++;
    t.claims += item.claims;
    t.cappedClaims += item.cappedClaims;
    amount += item.payoutAmount;
  }
  t.payoutAmount = amount.toString();
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
