/**
 * End-to-end daily-run benchmark (issue 8): a daily run of 100,000 policies (about 5% with
 * events that day) through the real stack — a Temporal dev server (in-memory SQLite, WAL
 * pragmas, its own free port), a worker PROCESS (`node --import tsx src/cli/main.ts worker`),
 * Redis locks, fenced writes into PostgreSQL — against:
 *
 *   core floor  the same lock + calculation + write work for the same policy-days in a tight
 *            loop without Temporal (calculatePolicyDays with the worker's page, batch and chunk
 *            sizes and as many batches in flight as the worker runs), on an identical copy of
 *            the data; target: the daily run >= 0.5x the core floor;
 *   raw floor   the same semantic work written for speed with nothing the product needs for
 *            other reasons (daily-run/raw-floor.ts: raw postgres.js prepared statements, one
 *            Lua call per chunk for locks and tokens, no Drizzle, zod or Temporal; it shares
 *            only the pure calculator with the product), on a third copy; targets: the daily
 *            run >= 0.5x the raw floor and >= 12,000 policy-days/s;
 *   naive    one policy-day workflow per policy (`claim-calc:<policyId>:<date>`) on a sample
 *            of 2,000 policies, extrapolated per policy-day; target: the daily run >= 50x;
 *   scaling  1% / 10% / 100% of the book for one day, and 10% of the book for 1 / 7 / 30 days;
 *            target: the cost grows linearly. Chart: bench/results/daily-run-scaling.svg.
 *
 * The main measurement runs twice, on two consecutive claim dates, in the order raw floor, core
 * floor, run, run, core floor, raw floor: the machine is shared, and a drift of its load then
 * hits every side alike. The stored claims, ledger rows (inputs hash, counts, totals) and audit
 * rows of the run and of both floors must agree row for row, and every measured date must have
 * every policy-day in the ledger under a fencing token, or the benchmark fails instead of
 * reporting.
 * Databases (created + migrated with runMigrations) and the Redis database are dropped/flushed
 * at the end. Worker memory: VmRSS polled during the main runs and VmHWM, from /proc.
 *
 * Runtimes (issue 14): the worker above runs on Node. `--runtime deno` (or `node,deno`) also
 * measures a Deno worker process in the same run, on the same stack: after Node's main runs,
 * the same main measurement on two fresh dates of the same book, with its own warm-up date and
 * floors' runs and the same checks (daily-run/runtimes.ts); naive and scaling stay on Node. The
 * result's `runtimes` section puts the two side by side.
 *
 * Temporal servers (issue 21): everything above runs on the CLI dev server. `--temporal
 * postgres` also measures the main runs on a temporal-server v1.29.1 that persists to
 * PostgreSQL (4 history shards, history and visibility databases), started for the purpose
 * after the dev server's main runs, with a Node worker process of its own, on fresh dates of
 * the same book, with its own floors' runs and the same checks (daily-run/temporal-servers.ts).
 * The result's `temporalServers` section sets the two side by side, with the Temporal server's
 * and its databases' CPU per 1,000 policy-days; the results go to daily-run-postgres.json
 * (and its chart) unless --out/--chart say otherwise.
 *
 *   node --import tsx bench/daily-run.ts [--policies N] [--naive N] [--seed S] [--out FILE]
 *     [--chart FILE] [--max-load L] [--runtime node|deno|node,deno] [--temporal dev|postgres]
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
import {
  type ClusterMeasurement,
  measureOnCluster,
  temporalServersSection,
} from "./daily-run/temporal-servers.ts";
import { aggregate, cpuPer1000, round2 } from "./daily-run/summary.ts";
import { runDailyRun } from "./daily-run/temporal-runs.ts";

const { values: flags } = parseArgs({
  options: {
    policies: { type: "string", default: process.env["POLICIES"] || "100000" },
    naive: { type: "string", default: "2000" },
    seed: { type: "string", default: "bench-daily-run-1" },
    out: { type: "string" },
    chart: { type: "string" },
    "max-load": { type: "string" },
    runtime: { type: "string", default: "node" },
    temporal: { type: "string", default: "dev" },
  },
});

/** `--temporal`: dev (the default), or postgres (or dev,postgres): the dev server and then the
 * server on PostgreSQL. The dev server is measured whatever is asked, as Node is. */
function parseTemporalServers(value: string): boolean {
  const asked = value.split(",").map((v) => v.trim());
  for (const v of asked) {
    if (v !== "dev" && v !== "postgres") {
      throw new Error(`--temporal: expected dev, postgres or dev,postgres, got "${value}"`);
    }
  }
  return asked.includes("postgres");
}

const WITH_CLUSTER = parseTemporalServers(flags.temporal!);
const OUT = flags.out ??
  path.join("bench", "results", WITH_CLUSTER ? "daily-run-postgres.json" : "daily-run.json");
const CHART = flags.chart ??
  path.join(
    "bench",
    "results",
    WITH_CLUSTER ? "daily-run-postgres-scaling.svg" : "daily-run-scaling.svg",
  );

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
/**
 * The book, with dates of their own for the main runs of every runtime measured and, after
 * them, of the server on PostgreSQL.
 */
const GROUPS = benchGroups(POLICIES, NAIVE, RUNTIMES_MEASURED.length + (WITH_CLUSTER ? 1 : 0));
/** Start requests of the naive design in flight at once (what `events import` uses too). */
const NAIVE_START_CONCURRENCY = 16;
const TARGET_RATIO_TO_CORE_FLOOR = 0.5;
const TARGET_RATIO_TO_RAW_FLOOR = 0.5;
const TARGET_POLICY_DAYS_PER_SECOND = 12_000;
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
    step("warm-up on all three (JIT, prepared statements, caches)");
    const warmupDate = workerDates(groups.warmup, 0, 1).dates[0]!;
    await stack.guard(runDailyRun(stack.client, config, warmupDate));
    await stack.coreFloor.run(warmupDate);
    await stack.rawFloor.run(warmupDate);

    step(`main: ${POLICIES} policy-days, raw floor, core floor and daily run, ABBA over two dates`);
    const loadBeforeMain = load();
    const main = await measureMain(
      stack,
      workerDates(groups.main, 0, MAIN_RUNS),
      settle,
      step,
    );
    const loadAfterMain = load();
    const coreFloor = aggregate(main.coreFloorRuns, POLICIES);
    const rawFloor = aggregate(main.rawFloorRuns, POLICIES);
    const run = aggregate(main.runs, POLICIES);
    const ratioToCoreFloor = round2(run.policyDaysPerSecond / coreFloor.policyDaysPerSecond);
    const ratioToRawFloor = round2(run.policyDaysPerSecond / rawFloor.policyDaysPerSecond);
    // The same comparisons in CPU (all processes measured, Redis aside): what a policy-day
    // costs the machine, which the other suites sharing it disturb far less than wall time.
    const cpuRatioToCoreFloor = round2(cpuPer1000(coreFloor) / cpuPer1000(run));
    const cpuRatioToRawFloor = round2(cpuPer1000(rawFloor) / cpuPer1000(run));
    step(
      `  daily run ${run.policyDaysPerSecond}/s, core floor ${coreFloor.policyDaysPerSecond}/s ` +
        `(${ratioToCoreFloor}x), raw floor ${rawFloor.policyDaysPerSecond}/s ` +
        `(${ratioToRawFloor}x); worker peak RSS ${main.memory.vmHwmAfterMb} MB`,
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

    let cluster: ClusterMeasurement | null = null;
    if (WITH_CLUSTER) {
      step("postgres: the main measurement again, on a Temporal server on PostgreSQL");
      cluster = await measureOnCluster(stack, RUNTIMES_MEASURED.length, groups, settle, step);
      const figures = aggregate(cluster.main.runs, POLICIES);
      step(
        `  daily run on PostgreSQL's Temporal ${figures.policyDaysPerSecond}/s (dev server ` +
          `${run.policyDaysPerSecond}/s); CPU per 1,000 policy-days ` +
          JSON.stringify(figures.cpuMsPer1000PolicyDays),
      );
    }
    const loadAfterCluster = load();

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
        "fenced PostgreSQL writes) against the same work without Temporal (core floor: the " +
        "product's core in a loop; raw floor: the same semantics in raw SQL), against one " +
        "workflow per policy-day (naive), and how their cost scales",
      policies: POLICIES,
      policyDaysPerSecond: run.policyDaysPerSecond,
      rawFloorPolicyDaysPerSecond: rawFloor.policyDaysPerSecond,
      ratioToRawFloor,
      cpuRatioToRawFloor,
      coreFloorPolicyDaysPerSecond: coreFloor.policyDaysPerSecond,
      ratioToCoreFloor,
      cpuRatioToCoreFloor,
      naivePolicyDaysPerSecond: naiveRate,
      speedupOverNaive: speedup,
      workerPeakRssMb: main.memory.vmHwmAfterMb,
      targets: {
        policyDaysPerSecond: `>= ${TARGET_POLICY_DAYS_PER_SECOND}`,
        ratioToRawFloor: `>= ${TARGET_RATIO_TO_RAW_FLOOR}`,
        ratioToCoreFloor: `>= ${TARGET_RATIO_TO_CORE_FLOOR}`,
        speedupOverNaive: `>= ${TARGET_SPEEDUP_OVER_NAIVE}`,
        scaling: verdict.target,
      },
      targetsMet: {
        policyDaysPerSecond: run.policyDaysPerSecond >= TARGET_POLICY_DAYS_PER_SECOND,
        ratioToRawFloor: ratioToRawFloor >= TARGET_RATIO_TO_RAW_FLOOR,
        ratioToCoreFloor: ratioToCoreFloor >= TARGET_RATIO_TO_CORE_FLOOR,
        speedupOverNaive: speedup >= TARGET_SPEEDUP_OVER_NAIVE,
        scalingLinear: verdict.linear,
      },
      dailyRun: {
        note: `${main.runs.length} daily runs of all ${POLICIES} policies (consecutive claim ` +
          `dates, ABBA-ordered with both floors); policyDaysPerSecond takes them together, ` +
          `timed from the start request to the workflow result`,
        ...run,
        policyDaysWithEvents: main.states.map((s) => s.withEvents),
        shareWithEvents: round2(
          main.states.reduce((s, x) => s + x.withEvents, 0) / (POLICIES * main.states.length),
        ),
        claimRows: main.states.map((s) => s.claims),
        auditRows: main.states.map((s) => s.auditRows),
        ledgerTotals: main.states.map((s) => s.ledgerTotals),
        sameClaimsAsCoreFloor: true,
        sameClaimsAsRawFloor: true,
        sameLedgerAndAuditAsFloors: true,
      },
      runtimes: runtimesSection(POLICIES, { worker: stack.worker, main }, others),
      ...(cluster ? { temporalServers: temporalServersSection(POLICIES, main, cluster) } : {}),
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
      rawFloor: {
        note: `the same semantic work as the worker's, for each date over the ids of every ` +
          `policy covering it, ${stack.rawFloor.settings.chunkSize} policy-days a chunk, ` +
          `${stack.rawFloor.settings.inFlight} chunks in flight, one PostgreSQL connection ` +
          `each, in this process: one Redis Lua call per chunk takes a lock with a fencing ` +
          `token per policy-day (SET NX PX on lock:claim_calc:<policyId>:<date>, token = ` +
          `max(previous + 1, Redis TIME in µs) on the product's fence keys); one pipelined ` +
          `round trip runs BEGIN, SELECT … FOR UPDATE of the policies in id order (COLLATE ` +
          `"C"), the events of their regions around the date and their stored claims; in JS ` +
          `each policy's local day (its timezone), its candidates, the period cap re-allocated ` +
          `over its stored claims where it has candidates or claims on the day, the inputs ` +
          `hash, claim and audit changes; a second round trip writes the ledger with one ` +
          `UNNEST upsert whose DO UPDATE … WHERE checks the fence, the claim upserts, deletes, ` +
          `audit rows and changed days' ledger totals only where the ledger took this write's ` +
          `token, and COMMIT; one Lua call releases the chunk's locks (compare-and-delete). ` +
          `Raw postgres.js prepared statements with columns as array literals; no Drizzle, ` +
          `zod, Temporal or product I/O code: it shares only the pure calculator (src/domain) ` +
          `with the product. Its claims, ledger rows and audit rows equal the daily run's row ` +
          `for row on every measured date (checked). CPU: this process + its PostgreSQL ` +
          `backends (Redis aside, as for every side)`,
        settings: stack.rawFloor.settings,
        ...rawFloor,
        ledgerTotals: main.rawFloorStates.map((s) => s.ledgerTotals),
      },
      coreFloor: {
        note: `calculatePolicyDays over the ids paged ${floorSettings.pageSize} at a time, ` +
          `batches of ${floorSettings.batchSize}, chunks of ${floorSettings.chunkSize}, ` +
          `${floorSettings.parallelism} batches in flight (the lesser of ` +
          `CLAIMS_BATCH_CONCURRENCY and WORKER_MAX_CONCURRENT_ACTIVITIES: what the worker runs ` +
          `at once for one daily run), same Redis lock backend and pool size, in one process, ` +
          `on an identical copy of the data; cpuRatioToCoreFloor compares CPU per ` +
          `policy-day: this process + its PostgreSQL backends against worker + Temporal ` +
          `server + theirs`,
        settings: floorSettings,
        ...coreFloor,
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
        ...(cluster ? { afterCluster: loadAfterCluster } : {}),
        beforeScaling: loadBeforeScaling,
        atEnd: load(),
        maxLoad: MAX_LOAD,
        waitedForLowLoadMs: waitedMs,
      },
    };
    const chart = scalingChart(points, verdict, {
      coreFloorPolicyDaysPerSecond: coreFloor.policyDaysPerSecond,
      rawFloorPolicyDaysPerSecond: rawFloor.policyDaysPerSecond,
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
      `${REGIONS} regions stormy a day; worker runtimes ${RUNTIMES_MEASURED.join(", ")}; ` +
      `temporal ${WITH_CLUSTER ? "dev server and server on PostgreSQL" : "dev server"}`,
  );
  const stack = await startStack(Object.values(GROUPS), SEED, step);
  const { result, chart } = await measure(stack);
  // Only a run that also stopped cleanly (the worker drained and exited 0) writes results.
  await stack.close();
  const out = { ...result, totalDurationMs: Math.round(performance.now() - t0) };
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, JSON.stringify(out, null, 2) + "\n");
  fs.mkdirSync(path.dirname(CHART), { recursive: true });
  fs.writeFileSync(CHART, chart);
  step(`wrote ${OUT} and ${CHART}`);
}

await main();
