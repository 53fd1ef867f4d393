/**
 * The worker's own metrics on prom-client: what the calculation core reports (it implements the
 * core's observer, so the core knows nothing of Prometheus), the batch activity's durations,
 * the state of the daily runs as Temporal's visibility tells it (runs-status.ts sets those),
 * and readiness (health/readiness.ts). Names follow Prometheus conventions: base units as
 * suffixes, `_total` for counters, labels of bounded cardinality (status, action, currency,
 * failure type: never a policy id or a date).
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { CalcObserver, PolicyDayItem } from "../calc/policy-days.ts";
import type { RefusalReason } from "../store/policy-day-types.ts";

export const MetricNames = {
  POLICY_DAYS: "claims_policy_days_total",
  LOCK_CONTENTION: "claims_lock_contention_total",
  CLAIMS_WRITTEN: "claims_claims_written_total",
  PROBLEMS: "claims_policy_day_problems_total",
  WRITE_REFUSALS: "claims_write_refusals_total",
  PAYOUTS: "claims_payouts_minor_units_total",
  BATCH_DURATION: "claims_batch_duration_seconds",
  CHUNK_DURATION: "claims_chunk_duration_seconds",
  LOCK_ACQUISITION: "claims_lock_acquisition_duration_seconds",
  WRITE_TRANSACTION: "claims_write_transaction_duration_seconds",
  LAST_COMPLETED_CLAIM_DATE: "claims_daily_run_last_completed_claim_date_timestamp_seconds",
  LAST_COMPLETED_AT: "claims_daily_run_last_completed_timestamp_seconds",
  RUNS_FAILED: "claims_runs_failed",
  RUNS_STATUS_REFRESHED: "claims_runs_status_refreshed_timestamp_seconds",
  RUNS_STATUS_FAILURES: "claims_runs_status_refresh_failures_total",
  WORKER_READY: "claims_worker_ready",
  DEPENDENCY_UP: "claims_dependency_up",
} as const;

/** The activities' outcome of one batch attempt. */
export type BatchOutcome = "ok" | "failed";

/** What the batch activity reports besides the core's observations. */
export interface BatchObserver {
  batch?(seconds: number, outcome: BatchOutcome): void;
}

export interface ClaimsMetrics extends CalcObserver, BatchObserver {
  registry: Registry;
  /** Set by the runs-status poller (Temporal visibility); see runs-status.ts. */
  runs: {
    lastCompletedClaimDate: Gauge;
    lastCompletedAt: Gauge;
    failed: Gauge<"kind">;
    refreshedAt: Gauge;
    refreshFailures: Counter;
  };
  /** Set by the readiness monitor. */
  readiness: { ready: Gauge; dependencyUp: Gauge<"dependency"> };
}

// Explicit buckets, from what the benchmarks measure (bench/results/daily-run.json): a chunk of
// 1,000 policy-days takes ~40 ms, its write ~20 ms, its locks ~2 ms; a batch of 2,000 ~100 ms.
const BATCH_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const CHUNK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LOCK_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const WRITE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createClaimsMetrics(registry: Registry): ClaimsMetrics {
  const registers = [registry];
  const policyDays = new Counter({
    name: MetricNames.POLICY_DAYS,
    help: "Policy-days handled, by final status of the call (computed, unchanged, stale, " +
      "skipped, contended, failed)",
    labelNames: ["status"],
    registers,
  });
  const contention = new Counter({
    name: MetricNames.LOCK_CONTENTION,
    help: "Policy-day lock acquisitions refused because another calculation held the lock",
    registers,
  });
  const written = new Counter({
    name: MetricNames.CLAIMS_WRITTEN,
    help: "Claim rows written, by action (insert, update, delete), re-allocations included",
    labelNames: ["action"],
    registers,
  });
  const problems = new Counter({
    name: MetricNames.PROBLEMS,
    help: "Policy-days that ended a call contended or failed, by status and failure type " +
      "(LockContended, LeaseLost, PolicyNotFound, ComputeFailed, StaleToken …)",
    labelNames: ["status", "type"],
    registers,
  });
  const refusals = new Counter({
    name: MetricNames.WRITE_REFUSALS,
    help: "Writes the database refused and that were computed again, by reason (stale_token, " +
      "inputs_changed, policy_changed); each is a row of table write_refusals",
    labelNames: ["reason"],
    registers,
  });
  const payouts = new Counter({
    name: MetricNames.PAYOUTS,
    help: "Payouts of the policy-days written with new or changed claims (status computed), " +
      "in minor units of each currency; a day computed again counts again. For monitoring: " +
      "`claims report` has the exact amounts",
    labelNames: ["currency"],
    registers,
  });
  const batchDuration = new Histogram({
    name: MetricNames.BATCH_DURATION,
    help: "One attempt of a batch activity (calculatePolicyBatch), by outcome (ok, failed)",
    labelNames: ["outcome"],
    buckets: BATCH_BUCKETS,
    registers,
  });
  const chunkDuration = new Histogram({
    name: MetricNames.CHUNK_DURATION,
    help: "One chunk of policy-days (CLAIMS_CHUNK_SIZE), from its lock acquisition to its release",
    buckets: CHUNK_BUCKETS,
    registers,
  });
  const lockAcquisition = new Histogram({
    name: MetricNames.LOCK_ACQUISITION,
    help: "One chunk's lock acquisition: every key of the chunk, one pipelined call",
    buckets: LOCK_BUCKETS,
    registers,
  });
  const writeTransaction = new Histogram({
    name: MetricNames.WRITE_TRANSACTION,
    help: "One chunk's fenced write transaction (claims, ledger, audit)",
    buckets: WRITE_BUCKETS,
    registers,
  });
  const runs = {
    lastCompletedClaimDate: new Gauge({
      name: MetricNames.LAST_COMPLETED_CLAIM_DATE,
      help: "The latest claim date whose daily run completed (00:00 UTC of that date, Unix " +
        "seconds; 0 when none is known), from Temporal visibility",
      registers,
    }),
    lastCompletedAt: new Gauge({
      name: MetricNames.LAST_COMPLETED_AT,
      help: "When the daily run of that claim date completed (Unix seconds; 0 when none)",
      registers,
    }),
    failed: new Gauge({
      name: MetricNames.RUNS_FAILED,
      help: "Runs (by kind: daily, backfill, rerun, recalculate) whose latest execution failed, " +
        "timed out or was terminated, among those closed in the last 24 hours",
      labelNames: ["kind"] as const,
      registers,
    }),
    refreshedAt: new Gauge({
      name: MetricNames.RUNS_STATUS_REFRESHED,
      help: "When the run gauges were last read from Temporal visibility (Unix seconds)",
      registers,
    }),
    refreshFailures: new Counter({
      name: MetricNames.RUNS_STATUS_FAILURES,
      help: "Failed reads of Temporal visibility for the run gauges",
      registers,
    }),
  };
  const readiness = {
    ready: new Gauge({
      name: MetricNames.WORKER_READY,
      help: "1 when the worker polls and PostgreSQL, the lock backend and Temporal answer " +
        "(what /readyz says), else 0",
      registers,
    }),
    dependencyUp: new Gauge({
      name: MetricNames.DEPENDENCY_UP,
      help: "1 when the dependency (postgres, redis, temporal) answered its last check, else 0",
      labelNames: ["dependency"] as const,
      registers,
    }),
  };
  for (const status of ["computed", "unchanged", "stale", "skipped", "contended", "failed"]) {
    policyDays.inc({ status }, 0); // every status shows from the first scrape: rate() works
  }
  for (const action of ["insert", "update", "delete"]) written.inc({ action }, 0);
  for (const reason of ["stale_token", "inputs_changed", "policy_changed"]) {
    refusals.inc({ reason }, 0);
  }
  for (const outcome of ["ok", "failed"]) batchDuration.zero({ outcome });

  return {
    registry,
    runs,
    readiness,
    policyDays(items: readonly PolicyDayItem[]) {
      const byStatus = new Map<string, number>();
      const byProblem = new Map<string, { status: string; type: string; n: number }>();
      const byCurrency = new Map<string, bigint>();
      let inserted = 0;
      let updated = 0;
      let deleted = 0;
      for (const item of items) {
        byStatus.set(item.status, (byStatus.get(item.status) ?? 0) + 1);
        inserted += item.changes.inserted;
        updated += item.changes.updated;
        deleted += item.changes.deleted;
        if (item.status === "computed" && item.currency !== null) {
          byCurrency.set(item.currency, (byCurrency.get(item.currency) ?? 0n) + item.payoutAmount);
        }
        if (item.status === "contended" || item.status === "failed") {
          const type = item.problem?.type ?? item.status;
          const key = `${item.status}\u0000${type}`;
          const entry = byProblem.get(key) ?? { status: item.status, type, n: 0 };
          entry.n++;
          byProblem.set(key, entry);
        }
      }
      for (const [status, n] of byStatus) policyDays.inc({ status }, n);
      if (inserted) written.inc({ action: "insert" }, inserted);
      if (updated) written.inc({ action: "update" }, updated);
      if (deleted) written.inc({ action: "delete" }, deleted);
      for (const { status, type, n } of byProblem.values()) problems.inc({ status, type }, n);
      // One Number per currency and chunk: exact sums stay BigInt until here.
      for (const [currency, amount] of byCurrency) {
        if (amount > 0n) payouts.inc({ currency }, Number(amount));
      }
    },
    lockContention(count: number) {
      if (count > 0) contention.inc(count);
    },
    writeRefused(reason: RefusalReason) {
      refusals.inc({ reason });
    },
    lockAcquisition: (seconds) => lockAcquisition.observe(seconds),
    writeTransaction: (seconds) => writeTransaction.observe(seconds),
    chunk: (seconds) => chunkDuration.observe(seconds),
    batch: (seconds, outcome) => batchDuration.observe({ outcome }, seconds),
  };
}
