/**
 * What workflows and clients both need: workflow type names and ids, the signal and query
 * definitions, the shapes of inputs, progress and summaries, and the arithmetic of totals.
 *
 * Workflow code imports this module, so it must stay deterministic and free of Node built-ins.
 * Money crosses Temporal as a decimal string: payloads are JSON, which has no bigint.
 */
import { defineQuery, defineSignal } from "@temporalio/workflow";
import type { PolicyDayProblem, Totals } from "../calc/totals.ts";
import { addDays } from "../domain/calendar.ts";

export {
  addTotals,
  appendProblems,
  emptyTotals,
  MAX_PROBLEMS,
  type PolicyDayProblem,
  type Totals,
} from "../calc/totals.ts";
export { MAX_RANGE_DAYS } from "../domain/date-range.ts";

export const WorkflowTypes = {
  policyDay: "policyDayWorkflow",
  dailyRun: "dailyRunWorkflow",
  rerun: "rerunWorkflow",
} as const;

/** Failure `type`s of the activities (ApplicationFailure.type), stable for alerts and retries. */
export const FailureTypes = {
  LOCK_CONTENDED: "LockContended",
  INVALID_INPUT: "InvalidInput",
  POLICY_NOT_FOUND: "PolicyNotFound",
  OUT_OF_COVERAGE: "OutOfCoverage",
  LEASE_LOST: "LeaseLost",
  STORAGE_FAILED: "StorageFailed",
} as const;

/** `claim-calc:<policyId>:<date>`: one open calculation per policy-day. */
export function policyDayWorkflowId(policyId: string, claimDate: string): string {
  return `claim-calc:${policyId}:${claimDate}`;
}

/** `claims-rerun:<from>:<to>:<selector>`, selector `all` or a digest of the sorted policy ids. */
export function rerunWorkflowId(from: string, to: string, selector: string): string {
  return `claims-rerun:${from}:${to}:${selector}`;
}

/** SPEC §6: the daily run with nominal time T computes D = (UTC date of T) − 1 day. */
export function claimDateOfNominalTime(nominal: Date): string {
  return addDays(nominal.toISOString().slice(0, 10), -1);
}

/** The UTC day [start, end) whose nominal times compute claim date D (the day after D). */
export function nominalDayOfClaimDate(claimDate: string): { start: Date; end: Date } {
  const start = new Date(`${addDays(claimDate, 1)}T00:00:00.000Z`);
  return { start, end: new Date(start.getTime() + 86_400_000) };
}

/** A start of a policy-day workflow while a run is open makes that run compute once more. */
export const recalculateSignal = defineSignal<[]>("recalculate");

/** Result of the single policy-day activity and workflow. */
export interface PolicyDaySummary {
  policyId: string;
  claimDate: string;
  status: "computed" | "unchanged" | "stale";
  claims: number;
  cappedClaims: number;
  payoutAmount: string;
  fenceToken: string;
  /** How many computations this workflow run made (1 + recalculations asked for meanwhile). */
  computations?: number;
}

export interface PolicyDayWorkflowInput {
  policyId: string;
  claimDate: string;
  timeouts?: ActivityTimeouts;
}

export interface BatchInput {
  claimDate: string;
  policyIds: string[];
}

export interface BatchSummary {
  claimDate: string;
  totals: Totals;
  /** The first MAX_PROBLEMS problems; `totals` counts all. */
  problems: PolicyDayProblem[];
  /** Ids still contended at the end of the batch (at most MAX_PROBLEMS), to try once more later. */
  contendedIds: string[];
}

export interface PolicyIdPage {
  ids: string[];
  /** The cursor for the next page; null when this was the last page. */
  next: string | null;
}

export interface PageInput {
  claimDate: string;
  /** Keyset cursor: ids strictly greater than this (COLLATE "C" order); null for the first page. */
  after: string | null;
  limit: number;
}

/** Activity timeouts a workflow applies, overridable per start (tests make heartbeats quick). */
export interface ActivityTimeouts {
  heartbeatTimeoutMs: number;
  startToCloseTimeoutMs: number;
}

export const DEFAULT_TIMEOUTS: ActivityTimeouts = {
  heartbeatTimeoutMs: 30_000,
  startToCloseTimeoutMs: 15 * 60_000,
};

/** How a workflow fans out over one date (from src/config.ts worker.*, fixed when started). */
export interface FanOutOptions {
  batchSize: number;
  batchConcurrency: number;
  pageSize: number;
  timeouts?: ActivityTimeouts;
  /** Continue-as-new once the history has this many events (default 10,000; tests use less). */
  historyEventsLimit?: number;
}

/** Where a fan-out over one date stands; carried across continue-as-new. */
export interface DateCursor {
  /** Last policy id whose batch finished (every id up to it is done); null before the first. */
  after: string | null;
  /** Pages fully done on this date. */
  pages: number;
  done: boolean;
}

/** One date of a fan-out: its cursor, totals and what is left to retry; carried across continue-as-new. */
export interface DateState {
  cursor: DateCursor;
  totals: Totals;
  problems: PolicyDayProblem[];
  /** Ids left contended by their batch, tried again once the date's pages are done. */
  contendedIds: string[];
  contentionRounds: number;
}

export interface DailyRunInput extends FanOutOptions {
  /** Manual starts name the claim date; scheduled runs derive it from the nominal time. */
  claimDate?: string;
  /** Set by continue-as-new only. */
  carried?: DailyRunCarried;
}

export interface DailyRunCarried {
  claimDate: string;
  nominalTime: string | null;
  state: DateState;
  continuedAsNew: number;
  startedAt: string;
}

export interface DailyRunProgress {
  claimDate: string;
  nominalTime: string | null;
  cursor: DateCursor;
  totals: Totals;
  inFlightBatches: number;
  continuedAsNew: number;
}

export interface DailyRunSummary {
  claimDate: string;
  nominalTime: string | null;
  totals: Totals;
  problems: PolicyDayProblem[];
  continuedAsNew: number;
  startedAt: string;
  finishedAt: string;
}

export interface RerunInput extends FanOutOptions {
  from: string;
  to: string;
  /** Sorted, distinct policy ids; null for every policy covering each date. */
  policyIds: string[] | null;
  carried?: RerunCarried;
}

export interface RerunCarried {
  /** Index into the dates from..to of the date in progress. */
  dateIndex: number;
  /** The date in progress. */
  state: DateState;
  /** Totals and problems of the finished dates. */
  totals: Totals;
  dateTotals: Record<string, Totals>;
  problems: PolicyDayProblem[];
  continuedAsNew: number;
  startedAt: string;
}

export interface RerunProgress {
  from: string;
  to: string;
  dates: number;
  datesDone: number;
  currentDate: string | null;
  /** Policy-days handled so far, and the known total for explicit lists (null for --all). */
  policyDaysDone: number;
  policyDaysTotal: number | null;
  totals: Totals;
  continuedAsNew: number;
}

export interface RerunSummary {
  workflowId?: string;
  from: string;
  to: string;
  dates: number;
  totals: Totals;
  dateTotals: Record<string, Totals>;
  problems: PolicyDayProblem[];
  continuedAsNew: number;
  startedAt: string;
  finishedAt: string;
}

export const dailyRunProgressQuery = defineQuery<DailyRunProgress>("progress");
export const rerunProgressQuery = defineQuery<RerunProgress>("progress");
