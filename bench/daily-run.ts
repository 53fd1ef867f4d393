/**
 * End-to-end daily-run benchmark (issue 8): a daily run of 100,000 policies (about 5% with
 * events that day) through the real stack — a Temporal dev server (in-memory SQLite, WAL
 * pragmas, its own free port), a worker PROCESS (`node --import tsx src/cli/main.ts worker`),
 * Redis locks, fenced writes into PostgreSQL — against:
 *
 *   floor    the same lock + calculation + write work for the same policy-days in a tight loop
 *            without Temporal (calculatePolicyDays with the worker's page, batch and chunk
 *            sizes and as many batches in flight as the worker runs), on an identical copy of
 *            the data; target: the daily run >= 0.5x the floor;
 *   naive    one policy-day workflow per policy (`claim-calc:<policyId>:<date>`) on a sample
 *            of 2,000 policies, extrapolated per policy-day; target: the daily run >= 50x;
 *   scaling  1% / 10% / 100% of the book for one day, and 10% of the book for 1 / 7 / 30 days;
 *            target: the cost grows linearly. Chart: bench/results/daily-run-scaling.svg.
 *
 * The main measurement runs twice, on two consecutive claim dates, in the order floor, run,
 * run, floor: the machine is shared, and a drift of its load then hits both sides alike. The
 * stored claims of the run and of the floor must agree row for row, and every measured date
 * must have every policy-day in the ledger, or the benchmark fails instead of reporting.
 * Databases (created + migrated with runMigrations) and the Redis database are dropped/flushed
 * at the end. Worker memory: VmRSS polled during the main runs and VmHWM, from /proc.
 *
 * Runtimes (issue 14): the worker above runs on Node. `--runtime deno` (or `node,deno`) also
 * measures a Deno worker process in the same run, on the same stack: after Node's main runs,
 * the same main measurement on two fresh dates of the same book, with its own warm-up date and
 * floor runs and the same checks (daily-run/runtimes.ts); naive and scaling stay on Node. The
 * result's `runtimes` section puts the two side by side.
 *
 *   node --import tsx bench/daily-run.ts [--policies N] [--naive N] [--seed S] [--out FILE]
 *     [--chart FILE] [--max-load L] [--runtime node|deno|node,deno]
 *
 * Worker settings come from the environment (see TUNING_VARS in daily-run/stack.ts) and are
 * recorded in the result. `make bench-daily-run POLICIES=N`. Not part of the tests.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { describeMachine } from "./lib/machine.ts";
import { kbToMb, readProcMemory } from "./lib/proc-stats.ts";
import { benchGroups, MAIN_RUNS, REGIONS, STORM_REGIONS, workerDates } from "./daily-run/data.ts";
import { floorSettingsOf } from "./daily-run/floor.ts";
import { measureMain, measureNaive, measureScaling } from "./daily-run/phases.ts";
import {
  measureOnRuntime,
  parseRuntimes,
  type RuntimeMeasurement,
  runtimesSection,
} from "./daily-run/runtimes.ts";
import { scalingChart, scalingVerdict } from "./daily-run/scaling.ts";
import { type Stack, startStack, TUNING_VARS } from "./daily-run/stack.ts";
import { aggregate, cpuPer1000, round2 } from "./daily-run/summary.ts";
import { runDailyRun } from "./daily-run/temporal-runs.ts";

const { values: flags } = parseArgs({
  options: {
    policies: { type: "string", default: process.env["POLICIES"] || "100000" },
    naive: { type: "string", default: "2000" },
    seed: { type: "string", default: "bench-daily-run-1" },
    out: { type: "string", default: path.join("bench", "results", "daily-run.json") },
    chart: { type: "string", default: path.join("bench", "results", "daily-run-scaling.svg") },
    "max-load": { type: "string" },
    runtime: { type: "string", default: "node" },
  },
});

function positiveNumber(name: string, value: string | undefined, integer = true): number {
  const n = Number(value);
  if (!(n > 0) || (integer && !Number.isSafeInteger(n))) {
    throw new Error(`--${name} must be a positive ${integer ? "integer" : "number"}, got ${value}`);
  }
  return n;
}

const POLICIES = positiveNumber("policies", flags.policies);
const NAIVE = positiveNumber("naive", flags.naive);
const SEED = flags.seed;
const MAX_LOAD = flags["max-load"] === undefined
  ? null
  : positiveNumber("max-load", flags["max-load"], false);
/** The worker runtimes measured, Node first (the only one when --runtime is node). */
const RUNTIMES_MEASURED = parseRuntimes(flags.runtime);
/** The book, with dates of their own for the main runs of every runtime measured. */
const GROUPS = benchGroups(POLICIES, NAIVE, RUNTIMES_MEASURED.length);
/** Start requests of the naive design in flight at once (what `events import` uses too). */
const NAIVE_START_CONCURRENCY = 16;
const TARGET_RATIO_TO_FLOOR = 0.5;
const TARGET_SPEEDUP_OVER_NAIVE = 50;

const load = () => os.loadavg().map(round2);
const t0 = performance.now();

function step(message: string): void {
  const s = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
  console.log(`[${s} s] ${message}`);
}

/** What --max-load may wait in all, so that a busy machine cannot stall the run for long. */
let waitBudgetMs = 600_000;
let waitedMs = 0;

/** Waits for the 1-minute load average to drop to `max` or below, within the budget. */
async function waitForLowLoad(max: number): Promise<void> {
  while (os.loadavg()[0]! > max && waitBudgetMs > 0) {
    step(`  load ${load().join(" ")} above ${max}: waiting (${waitBudgetMs / 1000} s left)`);
    await new Promise((r) => setTimeout(r, 10_000));
    waitBudgetMs -= 10_000;
    waitedMs += 10_000;
  }
}

/** Before each measured block: wait for a low load when --max-load asks for it. */
const settle = () => (MAX_LOAD === null ? Promise.resolve() : waitForLowLoad(MAX_LOAD));

async function measure(stack: Stack): Promise<{ result: object; chart: string }> {
  const groups = GROUPS;
  try {
    const { config } = stack;
    const floorSettings = floorSettingsOf(config);
    step(
      `settings: batch ${config.worker.batchSize}, ${config.worker.batchConcurrency} in ` +
        `flight, chunk ${config.worker.chunkSize}, page ${config.worker.pageSize}, activities ` +
        `${config.worker.maxConcurrentActivities}, pool ${config.databasePoolMax}`,
    );
    step("warm-up on both (JIT, prepared statements, caches)");
    const warmupDate = workerDates(groups.warmup, 0, 1).dates[0]!;
    await stack.guard(runDailyRun(stack.client, config, warmupDate));
    await stack.floor.run(warmupDate);

    step(`main: ${POLICIES} policy-days, floor and daily run, ABBA over two dates`);
    const loadBeforeMain = load();
    const main = await measureMain(
      stack,
      workerDates(groups.main, 0, MAIN_RUNS),
      settle,
      step,
    );
    const loadAfterMain = load();
    const floor = aggregate(main.floorRuns, POLICIES);
    const run = aggregate(main.runs, POLICIES);
    const ratioToFloor = round2(run.policyDaysPerSecond / floor.policyDaysPerSecond);
    // The same comparison in CPU (all processes measured, Redis aside): what a policy-day
    // costs the machine, which the other suites sharing it disturb far less than wall time.
    const cpuRatioToFloor = round2(cpuPer1000(floor) / cpuPer1000(run));
    step(
      `  daily run ${run.policyDaysPerSecond}/s, floor ${floor.policyDaysPerSecond}/s: ` +
        `${ratioToFloor}x; worker peak RSS ${main.memory.vmHwmAfterMb} MB`,
    );

    // Every other runtime: its own worker process on the same stack, measured like Node's.
    const others: RuntimeMeasurement[] = [];
    for (const [index, runtime] of RUNTIMES_MEASURED.entries()) {
      if (runtime === "node") continue;
      step(`${runtime}: the main measurement again, on a ${runtime} worker process`);
      const other = await measureOnRuntime(stack, runtime, index, groups, settle, step);
      const figures = aggregate(other.main.runs, POLICIES);
      step(
        `  ${runtime} daily run ${figures.policyDaysPerSecond}/s (node ` +
          `${run.policyDaysPerSecond}/s); worker peak RSS ${other.main.memory.vmHwmAfterMb} MB`,
      );
      others.push(other);
    }
    const loadAfterRuntimes = load();

    step(`naive: one policy-day workflow each for ${NAIVE} policies`);
    await settle();
    const naive = await measureNaive(stack, groups.naive, SEED, NAIVE_START_CONCURRENCY);
    const naiveRate = round2((NAIVE / naive.ms) * 1000);
    const speedup = round2(run.policyDaysPerSecond / naiveRate);
    step(`  ${naiveRate}/s (${Math.round(naive.ms)} ms): the daily run is ${speedup}x faster`);

    step("scaling: 1% and 10% of the book for one day; 10% for 7 and 30 days");
    const loadBeforeScaling = load();
    const points = await measureScaling(stack, groups, main.runs, settle, step);
    const verdict = scalingVerdict(points);
    step(
      `  fit ${verdict.fit.msPerThousandPolicyDays} ms per 1,000 policy-days + ` +
        `${verdict.fit.interceptMs} ms, R² ${verdict.fit.r2}; linear: ${verdict.linear}`,
    );
    const final = readProcMemory(stack.worker.pid);
    const machine = describeMachine();
    const mainRunsMs = main.runs.reduce((s, r) => s + r.ms, 0);
    const result = {
      benchmark: "daily-run",
      description: "daily runs through Temporal (dev server, worker process, Redis locks, " +
        "fenced PostgreSQL writes) against the same work without Temporal (floor) and " +
        "against one workflow per policy-day (naive), and how their cost scales",
      policies: POLICIES,
      policyDaysPerSecond: run.policyDaysPerSecond,
      floorPolicyDaysPerSecond: floor.policyDaysPerSecond,
      ratioToFloor,
      cpuRatioToFloor,
      naivePolicyDaysPerSecond: naiveRate,
      speedupOverNaive: speedup,
      workerPeakRssMb: main.memory.vmHwmAfterMb,
      targets: {
        ratioToFloor: `>= ${TARGET_RATIO_TO_FLOOR}`,
        speedupOverNaive: `>= ${TARGET_SPEEDUP_OVER_NAIVE}`,
        scaling: verdict.target,
      },
      targetsMet: {
        ratioToFloor: ratioToFloor >= TARGET_RATIO_TO_FLOOR,
        speedupOverNaive: speedup >= TARGET_SPEEDUP_OVER_NAIVE,
        scalingLinear: verdict.linear,
      },
      dailyRun: {
        note: `${main.runs.length} daily runs of all ${POLICIES} policies (consecutive claim ` +
          `dates, ABBA-ordered with the floor); policyDaysPerSecond takes them together, ` +
          `timed from the start request to the workflow result`,
        ...run,
        policyDaysWithEvents: main.states.map((s) => s.withEvents),
        shareWithEvents: round2(
          main.states.reduce((s, x) => s + x.withEvents, 0) / (POLICIES * main.states.length),
        ),
        claimRows: main.states.map((s) => s.claims),
        sameClaimsAsFloor: true,
      },
      runtimes: runtimesSection(POLICIES, { worker: stack.worker, main }, others),
      worker: {
        command: "node --import tsx src/cli/main.ts worker --no-migrate --workflow-bundle FILE",
        settings: {
          maxConcurrentActivities: config.worker.maxConcurrentActivities,
          maxConcurrentWorkflowTasks: config.worker.maxConcurrentWorkflowTasks,
          batchSize: config.worker.batchSize,
          batchConcurrency: config.worker.batchConcurrency,
          chunkSize: config.worker.chunkSize,
          pageSize: config.worker.pageSize,
          databasePoolMax: config.databasePoolMax,
          lockBackend: config.lock.backend,
        },
        environment: Object.fromEntries(
          TUNING_VARS.flatMap((v) => (stack.env[v] ? [[v, stack.env[v]]] : [])),
        ),
        memory: { ...main.memory, vmHwmAtEndMb: kbToMb(final?.hwmKb ?? 0) },
        note: "workerPeakRssMb is VmHWM (/proc/<pid>/status) of the worker process after the " +
          "main runs: start-up and a warm-up run included; vmHwmAtEndMb also covers the " +
          "naive and scaling runs",
      },
      floor: {
        note: `calculatePolicyDays over the ids paged ${floorSettings.pageSize} at a time, ` +
          `batches of ${floorSettings.batchSize}, chunks of ${floorSettings.chunkSize}, ` +
          `${floorSettings.parallelism} batches in flight (the lesser of ` +
          `CLAIMS_BATCH_CONCURRENCY and WORKER_MAX_CONCURRENT_ACTIVITIES: what the worker runs ` +
          `at once for one daily run), same Redis lock backend and pool size, in one process, ` +
          `on an identical copy of the data; cpuRatioToFloor compares CPU per policy-day: ` +
          `this process + its PostgreSQL backends against worker + Temporal server + theirs`,
        settings: floorSettings,
        ...floor,
      },
      naive: {
        sampledPolicyDays: NAIVE,
        durationMs: Math.round(naive.ms),
        startConcurrency: naive.startConcurrency,
        statuses: naive.statuses,
        load1AtStart: naive.load1,
        extrapolated: true,
        note: `${NAIVE} policy-day workflows (startPolicyDay, ${naive.startConcurrency} start ` +
          `requests in flight, then every result awaited) on the same worker; ${POLICIES} ` +
          `this way would take about ${Math.round(POLICIES / naiveRate)} s against ` +
          `${Math.round(mainRunsMs / main.runs.length / 1000)} s for the daily run`,
      },
      scaling: {
        note: "points are daily runs timed from the client (start request to result): one day " +
          "is the median of its repeats; 7 and 30 days are the sums of that many dates run " +
          "one after the other (as the schedule runs them), with the same 10% book; the " +
          "100% point is the main runs' median",
        points,
        ...verdict,
      },
      data: {
        seed: SEED,
        regions: REGIONS,
        stormRegionsPerDay: STORM_REGIONS,
        eventsPerStormRegion: "1 to 3",
        groups: Object.fromEntries(
          Object.entries(groups).map(([name, g]) => [name, {
            policies: g.size,
            dates: g.dates.length === 1 ? g.dates[0] : `${g.dates[0]}..${g.dates.at(-1)}`,
          }]),
        ),
      },
      machine,
      // The machine is shared with other suites: 1/5/15-minute load averages per phase.
      loadAverage: {
        atStart: loadAtStart,
        beforeMain: loadBeforeMain,
        afterMain: loadAfterMain,
        ...(others.length > 0 ? { afterRuntimes: loadAfterRuntimes } : {}),
        beforeScaling: loadBeforeScaling,
        atEnd: load(),
        maxLoad: MAX_LOAD,
        waitedForLowLoadMs: waitedMs,
      },
    };
    const chart = scalingChart(points, verdict, {
      floorPolicyDaysPerSecond: floor.policyDaysPerSecond,
      subtitle: `${machine.cpus} CPUs (${machine.cpuModel}), ${machine.runtime}; batch ` +
        `${config.worker.batchSize} x ${config.worker.batchConcurrency} in flight, chunk ` +
        `${config.worker.chunkSize}; naive design ${naiveRate} policy-days/s; ` +
        machine.date.slice(0, 10),
    });
    return { result, chart };
  } catch (error) {
    await stack.close().catch(() => undefined); // logged step by step; the first error matters
    throw error;
  }
}

const loadAtStart = load();

async function main(): Promise<void> {
  step(
    `bench/daily-run: ${POLICIES} policies, naive sample ${NAIVE}, ${STORM_REGIONS} of ` +
      `${REGIONS} regions stormy a day; worker runtimes ${RUNTIMES_MEASURED.join(", ")}`,
  );
  const stack = await startStack(Object.values(GROUPS), SEED, step);
  const { result, chart } = await measure(stack);
  // Only a run that also stopped cleanly (the worker drained and exited 0) writes results.
  await stack.close();
  const out = { ...result, totalDurationMs: Math.round(performance.now() - t0) };
  fs.mkdirSync(path.dirname(flags.out), { recursive: true });
  fs.writeFileSync(flags.out, JSON.stringify(out, null, 2) + "\n");
  fs.mkdirSync(path.dirname(flags.chart), { recursive: true });
  fs.writeFileSync(flags.chart, chart);
  step(`wrote ${flags.out} and ${flags.chart}`);
}

await main();
