/**
 * The shapes of a write plan (policy-day-plan.ts): what is stored, what changes, and how the
 * statements (policy-day-statements.ts) receive it.
 */
import type { Policy, Tier } from "../domain/schemas.ts";
import type { PolicyDayOutcome, RefusalReason } from "./policy-day-types.ts";

/** A claim's stored values (what the audit compares and re-allocation reads). */
export interface ClaimContent {
  claimDate: string;
  claimKey: string;
  tier: Tier;
  eventIds: string[];
  uncappedBps: number;
  payoutBps: number;
  payoutAmount: bigint;
  capped: boolean;
  firstObservedAtMs: number;
}

/** A ledger row's values, timestamps aside (those come from the database clock). */
export interface LedgerContent {
  fenceToken: bigint;
  inputsHash: string;
  calculatorVersion: string;
  eventsCount: number;
  claimsCount: number;
  cappedCount: number;
  payoutBpsTotal: number;
  payoutAmountTotal: bigint;
  computations: number;
  writtenBy: string;
}

export interface StoredState {
  /** The locked policies (every write's policy must be here: checkTargets). */
  policies: ReadonlyMap<string, Policy>;
  /**
   * Every stored claim, by policy id, of each policy a write may change (one with candidates,
   * or with a stored claim on a written day); the others, whose writes change no claim, may be
   * absent.
   */
  claims: ReadonlyMap<string, readonly ClaimContent[]>;
  /** The stored ledger rows of the written days (absent: never computed), by dayKey. */
  ledger: ReadonlyMap<string, LedgerContent>;
}

export interface ClaimUpsert extends ClaimContent {
  policyId: string;
  fenceToken: bigint;
  calculatorVersion: string;
}

export interface ClaimDelete {
  policyId: string;
  claimDate: string;
  claimKey: string;
}

export type AuditAction = "insert" | "update" | "delete";
/** `policy_amended`: the day's own change came from recomputing it after a policy amendment. */
export type AuditReason = "computed" | "reallocated" | "removed" | "policy_amended";

export interface AuditEntry {
  policyId: string;
  claimDate: string;
  claimKey: string;
  action: AuditAction;
  reason: AuditReason;
  /** The policy-day whose computation caused the change. */
  computedDate: string;
  old: ClaimContent | null;
  new: ClaimContent | null;
  fenceToken: bigint;
  calculatorVersion: string;
  writtenBy: string;
}

export interface LedgerChange {
  policyId: string;
  claimDate: string;
  content: LedgerContent;
  /** A row exists in the database (UPDATE) or not (INSERT). */
  existed: boolean;
  /** The day itself was computed (`computed_at` moves), not only re-allocated. */
  recomputed: boolean;
  /** Some claim of the day changed (`changed_at` moves). */
  claimsChanged: boolean;
}

/** New totals of a day re-allocated but not written in the call (its ledger row was not read). */
export interface LedgerTotalsUpdate extends DayTotals {
  policyId: string;
  claimDate: string;
}

/** A refused write, for the append-only write_refusals table. */
export interface RefusalEntry {
  policyId: string;
  claimDate: string;
  reason: RefusalReason;
  fenceToken: bigint;
  ledgerFenceToken: bigint | null;
  inputsHash: string;
  ledgerInputsHash: string | null;
  writtenBy: string;
}

export interface WritePlan {
  outcomes: PolicyDayOutcome[];
  /** Writes refused (nothing else of them is in the plan). */
  refusals: RefusalEntry[];
  claimUpserts: ClaimUpsert[];
  claimDeletes: ClaimDelete[];
  audit: AuditEntry[];
  /** Ledger rows of written days (and of re-allocated written days), full contents. */
  ledger: LedgerChange[];
  /** Totals of re-allocated days outside the written ones, applied where a row exists. */
  ledgerTotals: LedgerTotalsUpdate[];
}

export interface DayTotals {
  claimsCount: number;
  cappedCount: number;
  payoutBpsTotal: number;
  payoutAmountTotal: bigint;
}
