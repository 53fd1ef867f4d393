/**
 * What the run saw the system do about the faults: activity attempts beyond the first (from
 * the fan-out workflows' Temporal histories and from every worker's log lines), batches that
 * resumed from a checkpoint, workflows by type and final status, and the workers' counters
 * (`stale` = writes the fence refused, contention, claim rows written).
 */
import fs from "node:fs";
import type { Client } from "@temporalio/client";
import { MetricNames } from "../../src/metrics/claims-metrics.ts";
import { temporalCall } from "./driver.ts";
import { counter, sumCounters } from "./metrics.ts";
import type { Incarnation } from "./workers.ts";

const STATUSES = ["Completed", "ContinuedAsNew", "Failed", "Terminated", "Canceled", "TimedOut"];

export type WorkflowCounts = Record<string, Record<string, number>>;

/** Closed workflows by type and status (visibility), e.g. policyDayWorkflow: { Completed: 812 }. */
export async function workflowCounts(client: Client, types: readonly string[]) {
  const out: WorkflowCounts = {};
  for (const type of types) {
    out[type] = {};
    for (const status of STATUSES) {
      const { count } = await temporalCall(
        `count ${type} ${status}`,
        () => client.workflow.count(`WorkflowType = '${type}' AND ExecutionStatus = '${status}'`),
      );
      if (count > 0) out[type]![status] = count;
    }
  }
  return out;
}

export interface HistoryRetries {
  workflows: number;
  activities: number;
  /** Activities whose final attempt was > 1. */
  retriedActivities: number;
  /** Sum over activities of (final attempt - 1). */
  extraAttempts: number;
  maxAttempt: number;
  /** Why the attempt before the last one failed, by failure type or timeout kind. */
  lastFailures: Record<string, number>;
}

/** temporal.api.enums.v1.TimeoutType, by number. */
const TIMEOUT_TYPES = [
  "unspecified",
  "start_to_close",
  "schedule_to_start",
  "schedule_to_close",
  "heartbeat",
];

function failureKind(failure: Record<string, unknown> | null | undefined): string {
  if (!failure) return "unknown";
  const app = failure["applicationFailureInfo"] as { type?: string } | undefined;
  if (app?.type) return app.type;
  const timeout = failure["timeoutFailureInfo"] as { timeoutType?: unknown } | undefined;
  if (timeout) {
    return `timeout:${TIMEOUT_TYPES[Number(timeout.timeoutType)] ?? timeout.timeoutType}`;
  }
  if (failure["canceledFailureInfo"]) return "canceled";
  return String(failure["message"] ?? "unknown").slice(0, 60);
}

/** Retries recorded in the histories of the given workflows (their latest runs). */
export async function historyRetries(
  client: Client,
  workflowIds: readonly string[],
): Promise<HistoryRetries> {
  const out: HistoryRetries = {
    workflows: 0,
    activities: 0,
    retriedActivities: 0,
    extraAttempts: 0,
    maxAttempt: 0,
    lastFailures: {},
  };
  for (const id of workflowIds) {
    const history = await temporalCall(
      `history of ${id}`,
      () => client.workflow.getHandle(id).fetchHistory(),
    );
    out.workflows++;
    for (const event of history.events ?? []) {
      const started = event.activityTaskStartedEventAttributes;
      if (!started) continue;
      out.activities++;
      const attempt = started.attempt ?? 1;
      out.maxAttempt = Math.max(out.maxAttempt, attempt);
      if (attempt > 1) {
        out.retriedActivities++;
        out.extraAttempts += attempt - 1;
        const kind = failureKind(started.lastFailure as Record<string, unknown> | undefined);
        out.lastFailures[kind] = (out.lastFailures[kind] ?? 0) + 1;
      }
    }
  }
  return out;
}

export interface LogRetries {
  /** Distinct activities (workflow id + activity id) seen running an attempt > 1. */
  retriedActivities: number;
  /** "batch attempt failed" lines: attempts that ended in an error the worker saw. */
  failedAttempts: number;
  /** Batches that resumed after the last checkpoint of an earlier attempt. */
  resumedBatches: number;
  /** Policy-day activities (single-day workflows) that finished on an attempt > 1. */
  retriedPolicyDays: number;
  /** Worker log lines at level error. */
  errorLines: number;
}

/** Reads every incarnation's JSON log lines. */
export function logRetries(incarnations: readonly Incarnation[]): LogRetries {
  const retried = new Set<string>();
  const out: LogRetries = {
    retriedActivities: 0,
    failedAttempts: 0,
    resumedBatches: 0,
    retriedPolicyDays: 0,
    errorLines: 0,
  };
  for (const incarnation of incarnations) {
    let text = "";
    try {
      text = fs.readFileSync(incarnation.logFile, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n")) {
      if (!line.startsWith("{")) continue;
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue; // a line cut short by SIGKILL
      }
      const msg = record["msg"];
      const attempt = Number(record["attempt"] ?? 1);
      if (record["level"] === "error") out.errorLines++;
      if (msg === "batch attempt failed") out.failedAttempts++;
      if (msg === "batch resumes from its last checkpoint") out.resumedBatches++;
      if (msg === "policy-day calculated" && attempt > 1) out.retriedPolicyDays++;
      if (attempt > 1 && typeof record["workflowId"] === "string") {
        retried.add(`${record["workflowId"]}/${String(record["activityId"] ?? "")}`);
      }
    }
  }
  out.retriedActivities = retried.size;
  return out;
}

export interface WorkerCounters {
  policyDays: Record<string, number>;
  lockContention: number;
  claimsWritten: Record<string, number>;
}

/** The counters of every incarnation at its last scrape, summed. */
export function workerCounters(incarnations: readonly Incarnation[]): WorkerCounters {
  const total = sumCounters(incarnations.map((i) => i.counters));
  const byLabel = (name: string, label: string, values: readonly string[]) =>
    Object.fromEntries(values.map((v) => [v, counter(total, name, `${label}="${v}"`)]));
  return {
    policyDays: byLabel(MetricNames.POLICY_DAYS, "status", [
      "computed",
      "unchanged",
      "stale",
      "skipped",
      "contended",
      "failed",
    ]),
    lockContention: counter(total, MetricNames.LOCK_CONTENTION),
    claimsWritten: byLabel(MetricNames.CLAIMS_WRITTEN, "action", ["insert", "update", "delete"]),
  };
}
