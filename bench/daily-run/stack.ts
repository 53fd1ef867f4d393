/**
 * Everything a run of the benchmark starts, and stops again whatever happened: three databases
 * (the worker's, the core floor's and the raw floor's, same book: each computes every measured
 * policy-day from scratch), a leased Redis database, a Temporal dev server (in-memory SQLite,
 * WAL pragmas, free port), a Node worker process with a prebuilt workflow bundle, a Temporal
 * client and the floors' connections. A worker on another runtime joins
 * the same stack for its own measurement (runtimes.ts): hence the bundle and guardAgainstExit
 * are shared.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { type Config, loadConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/log.ts";
import { connectClient, type TemporalClientHandle } from "../../src/temporal/connection.ts";
import { writeWorkflowBundle } from "../../src/temporal/worker.ts";
import { startTemporal, type TemporalServer } from "../../scripts/lib/temporal-server.ts";
import { spawnWorker, type WorkerProcess } from "../../tests/support/workers.ts";
import { type BenchDatabase, createBenchDatabase } from "../lib/bench-database.ts";
import { type LeasedRedisDatabase, leaseRedisDatabase } from "../lib/redis-database.ts";
import { benchEvents, groupPolicies, type PolicyGroup } from "./data.ts";
import { createFloorRunner, type FloorRunner, floorSettingsOf } from "./floor.ts";
import { loadBook } from "./load.ts";
import { createRawFloorRunner, type RawFloorRunner } from "./raw-floor.ts";

/** The worker settings a run can tune, passed to the worker and to the client alike. */
export const TUNING_VARS = [
  "WORKER_MAX_CONCURRENT_ACTIVITIES",
  "WORKER_MAX_CONCURRENT_WORKFLOW_TASKS",
  "CLAIMS_BATCH_SIZE",
  "CLAIMS_BATCH_CONCURRENCY",
  "CLAIMS_CHUNK_SIZE",
  "CLAIMS_PAGE_SIZE",
  "DATABASE_POOL_MAX",
  "LOCK_TTL_MS",
] as const;

export interface Stack {
  e2e: BenchDatabase;
  coreFloorDb: BenchDatabase;
  rawFloorDb: BenchDatabase;
  /** The Temporal server the measured worker talks to (the dev server unless a view says). */
  temporal: TemporalServer;
  /** A Temporal server on PostgreSQL: its databases, whose backends' CPU is measured too. */
  temporalPostgres?: { url: string; databases: string[] };
  worker: WorkerProcess;
  client: TemporalClientHandle["client"];
  coreFloor: FloorRunner;
  rawFloor: RawFloorRunner;
  config: Config;
  /** The worker's environment (beyond the inherited one). */
  env: Record<string, string>;
  /** The prebuilt workflow bundle every worker of the run loads. */
  workflowBundle: string;
  /** `work`, or a rejection naming the exit should the worker die before it settles. */
  guard<T>(work: Promise<T>): Promise<T>;
  /**
   * Stops and drops everything, in reverse order; throws (after trying every step) when a step
   * failed, a worker that did not exit cleanly on SIGTERM included.
   */
  close(): Promise<void>;
}

/**
 * `guard` for one worker: a worker that dies would leave a daily run waiting forever, so the
 * work fails instead, naming the exit and the worker's last output.
 */
export function guardAgainstExit(worker: WorkerProcess): <T>(work: Promise<T>) => Promise<T> {
  const died = new Promise<never>((_, reject) => {
    void worker.exited.then(({ code, signal }) =>
      reject(
        new Error(
          `the ${worker.runtime} worker exited (${code ?? signal}):\n` +
            worker.output().slice(-4000),
        ),
      )
    );
  });
  died.catch(() => undefined); // its stop at the end is no failure
  return <T>(work: Promise<T>) => Promise.race([work, died]);
}

export async function startStack(
  groups: readonly PolicyGroup[],
  seed: string,
  step: (message: string) => void,
): Promise<Stack> {
  const cleanups: { name: string; run: () => Promise<unknown> }[] = [];
  const close = async () => {
    const failures: unknown[] = [];
    for (const { name, run } of cleanups.reverse()) {
      await run().catch((error) => {
        console.error(`stopping ${name} failed:`, error);
        failures.push(error);
      });
    }
    cleanups.length = 0;
    if (failures.length > 0) {
      throw new AggregateError(failures, "the benchmark did not stop cleanly");
    }
  };
  try {
    step("databases: create + migrate (the worker's, the core floor's, the raw floor's)");
    const e2e = await createBenchDatabase("daily_run");
    cleanups.push({ name: `database ${e2e.name}`, run: () => e2e.drop() });
    const coreFloorDb = await createBenchDatabase("daily_run_floor");
    cleanups.push({ name: `database ${coreFloorDb.name}`, run: () => coreFloorDb.drop() });
    const rawFloorDb = await createBenchDatabase("daily_run_raw_floor");
    cleanups.push({ name: `database ${rawFloorDb.name}`, run: () => rawFloorDb.drop() });
    const policies = groups.flatMap((g) => [...groupPolicies(g, seed)]);
    const events = benchEvents(groups, seed);
    step(`load ${policies.length} policies and ${events.length} events into all three`);
    await Promise.all(
      [e2e, coreFloorDb, rawFloorDb].map((db) => loadBook(db.url, policies, events)),
    );

    const redis: LeasedRedisDatabase = await leaseRedisDatabase();
    cleanups.push({ name: `redis database ${redis.index}`, run: () => redis.release() });
    step("temporal dev server; workflow bundle");
    const temporal = await startTemporal("dev");
    cleanups.push({ name: "temporal dev server", run: () => temporal.stop() });
    const bundle = path.join(os.tmpdir(), `claims-bench-workflows-${process.pid}.js`);
    await writeWorkflowBundle(bundle, silentLogger);
    cleanups.push({ name: "workflow bundle", run: () => fs.promises.rm(bundle, { force: true }) });

    const suffix = crypto.randomBytes(4).toString("hex");
    const env: Record<string, string> = {
      DATABASE_URL: e2e.url,
      REDIS_URL: redis.url,
      LOCK_BACKEND: "redis",
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: "default",
      TEMPORAL_TASK_QUEUE: `bench-daily-run-${suffix}`,
      SCHEDULE_ID: `bench-daily-${suffix}`,
      METRICS_PORT: "0",
    };
    for (const name of TUNING_VARS) {
      const value = process.env[name];
      if (value) env[name] = value;
    }
    const config = loadConfig(env);

    step("worker process: node --import tsx src/cli/main.ts worker");
    // Node explicitly: spawnWorker's default follows TEST_WORKER_RUNTIME, which the main
    // measurement must not pick up from the environment.
    const worker = await spawnWorker({
      name: "bench-worker",
      env,
      workflowBundle: bundle,
      runtime: "node",
    });
    cleanups.push({
      name: `worker ${worker.pid}`,
      run: async () => {
        const exit = await worker.stop();
        if (exit.code !== 0) {
          throw new Error(`worker exited with ${exit.code ?? exit.signal}:\n${worker.output()}`);
        }
      },
    });
    const guard = guardAgainstExit(worker);
    const handle = await connectClient(config);
    cleanups.push({ name: "temporal client", run: () => handle.close() });
    const coreFloor = createFloorRunner(config, coreFloorDb.url, floorSettingsOf(config));
    cleanups.push({ name: "core floor connections", run: () => coreFloor.close() });
    const rawFloor = await createRawFloorRunner({
      databaseUrl: rawFloorDb.url,
      redisUrl: redis.url,
      settings: { lockTtlMs: config.lock.ttlMs },
    });
    cleanups.push({ name: "raw floor connections", run: () => rawFloor.close() });
    return {
      e2e,
      coreFloorDb,
      rawFloorDb,
      temporal,
      worker,
      client: handle.client,
      coreFloor,
      rawFloor,
      config,
      env,
      workflowBundle: bundle,
      guard,
      close,
    };
  } catch (error) {
    await close().catch(() => undefined); // each failure is logged; the first error matters
    throw error;
  }
}
