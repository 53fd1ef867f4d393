/**
 * The main measurement on a Temporal server that persists to PostgreSQL, beside the dev
 * server's in the same run (issue 21: `make bench-daily-run TEMPORAL=postgres`). Every test
 * and the other measurements run on the CLI dev server (SQLite in memory, one process, one
 * shard); production runs on a server with its history and visibility in a database. What
 * that persistence costs the daily run is the question: the same book, the same worker code,
 * the same floors, on one machine in one run.
 *
 * After the dev server's measurements of every runtime, a self-hosted temporal-server v1.29.1
 * starts on the machine's PostgreSQL (scripts/lib/temporal-cluster.ts: its own two databases,
 * 4 history shards), a Node worker process joins it on a task queue of its own (same database,
 * Redis database, environment and workflow bundle), warms up on a date of its own, and goes
 * through exactly the dev server's main measurement (measureMain: raw floor, core floor, run,
 * run, core floor, raw floor over two fresh dates, every date complete and equal to both
 * floors row for row). CPU per 1,000 policy-days adds the PostgreSQL backends of Temporal's
 * two databases (`temporalPostgres`) to the worker, the Temporal server and the claims
 * database's backends. Then the worker drains, the server stops and its databases are dropped;
 * naive and scaling continue on the dev server.
 */
import { loadConfig } from "../../src/config.ts";
import { spawnWorker } from "../../tests/support/workers.ts";
import { startTemporal } from "../../scripts/lib/temporal-server.ts";
import { type BenchGroups, MAIN_RUNS, workerDates } from "./data.ts";
import { type MainMeasurement, measureMain } from "./phases.ts";
import { reportedRuntime } from "./runtimes.ts";
import { guardAgainstExit, type Stack } from "./stack.ts";
import { aggregate, cpuPer1000, round2 } from "./summary.ts";
import { runDailyRun } from "./temporal-runs.ts";

export interface ClusterMeasurement {
  server: {
    version: string;
    numHistoryShards: number;
    databases: { persistence: string; visibility: string };
  };
  reported: string;
  taskQueue: string;
  warmupDate: string;
  main: MainMeasurement;
}

/**
 * Date set number `index` of `groups` on a new Temporal server on PostgreSQL: started, a
 * worker started, warmed up, measured like the dev server's main runs, all stopped. Throws
 * when a date is incomplete, its claims differ from the floors', or the worker does not drain.
 */
export async function measureOnCluster(
  stack: Stack,
  index: number,
  groups: BenchGroups,
  settle: () => Promise<void>,
  step: (message: string) => void,
): Promise<ClusterMeasurement> {
  step("temporal-server on PostgreSQL: databases, schema, 4 history shards, namespace");
  const server = await startTemporal("postgres", { label: "bench" });
  const cluster = server.cluster!;
  try {
    const env: Record<string, string> = {
      ...stack.env,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: stack.env["TEMPORAL_TASK_QUEUE"] + "-postgres",
      SCHEDULE_ID: stack.env["SCHEDULE_ID"] + "-postgres",
    };
    const config = loadConfig(env);
    const { connectClient } = await import("../../src/temporal/connection.ts");
    const handle = await connectClient(config);
    try {
      step(`  ${server.address} (pid ${server.pid}): worker process on it`);
      const worker = await spawnWorker({
        name: "bench-worker-postgres",
        env,
        workflowBundle: stack.workflowBundle,
        runtime: "node",
      });
      let stopped = false;
      try {
        const view: Stack = {
          ...stack,
          temporal: server,
          temporalPostgres: {
            url: stack.e2e.url,
            databases: [cluster.databases.persistence, cluster.databases.visibility],
          },
          worker,
          client: handle.client,
          config,
          env,
          guard: guardAgainstExit(worker),
        };
        const warmupDate = workerDates(groups.warmup, index, 1).dates[0]!;
        step(`  task queue ${config.temporal.taskQueue}: warm-up on ${warmupDate}`);
        await view.guard(runDailyRun(view.client, config, warmupDate));
        const main = await measureMain(
          view,
          workerDates(groups.main, index, MAIN_RUNS),
          settle,
          (message) => step(`${message} [postgres]`),
        );
        stopped = true;
        const exit = await worker.stop();
        if (exit.code !== 0) {
          throw new Error(
            `the worker on PostgreSQL's Temporal exited with ${exit.code ?? exit.signal}:\n` +
              worker.output(),
          );
        }
        return {
          server: {
            version: "1.29.1",
            numHistoryShards: cluster.numHistoryShards,
            databases: cluster.databases,
          },
          reported: reportedRuntime(worker),
          taskQueue: config.temporal.taskQueue,
          warmupDate,
          main,
        };
      } finally {
        if (!stopped) await worker.stop().catch(() => undefined); // the first error matters
      }
    } finally {
      await handle.close();
    }
  } finally {
    await server.stop();
  }
}

/** What one server's main runs come to: throughput, CPU by process, and the floors. */
function serverFigures(main: MainMeasurement, policies: number) {
  const run = aggregate(main.runs, policies);
  const core = aggregate(main.coreFloorRuns, policies);
  const raw = aggregate(main.rawFloorRuns, policies);
  const cpu = run.cpuMsPer1000PolicyDays;
  return {
    run,
    core,
    raw,
    toCore: run.policyDaysPerSecond / core.policyDaysPerSecond,
    toRaw: run.policyDaysPerSecond / raw.policyDaysPerSecond,
    /** Temporal's whole cost: its process, plus its databases' backends on PostgreSQL. */
    temporalCpu: (cpu["temporal"] ?? 0) + (cpu["temporalPostgres"] ?? 0),
    summary: {
      dates: main.runs.map((r) => r.date),
      policyDaysPerSecond: run.policyDaysPerSecond,
      cpuMsPer1000PolicyDays: cpu,
      coreFloorPolicyDaysPerSecond: core.policyDaysPerSecond,
      ratioToCoreFloor: round2(run.policyDaysPerSecond / core.policyDaysPerSecond),
      rawFloorPolicyDaysPerSecond: raw.policyDaysPerSecond,
      ratioToRawFloor: round2(run.policyDaysPerSecond / raw.policyDaysPerSecond),
      workerPeakRssMb: main.memory.vmHwmAfterMb,
    },
  };
}

/**
 * The result's `temporalServers` section: the dev server's main runs (details under
 * `dailyRun`) and the PostgreSQL server's, with `postgresToDevThroughput` (policy-days/s over
 * the dev server's), `postgresToDevRatioToRawFloor` (each one's throughput over its own floor
 * runs, compared: a drift of the machine's load between the two blocks taken out), and per
 * 1,000 policy-days the Temporal server's CPU, its databases' PostgreSQL CPU and their sum on
 * each server.
 */
export function temporalServersSection(
  policies: number,
  dev: MainMeasurement,
  cluster: ClusterMeasurement,
) {
  const d = serverFigures(dev, policies);
  const p = serverFigures(cluster.main, policies);
  const temporalPostgres = p.run.cpuMsPer1000PolicyDays["temporalPostgres"] ?? 0;
  return {
    measured: ["dev", "postgres"],
    note: "each server ran the main book's daily run on " + MAIN_RUNS + " dates of its own, " +
      "ABBA-ordered with the raw and core floors on the same dates, after a warm-up date of " +
      "its own, with a Node worker process (same code, settings, workflow bundle, claims " +
      "database and Redis); the server on PostgreSQL ran after the dev server's main runs, on " +
      "a task queue of its own, and its claims, ledger and audit rows equal both floors' row " +
      "for row. cpuMsPer1000PolicyDays: worker process, Temporal server process, the claims " +
      "database's PostgreSQL backends (postgres) and, on the server on PostgreSQL, the backends " +
      "of its history and visibility databases (temporalPostgres); the dev server keeps its " +
      "SQLite in memory inside its own process",
    dev: {
      server: "temporal CLI 1.5.1 dev server (server 1.29.1), SQLite in memory, WAL pragmas, " +
        "1 history shard",
      ...d.summary,
      runs: "see dailyRun.runs",
    },
    postgres: {
      server: `temporal-server ${cluster.server.version}, PostgreSQL history + visibility ` +
        `databases, ${cluster.server.numHistoryShards} history shards`,
      worker: cluster.reported,
      taskQueue: cluster.taskQueue,
      warmupDate: cluster.warmupDate,
      ...p.summary,
      runs: p.run.runs,
      coreFloorRuns: p.core.runs,
      rawFloorRuns: p.raw.runs,
      totals: p.run.totals,
      claimRows: cluster.main.states.map((s) => s.claims),
      sameClaimsAsFloors: true,
      memory: cluster.main.memory,
    },
    postgresToDevThroughput: round2(p.run.policyDaysPerSecond / d.run.policyDaysPerSecond),
    postgresToDevRatioToCoreFloor: round2(p.toCore / d.toCore),
    postgresToDevRatioToRawFloor: round2(p.toRaw / d.toRaw),
    postgresToDevCpuPerPolicyDay: round2(cpuPer1000(p.run) / cpuPer1000(d.run)),
    temporalCpuMsPer1000PolicyDays: {
      dev: round2(d.temporalCpu),
      postgres: {
        server: p.run.cpuMsPer1000PolicyDays["temporal"] ?? 0,
        postgresql: temporalPostgres,
        total: round2(p.temporalCpu),
      },
    },
  };
}
