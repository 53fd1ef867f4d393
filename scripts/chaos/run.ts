/**
 * The chaos run: `node --import tsx scripts/chaos/run.ts --profile short|full|cluster
 * [--seed N] [--runtime node|deno|mixed]` (the workers' runtime; mixed alternates Node and
 * Deno). `cluster` runs `full` against temporal-server on PostgreSQL instead of the dev server
 * (temporal-cluster.ts) and restarts it three times.
 *
 *   own Redis + own Temporal dev server + a dedicated database  →  seed (late events held back)
 *   →  3 worker processes  →  daily runs for every date, reruns over overlapping ranges and late
 *   imports at random moments, while faults are injected at random moments  →  every workflow
 *   closed  →  workers drained  →  fence probe  →  final-state checks  →  report.
 *
 * Exit 0 when every check passed and nothing failed for good; 1 otherwise (the database and
 * logs are kept, their names printed). The report goes to bench/results/ (or --report-dir).
 */
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import type { Client } from "@temporalio/client";
import { loadConfig } from "../../src/config.ts";
import { createRandom } from "../../src/seed/random.ts";
import { connectDatabase } from "../../src/store/connection.ts";
import { connectClient } from "../../src/temporal/connection.ts";
import { WorkflowTypes } from "../../src/temporal/shared.ts";
import { parseRuntime, type Runtime } from "../lib/runtimes.ts";
import { repoRoot } from "../lib/temporal-dev-server.ts";
import { runChecks } from "./checks/index.ts";
import { workflowBundle } from "./bundle.ts";
import { Driver, temporalCall } from "./driver.ts";
import { FaultInjector, planFaults } from "./faults.ts";
import { probeFence } from "./fence-probe.ts";
import { counter } from "./metrics.ts";
import { historyRetries, logRetries, workerCounters, workflowCounts } from "./observations.ts";
import { type ChaosProfile, profileOf } from "./profiles.ts";
import {
  type ChaosReport,
  findingsOf,
  machine,
  summaryText,
  unexpectedExits,
  verdictOf,
  writeReport,
} from "./report.ts";
import {
  adminDatabaseUrl,
  type ChaosDatabase,
  type ChaosTemporal,
  createChaosDatabase,
  ensureDir,
  RedisServer,
  TemporalService,
} from "./services.ts";
import { ClusterTemporalService } from "./temporal-cluster.ts";
import { sleep, Timeline } from "./timeline.ts";
import { WorkerPool } from "./workers.ts";
import { seedWorkload } from "./workload.ts";

interface Args {
  profile: ChaosProfile;
  /** The worker slots' runtimes, in turn. */
  runtimes: Runtime[];
  seed: string;
  reportDir: string;
  keep: boolean;
}

/** --runtime: node, deno, or mixed (slots alternate Node and Deno, Node first). */
function runtimesOf(value: string): Runtime[] {
  if (value === "mixed") return ["node", "deno"];
  return [parseRuntime(value, "--runtime (node, deno or mixed)")];
}

function parseCommandLine(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      profile: { type: "string", default: "short" },
      runtime: { type: "string", default: "node" },
      seed: { type: "string" },
      "report-dir": { type: "string", default: path.join(repoRoot, "bench", "results") },
      keep: { type: "boolean", default: false },
    },
    strict: true,
  });
  const seed = values.seed ?? String(Date.now() % 1_000_000);
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(seed)) {
    throw new Error(`--seed must be 1-64 letters, digits, '_', '.', '-', got "${seed}"`);
  }
  return {
    profile: profileOf(values.profile!),
    runtimes: runtimesOf(values.runtime!),
    seed,
    reportDir: path.resolve(values["report-dir"]!),
    keep: values.keep!,
  };
}

function workerEnv(
  profile: ChaosProfile,
  urls: { database: string; redis: string; temporal: string },
  taskQueue: string,
): Record<string, string> {
  return {
    DATABASE_URL: urls.database,
    REDIS_URL: urls.redis,
    TEMPORAL_ADDRESS: urls.temporal,
    TEMPORAL_NAMESPACE: "default",
    TEMPORAL_TASK_QUEUE: taskQueue,
    LOCK_BACKEND: "redis",
    LOCK_TTL_MS: String(profile.lockTtlMs),
    CLAIMS_HEARTBEAT_TIMEOUT_MS: String(profile.heartbeatTimeoutMs),
    CLAIMS_BATCH_SIZE: String(profile.batchSize),
    CLAIMS_BATCH_CONCURRENCY: String(profile.batchConcurrency),
    CLAIMS_CHUNK_SIZE: String(profile.chunkSize),
    WORKER_MAX_CONCURRENT_ACTIVITIES: String(profile.workerMaxActivities),
    WORKER_SHUTDOWN_GRACE_MS: "10000",
    DATABASE_POOL_MAX: "6",
    SCHEDULE_ID: "chaos-daily",
    LOG_LEVEL: "info",
  };
}

/** Random moments in [from, to) ms for `n` things, sorted. */
function moments(random: ReturnType<typeof createRandom>, n: number, from: number, to: number) {
  return Array.from({ length: n }, () => random.int(from, Math.max(from, to))).sort((a, b) =>
    a - b
  );
}

async function main(): Promise<number> {
  const args = parseCommandLine(process.argv.slice(2));
  const { profile, seed } = args;
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const runDir = ensureDir(path.join(repoRoot, ".cache", "chaos", `${profile.name}-${stamp}`));
  const timeline = new Timeline({ file: path.join(runDir, "timeline.log") });
  timeline.log(
    `chaos ${profile.name}, seed ${seed}, workers on ${args.runtimes.join("/")}, logs in ${
      path.relative(repoRoot, runDir)
    }`,
  );

  const report: ChaosReport = {
    profile: profile.name,
    seed,
    verdict: "fail",
    startedAt: new Date(timeline.startedAt).toISOString(),
    finishedAt: "",
    durationMs: 0,
    machine: machine(),
    settings: {
      workers: profile.workers,
      workerRuntimes: Array.from(
        { length: profile.workers },
        (_, i) => args.runtimes[i % args.runtimes.length]!,
      ),
      lockTtlMs: profile.lockTtlMs,
      heartbeatTimeoutMs: profile.heartbeatTimeoutMs,
      batchSize: profile.batchSize,
      batchConcurrency: profile.batchConcurrency,
      chunkSize: profile.chunkSize,
      sigstopMs: profile.sigstopMs,
      restartDowntimeMs: profile.restartDowntimeMs,
    },
    workload: {
      policies: profile.policies,
      dates: [],
      policyDays: 0,
      regions: [],
      timeZones: 0,
      events: { onTime: 0, late: 0 },
      lateImports: [],
      workflows: [],
      fillerReruns: 0,
      workflowCounts: {},
    },
    faults: [],
    faultCounts: {},
    retries: {
      temporalHistory: {
        workflows: 0,
        activities: 0,
        retriedActivities: 0,
        extraAttempts: 0,
        maxAttempt: 0,
        lastFailures: {},
      },
      workerLogs: {
        retriedActivities: 0,
        failedAttempts: 0,
        resumedBatches: 0,
        retriedPolicyDays: 0,
        errorLines: 0,
      },
    },
    staleWrites: { refusedByFence: 0, frozenWorker: null, fenceProbe: null },
    workerCounters: { policyDays: {}, lockContention: 0, claimsWritten: {} },
    workerProcesses: { incarnations: 0, unexpectedExits: [], failedStarts: 0, notDrained: [] },
    timing: {
      setupMs: 0,
      workloadStartedAt: "",
      lastFaultRecoveredAt: null,
      allClosedAt: null,
      timeToConvergeMs: null,
      checksMs: 0,
    },
    checks: [],
    findings: [],
    error: null,
    runDir: path.relative(repoRoot, runDir),
    database: null,
  };

  // A harness bug must fail the run with a report, not kill the process without one.
  process.on("unhandledRejection", (reason) => {
    const message = reason instanceof Error ? reason.stack ?? reason.message : String(reason);
    report.error ??= `unhandled rejection in the harness: ${message}`;
    timeline.log(`unhandled rejection in the harness: ${message.split("\n")[0]}`);
  });

  let redis: RedisServer | undefined;
  let temporal: ChaosTemporal | undefined;
  let database: ChaosDatabase | undefined;
  let pool: WorkerPool | undefined;
  let client: { client: Client; close(): Promise<void> } | undefined;
  let injector: FaultInjector | undefined;
  let driver: Driver | undefined;
  try {
    [redis, temporal, database] = await Promise.all([
      RedisServer.start(path.join(runDir, "redis.log")),
      profile.temporal === "postgres"
        ? ClusterTemporalService.start(path.join(runDir, "temporal.log"))
        : TemporalService.start(
          path.join(runDir, "temporal.db"),
          path.join(runDir, "temporal.log"),
        ),
      createChaosDatabase(profile.name),
    ]);
    report.database = database.name;
    timeline.log(
      `services: redis-server :${redis.port} (pid ${redis.pid}), ` +
        `${temporal.describe?.() ?? `temporal ${temporal.address} (pid ${temporal.pid})`}, ` +
        `database ${database.name}`,
    );
    const taskQueue = `chaos-${profile.name}-${process.pid}`;
    const env = workerEnv(
      profile,
      { database: database.url, redis: redis.url, temporal: temporal.address },
      taskQueue,
    );
    const [workload, bundle] = await Promise.all([
      seedWorkload(database.url, profile, seed, runDir),
      workflowBundle(env),
    ]);
    timeline.log(
      `workflow bundle ${path.relative(repoRoot, bundle.file)}${bundle.cached ? " (cached)" : ""}`,
    );
    Object.assign(report.workload, {
      dates: workload.dates,
      policyDays: workload.policyDays,
      regions: workload.regions,
      timeZones: workload.timeZones,
      events: workload.events,
    });
    timeline.log(
      `workload: ${profile.policies} policies, ${workload.policyDays} policy-days, ` +
        `${workload.events.onTime} events, ${workload.events.late} late records in ` +
        `${workload.lateFiles.length} file(s)`,
    );

    pool = new WorkerPool({
      count: profile.workers,
      runtimes: args.runtimes,
      env,
      workflowBundle: bundle.file,
      logDir: runDir,
      timeline,
    });
    await pool.startAll();
    timeline.log(
      `workers ready: ${pool.incarnations.map((i) => `${i.slot} pid ${i.pid}`).join(", ")}`,
    );
    const config = loadConfig(env);
    client = await connectClient(config);
    driver = new Driver(client.client, config, env, workload, timeline, profile.maxRecalculate);

    const plan = planFaults(profile, createRandom(seed, "faults"));
    const starts = createRandom(seed, "starts");
    const rerunAt = moments(starts, profile.reruns.length, 0, profile.faultWindow.toMs * 0.6);
    const importAt = moments(
      starts,
      workload.lateFiles.length,
      profile.faultWindow.fromMs,
      profile.faultWindow.toMs * 0.8,
    );
    timeline.log(
      `plan: faults ${plan.map((f) => `${f.kind}@${(f.atMs / 1000).toFixed(1)}s`).join(", ")}; ` +
        `reruns @${rerunAt.map((t) => (t / 1000).toFixed(1)).join(",")}s; ` +
        `late imports @${importAt.map((t) => (t / 1000).toFixed(1)).join(",")}s`,
    );
    injector = new FaultInjector({
      profile,
      pool,
      redis,
      temporal,
      databaseName: database.name,
      adminUrl: adminDatabaseUrl,
      timeline,
      random: createRandom(seed, "targets"),
    });

    const workloadStart = Date.now();
    report.timing.setupMs = workloadStart - timeline.startedAt;
    report.timing.workloadStartedAt = new Date(workloadStart).toISOString();
    const at = (ms: number) => sleep(workloadStart + ms - Date.now());
    const d = driver;
    const inj = injector;
    const faultsDone = inj.runAt(plan, workloadStart);
    const dailyRuns = d.startDailyRuns();
    const workloadDone = Promise.all([
      faultsDone,
      dailyRuns.then(() =>
        Promise.all([
          ...profile.reruns.map((r, i) => at(rerunAt[i]!).then(() => d.startRerun(r))),
          ...workload.lateFiles.map((f, i) => at(importAt[i]!).then(() => d.importLate(f))),
        ])
      ),
      dailyRuns.then(() =>
        d.keepBusy(faultsDone, createRandom(seed, "fillers"), profile.minBusyWorkflows)
      ),
    ]);
    // A worker that died on its own stops the run (scripts/lib/watch-child.ts names it).
    const [, , fillers] = await Promise.race([pool.failure, workloadDone]);
    report.workload.fillerReruns = fillers;
    const lastRecovered = injector.injected.map((f) => f.recoveredAt ?? f.at).sort().at(-1);
    report.timing.lastFaultRecoveredAt = lastRecovered ?? null;
    timeline.log("every fault injected and recovered from; waiting for the workflows to close");

    await Promise.race([pool.failure, driver.waitForAllClosed(profile.convergeTimeoutMs)]);
    const closedAt = Date.now();
    report.timing.allClosedAt = new Date(closedAt).toISOString();
    report.timing.timeToConvergeMs = lastRecovered ? closedAt - Date.parse(lastRecovered) : null;
    timeline.log("every workflow closed");

    await collectOutcomes(report, driver, client.client);
    report.workerProcesses.notDrained = (await pool.stopAll()).map((i) => ({
      slot: i.slot,
      pid: i.pid,
      exit: i.exit,
    }));
    timeline.log("workers stopped");

    const connection = connectDatabase(database.url, { max: 4, applicationName: "claims-chaos" });
    try {
      report.staleWrites.fenceProbe = await probeFence(
        connection.db,
        connection.sql,
        injector.frozenLeases,
      );
      const checksStarted = Date.now();
      report.checks = await runChecks({
        sql: connection.sql,
        db: connection.db,
        expectedPolicyDays: workload.policyDays,
        redisUrl: redis.url,
        databaseName: database.name,
        lockTtlMs: profile.lockTtlMs,
        env,
      });
      report.timing.checksMs = Date.now() - checksStarted;
    } finally {
      await connection.close();
    }
  } catch (error) {
    report.error = (error as Error).stack ?? String(error);
    timeline.log(`the run failed: ${(error as Error).message}`);
    injector?.stop();
    await pool?.killAll();
  } finally {
    if (pool) {
      report.workerProcesses.incarnations = pool.incarnations.length;
      report.workerProcesses.unexpectedExits = unexpectedExits(pool.incarnations);
      report.workerProcesses.failedStarts = pool.incarnations.filter((i) =>
        i.cause === "failed-start"
      ).length;
      Object.assign(report.retries, { workerLogs: logRetries(pool.incarnations) });
      report.workerCounters = workerCounters(pool.incarnations);
      report.staleWrites.refusedByFence = report.workerCounters.policyDays["stale"] ?? 0;
      if (injector?.frozen) {
        const { incarnation, countersAtFreeze } = injector.frozen;
        const delta = (label: string) =>
          counter(incarnation.counters, "claims_policy_days_total", `status="${label}"`) -
          counter(countersAtFreeze, "claims_policy_days_total", `status="${label}"`);
        report.staleWrites.frozenWorker = {
          pid: incarnation.pid,
          staleAfterThaw: delta("stale"),
          contendedAfterThaw: delta("contended"),
        };
      }
    }
    report.faults = injector?.injected ?? [];
    report.faultCounts = Object.fromEntries(
      ["kill", "redis-restart", "pg-terminate", "sigstop", "temporal-restart"].map((
        k,
      ) => [k, report.faults.filter((f) => f.kind === k).length]),
    );
    report.workload.lateImports = driver?.imports ?? [];
    await client?.close().catch(() => undefined);
    await temporal?.stop().catch(() => undefined);
    await redis?.stop().catch(() => undefined);
  }

  report.findings = findingsOf(report);
  report.verdict = verdictOf(report);
  report.finishedAt = new Date().toISOString();
  report.durationMs = Date.now() - timeline.startedAt;
  // A passing run leaves nothing behind but its report; a failing one keeps everything.
  const keep = report.verdict !== "pass" || args.keep;
  if (!keep) report.runDir = null;
  const file = writeReport(report, args.reportDir);
  console.log("\n" + summaryText(report));
  console.log(`report: ${path.relative(process.cwd(), file)}`);
  if (keep) {
    console.log(
      `kept ${path.relative(repoRoot, runDir)}` +
        (database ? ` and database ${database.name} (${database.url})` : "") +
        (temporal?.describe ? `; ${temporal.describe()}` : ""),
    );
  } else {
    await database?.drop();
    await temporal?.dropData?.();
    fs.rmSync(runDir, { recursive: true, force: true });
  }
  return report.verdict === "pass" ? 0 : 1;
}

async function collectOutcomes(
  report: ChaosReport,
  driver: Driver,
  client: Client,
): Promise<void> {
  report.workload.workflows = await driver.outcomes();
  report.workload.workflowCounts = await workflowCounts(client, Object.values(WorkflowTypes));
  report.retries.temporalHistory = await historyRetries(
    client,
    driver.started.map((w) => w.workflowId),
  );
  const running = await temporalCall(
    "count running workflows",
    async () => (await client.workflow.count("ExecutionStatus = 'Running'")).count,
  );
  if (running > 0) throw new Error(`${running} workflow(s) running after all closed`);
}

process.exitCode = await main();
// Connections are closed; this only guards against a leaked handle keeping the process alive.
setTimeout(() => process.exit(process.exitCode ?? 1), 2_000).unref();
