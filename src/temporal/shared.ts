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
  /** The day's payouts after the write, minor units of `currency` (decimal string). */
  payoutAmount: string;
  /** The policy's currency (runs before per-currency totals did not record it). */
  currency?: string;
  fenceToken: string;
  /** How many computations this workflow run made (1 + recalculations asked for meanwhile). */
  computations?: number;
}

/** Why a recalculation computes days again (absent: a plain run); the audit records it. */
export type RecalculationCause = "policy_amended";

export interface PolicyDayWorkflowInput {
  policyId: string;
  claimDate: string;
  cause?: RecalculationCause;
  timeouts?: ActivityTimeouts;
}

export interface BatchInput {
  claimDate: string;
  policyIds: string[];
  cause?: RecalculationCause;
}

export interface BatchSummary {
  claimDate: string;
  totals: Totals;
  /** The first MAX_PROBLEMS problems; `totals` counts all. */
  problems: PolicyDayProblem[];
  /**
   * Every id still contended at the end of the batch (a lock held by another calculation, or
   * a write refused round after round), for the workflow's later rounds. Workers before
   * complete dates sent at most MAX_PROBLEMS.
   */
  contendedIds: string[];
  /** The soonest a lock blocking one of them runs out (ms), when the lock service can tell. */
  retryAfterMs?: number | null;
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
  /**
   * How long a date's contended policy-days are retried, from the first retry round, before the
   * run fails naming them (CLAIMS_CONTENTION_DEADLINE_MS; default 15 minutes). Well above the
   * lock TTL: a crashed worker's locks run out within one TTL.
   */
  contentionDeadlineMs?: number;
}

/** The deadline of contention retries when a start does not name one. */
export const DEFAULT_CONTENTION_DEADLINE_MS = 15 * 60_000;

/** The failure type of a run that ended with policy-days left uncomputed (its details: the summary). */
export const INCOMPLETE_FAILURE_TYPE = "PolicyDaysIncomplete";

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
  /**
   * The retry rounds of complete dates: when they must end (workflow time, epoch ms), for which
   * attempt of the run (a retried run gets a new deadline). Absent before the first round.
   */
  retry?: { deadline: number; attempt: number };
  /** The soonest a lock blocking a contended id runs out (ms), as the last batches reported. */
  retryAfterMs?: number | null;
}

/** Ids carried for retry rounds at most (workflow state, continue-as-new input). */
export const MAX_CARRIED_CONTENDED = 50_000;

export interface DailyRunInput extends FanOutOptions {
  /** Manual starts name the claim date; scheduled runs derive it from the nominal time. */
  claimDate?: string;
  /**
   * The schedule's catch-up window (SCHEDULE_CATCHUP_WINDOW, ms): a scheduled run that starts
   * later than this after its nominal time is a backfill (RunKind). Default one day.
   */
  catchupWindowMs?: number;
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
  cause?: RecalculationCause;
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
  /**
   * Set (by the client) when the rerun failed with policy-days left uncomputed: the failure's
   * message. The rest is the summary the failure carried.
   */
  incomplete?: string;
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

/** Policy-days a run covered but did not compute (contended or failed): 0 for a complete run. */
export function uncomputed(totals: Totals): number {
  return totals.contended + totals.failed;
}

/**
 * The message of a run that ended incomplete: how many policy-days of what were left and why
 * (counts by cause, then the first few problems), and what to do about it.
 */
export function incompleteMessage(
  what: string,
  totals: Totals,
  problems: readonly PolicyDayProblem[],
): string {
  const causes = new Map<string, number>();
  for (const p of problems) causes.set(p.type, (causes.get(p.type) ?? 0) + 1);
  const byCause = [...causes].map(([type, n]) => `${type} ${n}`).join(", ");
  const first = problems.slice(0, 3).map((p) => `${p.policyId} ${p.claimDate}: ${p.message}`).join(
    "; ",
  );
  return `${what} left ${uncomputed(totals)} of ${totals.policyDays} policy-days uncomputed ` +
    `(${totals.contended} contended, ${totals.failed} failed` +
    `${byCause ? `; first problems by cause: ${byCause}` : ""})${first ? `: ${first}` : ""}. ` +
    "Nothing was marked done for them: once their cause is fixed (a lock still held, a " +
    "service down, bad data), run the same command again or `claims rerun` those days";
}
