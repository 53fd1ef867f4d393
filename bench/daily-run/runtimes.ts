/**
 * The main measurement on a worker of another runtime, beside Node's in the same run (issue
 * 14: `make bench-daily-run RUNTIME=deno`). The same `claims worker` runs on Node and on
 * Deno; whoever chooses between them needs both numbers from one machine, one stack and one
 * book, not from two runs on different days under different loads.
 *
 * After Node's main measurement (unchanged), a worker on the other runtime starts on the same
 * stack (same databases, Temporal dev server, Redis database, environment and prebuilt
 * workflow bundle), warms up on a warm-up date of its own, then goes through exactly Node's
 * main measurement (measureMain: raw floor, core floor, run, run, core floor, raw floor over
 * two dates) on two fresh dates of the same book. So every policy-day it is timed on is
 * computed from scratch, every date must be complete in the ledger, and its stored claims,
 * ledger and audit rows must equal both floors' row for row, or the benchmark fails. Its own
 * floor runs also give ratios to the floors that a drift of the shared machine's load between
 * the two blocks does not distort. Then it stops (drained,
 * exit 0, or the benchmark fails) and naive and scaling continue on the Node worker.
 *
 * It gets a task queue of its own rather than replacing the Node worker: the Node worker keeps
 * its warm state, so naive and scaling stay exactly as in a Node-only run; idle, it costs
 * nothing measurable (its pollers wait in long polls); and no task of the measured runtime's
 * runs can land on it.
 */
import path from "node:path";
import { loadConfig } from "../../src/config.ts";
import { parseRuntime, type Runtime, RUNTIMES, scriptCommand } from "../../scripts/lib/runtimes.ts";
import { spawnWorker, type WorkerProcess } from "../../tests/support/workers.ts";
import { type BenchGroups, MAIN_RUNS, workerDates } from "./data.ts";
import { type MainMeasurement, measureMain } from "./phases.ts";
import { guardAgainstExit, type Stack } from "./stack.ts";
import { aggregate, cpuPer1000, round2 } from "./summary.ts";
import { runDailyRun } from "./temporal-runs.ts";

/**
 * `--runtime`: `node` (the default), `deno` or `node,deno`, in RUNTIMES order with Node first.
 * Node is measured whatever is asked: the headline numbers, naive and scaling run on it, and
 * the other runtime's numbers mean something only beside Node's from the same run.
 */
export function parseRuntimes(value: string): Runtime[] {
  const asked = value.split(",").map((v) => parseRuntime(v.trim(), "--runtime"));
  return RUNTIMES.filter((r) => r === "node" || asked.includes(r));
}

/** How the worker is started, as a line for the result (the bundle's temporary path elided). */
export function workerCommand(runtime: Runtime): string {
  const { command, args } = scriptCommand(runtime, "src/cli/main.ts", [
    "worker",
    "--no-migrate",
    "--workflow-bundle",
    "FILE",
  ]);
  return [path.basename(command), ...args].join(" ");
}

/**
 * The runtime and version the worker itself logged when ready ("node v20.20.2", "deno
 * 2.9.5"): proof that the measured process runs where it should, not just what was asked.
 */
export function reportedRuntime(worker: WorkerProcess): string {
  const ready = worker.logs().find((l) => l["msg"] === "worker running");
  const reported = String(ready?.["runtime"] ?? "");
  if (!reported.startsWith(`${worker.runtime} `)) {
    throw new Error(
      `${worker.name} was started on ${worker.runtime} but reports ${JSON.stringify(reported)}`,
    );
  }
  return reported;
}

export interface RuntimeMeasurement {
  runtime: Runtime;
  /** What the worker reported: runtime and version. */
  reported: string;
  taskQueue: string;
  warmupDate: string;
  main: MainMeasurement;
}

/**
 * Worker number `index` (its dates in `groups`, see workerDates) on `runtime`: started, warmed
 * up, measured like Node's main runs, stopped. Throws when a date is incomplete, its claims
 * differ from the floors', or the worker does not drain and exit 0.
 */
export async function measureOnRuntime(
  stack: Stack,
  runtime: Runtime,
  index: number,
  groups: BenchGroups,
  settle: () => Promise<void>,
  step: (message: string) => void,
): Promise<RuntimeMeasurement> {
  const suffix = `-${runtime}`;
  const env: Record<string, string> = {
    ...stack.env,
    TEMPORAL_TASK_QUEUE: stack.env["TEMPORAL_TASK_QUEUE"] + suffix,
    SCHEDULE_ID: stack.env["SCHEDULE_ID"] + suffix, // its runs' workflow ids say whose they are
  };
  step(`${runtime} worker process: ${workerCommand(runtime)}`);
  const worker = await spawnWorker({
    name: `bench-worker${suffix}`,
    env,
    workflowBundle: stack.workflowBundle,
    runtime,
  });
  let stopped = false;
  try {
    const reported = reportedRuntime(worker);
    // The stack as this worker sees it: measureMain times and checks through it unchanged.
    const view: Stack = {
      ...stack,
      worker,
      config: loadConfig(env),
      env,
      guard: guardAgainstExit(worker),
    };
    const warmupDate = workerDates(groups.warmup, index, 1).dates[0]!;
    step(`  ${reported}, task queue ${view.config.temporal.taskQueue}: warm-up on ${warmupDate}`);
    await view.guard(runDailyRun(view.client, view.config, warmupDate));
    const main = await measureMain(
      view,
      workerDates(groups.main, index, MAIN_RUNS),
      settle,
      (message) => step(`${message} [${runtime}]`),
    );
    stopped = true;
    const exit = await worker.stop();
    if (exit.code !== 0) {
      throw new Error(
        `the ${runtime} worker exited with ${exit.code ?? exit.signal}:\n${worker.output()}`,
      );
    }
    return { runtime, reported, taskQueue: view.config.temporal.taskQueue, warmupDate, main };
  } finally {
    if (!stopped) await worker.stop().catch(() => undefined); // the first error matters
  }
}

/** One runtime's main runs: throughput, CPU and memory, and the same against its own floors. */
function runtimeFigures(main: MainMeasurement, policies: number) {
  const run = aggregate(main.runs, policies);
  const core = aggregate(main.coreFloorRuns, policies);
  const raw = aggregate(main.rawFloorRuns, policies);
  const toCore = run.policyDaysPerSecond / core.policyDaysPerSecond;
  const toRaw = run.policyDaysPerSecond / raw.policyDaysPerSecond;
  return {
    run,
    core,
    raw,
    toCore,
    toRaw,
    summary: {
      dates: main.runs.map((r) => r.date),
      policyDaysPerSecond: run.policyDaysPerSecond,
      cpuMsPer1000PolicyDays: run.cpuMsPer1000PolicyDays,
      workerPeakRssMb: main.memory.vmHwmAfterMb,
      coreFloorPolicyDaysPerSecond: core.policyDaysPerSecond,
      ratioToCoreFloor: round2(toCore),
      cpuRatioToCoreFloor: round2(cpuPer1000(core) / cpuPer1000(run)),
      rawFloorPolicyDaysPerSecond: raw.policyDaysPerSecond,
      ratioToRawFloor: round2(toRaw),
      cpuRatioToRawFloor: round2(cpuPer1000(raw) / cpuPer1000(run)),
    },
  };
}

/**
 * The result's `runtimes` section: Node's main runs (their details are under `dailyRun`) and,
 * for every other runtime measured, the same figures with its runs, and how it compares to
 * Node: `<runtime>ToNodeThroughput` (policy-days/s over Node's), `<runtime>ToNodeCpu
 * PerPolicyDay` (CPU per policy-day over Node's: below 1 is cheaper) and `<runtime>ToNode
 * RatioToCoreFloor` / `…RatioToRawFloor` (each one's throughput over its own floor runs,
 * compared: what is left of the difference once a drift of the machine's load between the two
 * blocks is taken out; the raw floor shares nothing with the worker but the calculator, so no
 * change to the product moves it).
 */
export function runtimesSection(
  policies: number,
  node: { worker: WorkerProcess; main: MainMeasurement },
  others: readonly RuntimeMeasurement[],
) {
  const nodeFigures = runtimeFigures(node.main, policies);
  const section: Record<string, unknown> = {
    measured: ["node", ...others.map((o) => o.runtime)],
    note: `each runtime's worker process ran the main book's daily run on ${MAIN_RUNS} dates ` +
      "of its own, ABBA-ordered with the raw and core floors on the same dates, after a " +
      "warm-up date of its own, on the same stack (databases, Temporal dev server, Redis, " +
      "settings, workflow bundle); a runtime other than Node ran after Node's main runs, on a " +
      "task queue of its own, with the Node worker idle; its claims, ledger and audit rows " +
      "equal both floors' row for row. " +
      "cpuMsPer1000PolicyDays: worker process, Temporal server, PostgreSQL backends; " +
      "workerPeakRssMb: VmHWM after the main runs (start-up and warm-up included); " +
      "<runtime>ToNodeRatioToCoreFloor and …ToRawFloor compare each runtime's ratio to its " +
      "own floor runs, which takes out a drift of the machine's load between the two blocks",
    node: {
      runtime: reportedRuntime(node.worker),
      command: workerCommand("node"),
      ...nodeFigures.summary,
      runs: "see dailyRun.runs",
    },
  };
  for (const other of others) {
    const { run, core, raw, toCore, toRaw, summary } = runtimeFigures(other.main, policies);
    const name = other.runtime;
    section[name] = {
      runtime: other.reported,
      command: workerCommand(name),
      taskQueue: other.taskQueue,
      warmupDate: other.warmupDate,
      ...summary,
      runs: run.runs,
      coreFloorRuns: core.runs,
      rawFloorRuns: raw.runs,
      totals: run.totals,
      policyDaysWithEvents: other.main.states.map((s) => s.withEvents),
      claimRows: other.main.states.map((s) => s.claims),
      sameClaimsAsFloors: true,
      memory: other.main.memory,
    };
    section[`${name}ToNodeThroughput`] = round2(
      run.policyDaysPerSecond / nodeFigures.run.policyDaysPerSecond,
    );
    section[`${name}ToNodeCpuPerPolicyDay`] = round2(cpuPer1000(run) / cpuPer1000(nodeFigures.run));
    section[`${name}ToNodeRatioToCoreFloor`] = round2(toCore / nodeFigures.toCore);
    section[`${name}ToNodeRatioToRawFloor`] = round2(toRaw / nodeFigures.toRaw);
  }
  return section;
}
