/**
 * The chaos report: one small JSON document (bench/results/chaos-<profile>-<timestamp>.json)
 * with the faults and their times, the retries and refused writes observed, the time it took
 * to converge, every check's outcome and the findings; and a short text form for the terminal.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import type { CheckResult } from "./checks/index.ts";
import type { LateImport, WorkflowOutcome } from "./driver.ts";
import type { FenceProbe } from "./fence-probe.ts";
import type { InjectedFault } from "./faults.ts";
import type { HistoryRetries, LogRetries, WorkerCounters, WorkflowCounts } from "./observations.ts";
import type { ChaosProfile } from "./profiles.ts";
import type { Runtime } from "../lib/runtimes.ts";
import type { Incarnation } from "./workers.ts";

export interface Finding {
  severity: "error" | "warning";
  message: string;
}

export interface ChaosReport {
  profile: ChaosProfile["name"];
  seed: string;
  verdict: "pass" | "fail";
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  machine: { cpus: number; node: string; loadAverage: number[] };
  settings:
    & { workerRuntimes: Runtime[] }
    & Pick<
      ChaosProfile,
      | "workers"
      | "lockTtlMs"
      | "heartbeatTimeoutMs"
      | "batchSize"
      | "batchConcurrency"
      | "chunkSize"
      | "sigstopMs"
      | "restartDowntimeMs"
    >;
  workload: {
    policies: number;
    dates: string[];
    policyDays: number;
    regions: string[];
    timeZones: number;
    events: { onTime: number; late: number };
    lateImports: LateImport[];
    workflows: WorkflowOutcome[];
    /** Reruns started only to keep work running until the last fault (see Driver.keepBusy). */
    fillerReruns: number;
    workflowCounts: WorkflowCounts;
  };
  faults: InjectedFault[];
  faultCounts: Record<string, number>;
  retries: { temporalHistory: HistoryRetries; workerLogs: LogRetries };
  staleWrites: {
    /** Writes the fence refused, over all workers (claims_policy_days_total{status="stale"}). */
    refusedByFence: number;
    /** The frozen worker after SIGCONT: what its counters moved by. */
    frozenWorker: { pid: number; staleAfterThaw: number; contendedAfterThaw: number } | null;
    fenceProbe: FenceProbe | null;
  };
  workerCounters: WorkerCounters;
  workerProcesses: {
    incarnations: number;
    unexpectedExits: {
      slot: string;
      runtime: Runtime;
      pid: number;
      exit: unknown;
      endedAt: string | null;
      /** The last lines the process wrote that are not JSON log lines (a crash's stack). */
      lastWords: string[];
    }[];
    /** Starts that failed before the worker was ready (exit 3 while Temporal was down). */
    failedStarts: number;
    notDrained: { slot: string; pid: number; exit: unknown }[];
  };
  timing: {
    setupMs: number;
    workloadStartedAt: string;
    lastFaultRecoveredAt: string | null;
    allClosedAt: string | null;
    /** From the end of the last fault to the moment every workflow had closed. */
    timeToConvergeMs: number | null;
    checksMs: number;
  };
  checks: CheckResult[];
  findings: Finding[];
  error: string | null;
  /** Where the logs of this run are (not committed); null once removed after a pass. */
  runDir: string | null;
  /** The run's database (dropped after a passing run unless --keep). */
  database: string | null;
}

export function machine(): ChaosReport["machine"] {
  return {
    cpus: os.cpus().length,
    node: process.version,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function unexpectedExits(incarnations: readonly Incarnation[]) {
  return incarnations.filter((i) => i.cause === "unexpected").map((i) => ({
    slot: i.slot,
    runtime: i.runtime,
    pid: i.pid,
    exit: i.exit,
    endedAt: i.endedAt,
    lastWords: lastWords(i.logFile),
  }));
}

function lastWords(file: string): string[] {
  try {
    const lines = fs.readFileSync(file, "utf8").split("\n");
    return lines.filter((l) => l.trim() !== "" && !l.startsWith("{")).slice(-6);
  } catch {
    return [];
  }
}

/** Findings from what the workflows reported and how the workers behaved. */
export function findingsOf(report: ChaosReport): Finding[] {
  const out: Finding[] = [];
  for (const w of report.workload.workflows) {
    if (w.status !== "COMPLETED") {
      out.push({
        severity: "error",
        message: `${w.label} (${w.workflowId}) ${w.status}: ${w.error}`,
      });
    } else if (w.totals && (w.totals.failed > 0 || w.totals.contended > 0)) {
      out.push({
        severity: "error",
        message: `${w.label}: ${w.totals.failed} policy-days failed and ${w.totals.contended} ` +
          `left contended after every retry`,
      });
    }
  }
  for (const [type, statuses] of Object.entries(report.workload.workflowCounts)) {
    for (const [status, n] of Object.entries(statuses)) {
      if (status !== "Completed" && status !== "ContinuedAsNew") {
        out.push({ severity: "error", message: `${n} ${type} workflow(s) ended ${status}` });
      }
    }
  }
  const waited = report.retries.temporalHistory.lastFailures["timeout:start_to_close"] ?? 0;
  if (waited > 0) {
    out.push({
      severity: "warning",
      message: `${waited} activit${waited === 1 ? "y was" : "ies were"} retried only after ` +
        "a start-to-close timeout (no heartbeat noticed the dead worker sooner)",
    });
  }
  for (const e of report.workerProcesses.unexpectedExits) {
    out.push({
      severity: "warning",
      message: `${e.slot} pid ${e.pid} exited without being asked (${JSON.stringify(e.exit)}) ` +
        `at ${e.endedAt}; restarted. ${e.lastWords.filter((l) => /Error|error/.test(l)).join(" ")}`,
    });
  }
  for (const w of report.workerProcesses.notDrained) {
    out.push({
      severity: "error",
      message: `${w.slot} pid ${w.pid} did not drain and exit 0 on SIGTERM: ${
        JSON.stringify(w.exit)
      }`,
    });
  }
  for (const p of report.staleWrites.fenceProbe?.problems ?? []) {
    out.push({ severity: "error", message: `fence probe: ${p}` });
  }
  return out;
}

export function verdictOf(report: ChaosReport): "pass" | "fail" {
  const checksOk = report.checks.length > 0 && report.checks.every((c) => c.ok);
  const noErrors = report.findings.every((f) => f.severity !== "error");
  return report.error === null && checksOk && noErrors ? "pass" : "fail";
}

export function writeReport(report: ChaosReport, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, "-");
  const file = path.join(dir, `chaos-${report.profile}-${stamp}.json`);
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
  return file;
}

const seconds = (ms: number | null) => (ms === null ? "n/a" : `${(ms / 1000).toFixed(1)} s`);

export function summaryText(report: ChaosReport): string {
  const lines = [
    `chaos ${report.profile} (seed ${report.seed}): ${report.verdict.toUpperCase()} in ${
      seconds(report.durationMs)
    }`,
    `workload: ${report.workload.policies} policies, ${report.workload.policyDays} policy-days ` +
    `over ${report.workload.dates.length} dates, ${report.workload.events.onTime} events + ` +
    `${report.workload.events.late} late; ${report.workload.workflows.length} daily runs/reruns ` +
    `(${report.workload.fillerReruns} of them fillers)`,
    `faults (${report.faults.length}):`,
    ...report.faults.map((f) =>
      `  ${f.at} +${seconds(f.offsetMs)} ${f.kind} ${f.target} ${JSON.stringify(f.detail)}`
    ),
    `retries: history ${report.retries.temporalHistory.retriedActivities} activities retried ` +
    `(${report.retries.temporalHistory.extraAttempts} extra attempts, ${
      JSON.stringify(report.retries.temporalHistory.lastFailures)
    }); logs ${report.retries.workerLogs.retriedActivities} retried, ${report.retries.workerLogs.failedAttempts} failed attempts, ${report.retries.workerLogs.resumedBatches} resumed batches`,
    `stale writes refused by the fence: ${report.staleWrites.refusedByFence}; fence probe ${
      report.staleWrites.fenceProbe
        ? `${report.staleWrites.fenceProbe.refused}/${report.staleWrites.fenceProbe.probed} refused`
        : "n/a"
    }`,
    `time to converge after the last fault: ${seconds(report.timing.timeToConvergeMs)}`,
    "checks:",
    ...report.checks.map((c) =>
      `  ${c.ok ? "ok  " : "FAIL"} ${c.name} (${seconds(c.durationMs)})${
        c.ok ? "" : `: ${c.problems} problem(s)\n      ${c.listed.join("\n      ")}`
      }`
    ),
    ...(report.findings.length
      ? ["findings:", ...report.findings.map((f) => `  ${f.severity}: ${f.message}`)]
      : []),
    ...(report.error ? [`error: ${report.error}`] : []),
  ];
  return lines.join("\n");
}
