/**
 * The run gauges of every worker, read from Temporal's visibility every
 * METRICS_RUNS_INTERVAL_MS: the latest claim date whose daily run completed and when, and how
 * many runs of each kind ended failed in the last day (their latest execution).
 *
 * Why visibility and not an activity at the end of a completed run: workflows cannot touch
 * prom-client, and a value recorded by the worker that happened to finish the run lives in that
 * process only. A rolling deploy or a crash would reset it to nothing, firing the missed-run
 * alert for a run that did complete; with many workers, only one would know. Visibility is what
 * Temporal itself knows: every worker reports the same value (alerts take `max`), from the first
 * scrape after a restart, for runs any worker (or version) completed, and no workflow code
 * changes (so nothing to replay). The cost: two List calls a minute per worker, and values that
 * lag visibility by seconds.
 */
import { Client } from "@temporalio/client";
import type { NativeConnection } from "@temporalio/worker";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { ClaimsMetrics } from "../metrics/claims-metrics.ts";
import { claimDateSeconds, daysBefore, runKindOf } from "./run-kind.ts";
import { CLAIM_DATE, RUN_KIND, RUN_KINDS } from "./search-attributes.ts";
import { WorkflowTypes } from "./shared.ts";

/**
 * How far back completed daily runs are looked for, by claim date, then by close time (older:
 * the gauge reads 0, and the missed-run alert fires).
 */
export const LOOKBACK_DAYS = 62;
const FAILED_WINDOW_MS = 86_400_000;
/** Failed runs checked per refresh at most (each needs a describe). */
const MAX_FAILED_CHECKED = 200;

export interface RunsStatus {
  lastCompleted: { claimDate: string; completedAt: Date } | null;
  failedByKind: Record<string, number>;
}

function quote(value: string): string {
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

export async function readRunsStatus(
  client: Client,
  config: Config,
  now: Date = new Date(),
): Promise<RunsStatus> {
  const queue = quote(config.temporal.taskQueue);
  const since = daysBefore(now.toISOString().slice(0, 10), LOOKBACK_DAYS);
  let lastCompleted: RunsStatus["lastCompleted"] = null;
  const consider = (claimDate: string | undefined, closeTime: Date | undefined) => {
    if (!claimDate || !closeTime) return;
    if (
      !lastCompleted || claimDate > lastCompleted.claimDate ||
      (claimDate === lastCompleted.claimDate && closeTime > lastCompleted.completedAt)
    ) {
      lastCompleted = { claimDate, completedAt: closeTime };
    }
  };
  const completed = `WorkflowType = '${WorkflowTypes.dailyRun}' AND TaskQueue = ${queue} AND ` +
    "ExecutionStatus = 'Completed'";
  // Recent claim dates first: a bounded list however long the history is.
  for await (
    const run of client.workflow.list({ query: `${completed} AND ClaimDate >= '${since}'` })
  ) {
    consider(run.typedSearchAttributes.get(CLAIM_DATE), run.closeTime);
  }
  if (!lastCompleted) {
    // None that recent: the latest claim date among runs that completed lately (a backfill of
    // old dates, a schedule paused for months), so the gauge shows how far behind it is.
    const closedSince = new Date(now.getTime() - LOOKBACK_DAYS * 86_400_000).toISOString();
    for await (
      const run of client.workflow.list({ query: `${completed} AND CloseTime >= '${closedSince}'` })
    ) {
      consider(run.typedSearchAttributes.get(CLAIM_DATE), run.closeTime);
    }
  }

  const failedByKind: Record<string, number> = Object.fromEntries(RUN_KINDS.map((k) => [k, 0]));
  const closedSince = new Date(now.getTime() - FAILED_WINDOW_MS).toISOString();
  const failed = `TaskQueue = ${queue} AND ` +
    `ExecutionStatus IN ('Failed', 'TimedOut', 'Terminated') AND CloseTime >= '${closedSince}'`;
  const latestFailed = new Map<string, { runId: string; kind: string }>();
  for await (const run of client.workflow.list({ query: failed })) {
    if (latestFailed.has(run.workflowId)) continue; // newest first: the first seen is the latest
    latestFailed.set(run.workflowId, {
      runId: run.runId,
      kind: runKindOf({
        type: run.type,
        workflowId: run.workflowId,
        kind: run.typedSearchAttributes.get(RUN_KIND),
      }),
    });
    if (latestFailed.size >= MAX_FAILED_CHECKED) break;
  }
  // A failed execution retried since (the schedule's retry policy, a rerun started again) is
  // no failure any more: only those that are still their workflow's latest execution count.
  await Promise.all([...latestFailed].map(async ([workflowId, { runId, kind }]) => {
    try {
      const latest = await client.workflow.getHandle(workflowId).describe();
      if (latest.runId !== runId) return;
    } catch {
      // Deleted meanwhile (retention): count it, it did fail.
    }
    failedByKind[kind] = (failedByKind[kind] ?? 0) + 1;
  }));
  return { lastCompleted, failedByKind };
}

export function publishRunsStatus(metrics: ClaimsMetrics, status: RunsStatus, now: Date): void {
  const { runs } = metrics;
  runs.lastCompletedClaimDate.set(
    status.lastCompleted ? claimDateSeconds(status.lastCompleted.claimDate) : 0,
  );
  runs.lastCompletedAt.set(
    status.lastCompleted ? status.lastCompleted.completedAt.getTime() / 1000 : 0,
  );
  for (const [kind, n] of Object.entries(status.failedByKind)) runs.failed.set({ kind }, n);
  runs.refreshedAt.set(now.getTime() / 1000);
}

export interface RunsStatusPoller {
  /** Resolves after the next refresh (tests). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

export function startRunsStatusPoller(options: {
  connection: NativeConnection;
  config: Config;
  metrics: ClaimsMetrics;
  log: Logger;
}): RunsStatusPoller {
  const { config, metrics, log } = options;
  const client = new Client({
    connection: options.connection,
    namespace: config.temporal.namespace,
  });
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;
  let failing = false;
  const refresh = (): Promise<void> => {
    running ??= (async () => {
      const now = new Date();
      try {
        publishRunsStatus(metrics, await readRunsStatus(client, config, now), now);
        if (failing) log.info("run gauges read from Temporal visibility again");
        failing = false;
      } catch (error) {
        metrics.runs.refreshFailures.inc();
        // One line when it starts failing, not one a minute: readiness reports Temporal itself.
        if (!failing) log.warn("cannot read the run gauges from Temporal visibility", { error });
        failing = true;
      }
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
  const loop = () => {
    if (stopped) return;
    timer = setTimeout(() => void refresh().finally(loop), config.metricsRunsIntervalMs);
    (timer as { unref?: () => void }).unref?.();
  };
  void refresh().finally(loop);
  return {
    refresh,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
