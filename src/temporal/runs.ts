/**
 * The runs Temporal holds for this task queue, as `claims runs` shows them: kind, claim dates,
 * state, progress (the running ones answer their `progress` query) and a link to the Temporal
 * UI. Listed from visibility, newest first (running ones first, then by close time).
 */
import type { Client, WorkflowExecutionInfo } from "@temporalio/client";
import type { Config } from "../config.ts";
import { CLAIM_DATE, RUN_KIND, type RunKind, type RunMemo } from "./search-attributes.ts";
import { claimDatesOf, coversDate, runKindOf } from "./run-kind.ts";
import {
  type DailyRunProgress,
  dailyRunProgressQuery,
  type RerunProgress,
  rerunProgressQuery,
  WorkflowTypes,
} from "./shared.ts";

export interface RunProgressView {
  /** Policy-days handled so far. */
  done: number;
  /** The known total (reruns of listed policies), else null. */
  total: number | null;
  /** Dates done of the run's dates (reruns), else null. */
  datesDone: number | null;
  dates: number | null;
  /** Policy-days not computed so far (contended or failed). */
  notComputed: number;
}

export interface RunView {
  workflowId: string;
  runId: string;
  type: string;
  kind: RunKind;
  claimDates: { from: string; to: string } | null;
  /** Running, Completed, Failed, ContinuedAsNew, Terminated, TimedOut, Canceled. */
  state: string;
  startTime: string;
  closeTime: string | null;
  /** Running runs that answered their progress query; null otherwise. */
  progress: RunProgressView | null;
  url: string;
}

export interface ListRunsOptions {
  running?: boolean;
  /** Runs covering this claim date. */
  date?: string;
  /** At most this many runs (default 50). */
  limit?: number;
  /** How long a progress query may take (default 3 s); a run with no worker gives none. */
  queryTimeoutMs?: number;
}

const TYPES = [WorkflowTypes.dailyRun, WorkflowTypes.rerun, WorkflowTypes.policyDay];

function quote(value: string): string {
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/** The visibility query of `claims runs` (the date is filtered again on the client: ranges). */
export function runsQuery(config: Config, options: ListRunsOptions): string {
  const parts = [
    `TaskQueue = ${quote(config.temporal.taskQueue)}`,
    `WorkflowType IN (${TYPES.map(quote).join(", ")})`,
  ];
  if (options.running) parts.push("ExecutionStatus = 'Running'");
  // A rerun's ClaimDate is its first date: every run covering D has ClaimDate <= D.
  if (options.date) parts.push(`ClaimDate <= ${quote(options.date)}`);
  return parts.join(" AND ");
}

export function uiLink(config: Config, workflowId: string, runId: string): string {
  return `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}` +
    `/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

/** The facts of a listed execution (search attributes, memo). */
export function viewOf(config: Config, execution: WorkflowExecutionInfo): RunView {
  const memo = (execution.memo ?? {}) as RunMemo;
  const facts = {
    type: execution.type,
    workflowId: execution.workflowId,
    kind: execution.typedSearchAttributes.get(RUN_KIND),
    claimDate: execution.typedSearchAttributes.get(CLAIM_DATE),
    claimDateTo: typeof memo.claimDateTo === "string" ? memo.claimDateTo : undefined,
  };
  return {
    workflowId: execution.workflowId,
    runId: execution.runId,
    type: execution.type,
    kind: runKindOf(facts),
    claimDates: claimDatesOf(facts),
    state: execution.status.name.charAt(0) + execution.status.name.slice(1).toLowerCase()
      .replace(/_(\w)/g, (_m, c: string) => c.toUpperCase()),
    startTime: execution.startTime.toISOString(),
    closeTime: execution.closeTime?.toISOString() ?? null,
    progress: null,
    url: uiLink(config, execution.workflowId, execution.runId),
  };
}

export function progressView(
  type: string,
  answer: DailyRunProgress | RerunProgress,
): RunProgressView {
  if (type === WorkflowTypes.rerun) {
    const p = answer as RerunProgress;
    return {
      done: p.policyDaysDone,
      total: p.policyDaysTotal,
      datesDone: p.datesDone,
      dates: p.dates,
      notComputed: p.totals.contended + p.totals.failed,
    };
  }
  const p = answer as DailyRunProgress;
  return {
    done: p.totals.policyDays,
    total: null,
    datesDone: null,
    dates: null,
    notComputed: p.totals.contended + p.totals.failed,
  };
}

/** A running run's progress, or null when no worker answers in time (or it has no query). */
export async function queryProgress(
  client: Client,
  run: { type: string; workflowId: string; runId: string },
  timeoutMs: number,
): Promise<RunProgressView | null> {
  if (run.type !== WorkflowTypes.dailyRun && run.type !== WorkflowTypes.rerun) return null;
  const handle = client.workflow.getHandle(run.workflowId, run.runId);
  const query = run.type === WorkflowTypes.rerun ? rerunProgressQuery : dailyRunProgressQuery;
  try {
    const answer = await client.withDeadline(
      Date.now() + timeoutMs,
      () => handle.query<DailyRunProgress | RerunProgress>(query),
    );
    return progressView(run.type, answer);
  } catch {
    return null;
  }
}

export async function listRuns(
  client: Client,
  config: Config,
  options: ListRunsOptions = {},
): Promise<RunView[]> {
  const limit = options.limit ?? 50;
  const runs: RunView[] = [];
  for await (const execution of client.workflow.list({ query: runsQuery(config, options) })) {
    const view = viewOf(config, execution);
    if (options.date && !coversDate(view.claimDates, options.date)) continue;
    runs.push(view);
    if (runs.length >= limit) break;
  }
  const running = runs.filter((r) => r.state === "Running");
  await Promise.all(running.map(async (r) => {
    r.progress = await queryProgress(client, r, options.queryTimeoutMs ?? 3_000);
  }));
  return runs;
}
