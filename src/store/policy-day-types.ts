/**
 * What the calculation side hands to storage for one policy-day, and what storage answers.
 * The write path (src/store/write-policy-days.ts) takes many of these in one transaction.
 */
import type { Candidate } from "../domain/calculate.ts";
import type { VersionedPolicy } from "./policies.ts";

/** The result of computing one policy-day, ready to be written under its fencing token. */
export interface PolicyDayWrite {
  policyId: string;
  claimDate: string;
  /** The lease's fencing token; a write lower than the ledger's token is refused (`stale`). */
  fenceToken: bigint;
  /** Temporal `workflowId/runId` (or `manual`) recorded in the ledger and audit rows. */
  writtenBy: string;
  /** Hash of what the computation saw (policy + that day's events). */
  inputsHash: string;
  /** Events of the policy-local day that the computation saw (all statuses, own region). */
  eventsCount: number;
  /** The day's candidates from the domain (`calculateDayCandidates`), before cap allocation. */
  candidates: Candidate[];
  /**
   * The policy row the computation read, with its version. Given, the write locks the row
   * without reading it again and checks the version instead: a policy changed since it was
   * read refuses the write (`refused`, policy_changed; nothing is written for it: compute it
   * again). Without it, the write reads the policy under the row lock.
   */
  basis?: VersionedPolicy | undefined;
  /**
   * The events revision of the day's local window when the computation read its events
   * (src/store/event-revisions.ts). Given with `basis`, the write compares it with the current
   * one under the policy lock and refuses the write (inputs_changed) when events of that
   * window were inserted, changed or deleted since.
   */
  eventsRevision?: number | undefined;
  /**
   * Why the day is computed again, when it is not the plain computation of a run: a policy
   * amendment records `policy_amended` as the audit reason of the day's own claim changes.
   */
  cause?: WriteCause | undefined;
}

/** What made a recalculation (audit reason of the computed day's changes). */
export type WriteCause = "policy_amended";

/** Why a write was refused (see schema/write-refusals.ts). */
export type RefusalReason = "stale_token" | "inputs_changed" | "policy_changed";

/**
 * - `computed`: the write was applied and it is the day's first computation, or it inserted,
 *   changed or removed a claim (of this day, or of a later day through cap re-allocation);
 * - `unchanged`: the write was applied to a day computed before and no claim changed: only the
 *   ledger row moved (fence token, inputs hash, `computations`, `computed_at`);
 * - `stale`: not applied, its fence token is lower than the ledger's, and the ledger holds a
 *   computation of the same inputs (same inputs hash and calculator version): verified, the
 *   day's stored result is what this write would have written;
 * - `refused`: not applied and NOT done (`refusal` says why): the day must be computed again
 *   from a fresh read (under a token above `ledgerFenceToken` for stale_token).
 */
export type PolicyDayStatus = "computed" | "unchanged" | "stale" | "refused";

export interface PolicyDayOutcome {
  policyId: string;
  claimDate: string;
  status: PolicyDayStatus;
  /** Claims of this day after the write (for `stale`: as stored, untouched). */
  claims: number;
  cappedClaims: number;
  /** Sum of this day's payout amounts after the write, minor units of `currency`. */
  payoutAmount: bigint;
  /** The policy's currency. */
  currency: string;
  /** Audit rows written, this day and re-allocated later days together. */
  changes: { inserted: number; updated: number; deleted: number };
  /** The ledger's fence token for the day after the write (for `stale`: the newer one that won). */
  ledgerFenceToken: bigint;
  /** Why the write was refused (status `refused` only). */
  refusal?: RefusalReason;
}
