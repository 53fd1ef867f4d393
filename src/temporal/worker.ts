/**
 * A worker process: bundles the workflows, runs the activities on this process's connections,
 * serves metrics, and on SIGINT/SIGTERM (the CLI's abort signal) stops polling, lets running
 * activities finish within WORKER_SHUTDOWN_GRACE_MS, then closes everything and returns.
 * The same code runs on Node.js and on Deno: the SDK's native bridge, its webpack bundler and
 * its workflow sandbox (worker threads + node:vm) all load in Deno's Node compatibility layer
 * (tests/temporal runs under both; see the README's Deno section).
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { NativeConnection as NativeConnectionType } from "@temporalio/worker";
import { type ActivityDeps, createActivities } from "../../activities/index.ts";
import { createCalcStore } from "../calc/store-adapter.ts";
import type { Config } from "../config.ts";
import { ClaimsError } from "../errors.ts";
import { createLockBackend } from "../locks/index.ts";
import type { Logger } from "../log.ts";
import { createClaimsMetrics } from "../metrics/claims-metrics.ts";
import { freeLoopbackPort, type MetricsServer, startMetricsServer } from "../metrics/server.ts";
import { connectDatabase, type Database } from "../store/connection.ts";
import { runMigrations } from "../store/migrate.ts";
import { temporalTls, unreachable } from "./connection.ts";
import { installTemporalRuntime, temporalLogger } from "./runtime.ts";

export const workflowsPath = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../workflows/index.ts",
);

export interface WorkerReady {
  /** The runtime and its version: "node v20.20.2" or "deno 2.9.5". */
  runtime: string;
  taskQueue: string;
  namespace: string;
  identity: string;
  /** The metrics port (METRICS_PORT, or the one chosen for 0 … see MetricsSettings); null when off. */
  metricsPort: number | null;
}

export interface RunWorkerOptions {
  config: Config;
  log: Logger;
  /** Stops the worker (SIGINT/SIGTERM in the CLI). */
  signal?: AbortSignal | undefined;
  /** Activity dependencies; built from the configuration when omitted (tests pass theirs). */
  deps?: ActivityDeps;
  /** Apply migrations before polling (default true; idempotent under an advisory lock). */
  migrate?: boolean;
  /**
   * A workflow bundle built ahead of time (`writeWorkflowBundle`): a deployment artefact that
   * spares every worker start the bundling (seconds of CPU). Bundles workflows/ when omitted.
   */
  workflowBundlePath?: string | undefined;
  onReady?: (ready: WorkerReady) => void;
}

interface Resources {
  deps: ActivityDeps;
  metrics: ReturnType<typeof createClaimsMetrics>;
  close(): Promise<void>;
}

async function buildResources(options: RunWorkerOptions): Promise<Resources> {
  const metrics = createClaimsMetrics();
  if (options.deps) {
    return {
      deps: { ...options.deps, observer: options.deps.observer ?? metrics },
      metrics,
      close: async () => {},
    };
  }
  const { config, log } = options;
  if (options.migrate ?? true) {
    const result = await runMigrations(config.databaseUrl, config.database);
    if (result.applied > 0) log.info("migrations applied", { ...result });
  }
  const database: Database = connectDatabase(config.databaseUrl, {
    max: config.databasePoolMax,
    applicationName: "claims-worker",
    session: config.database,
  });
  try {
    const locks = createLockBackend(config);
    return {
      deps: {
        store: createCalcStore(database.db),
        locks,
        config: { lockTtlMs: config.lock.ttlMs, chunkSize: config.worker.chunkSize },
        clock: Date.now,
        log,
        observer: metrics,
      },
      metrics,
      async close() {
        await locks.close().catch((error) =>
          log.warn("closing the lock backend failed", { error })
        );
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** What the worker runs on, for its logs: the same code runs on Node.js and on Deno. */
export function runtimeName(): string {
  const deno = (globalThis as { Deno?: { version: { deno: string } } }).Deno;
  return deno ? `deno ${deno.version.deno}` : `node ${process.version}`;
}

/** Bundles workflows/ into one file for `workflowBundlePath` (run at build time). */
export async function writeWorkflowBundle(file: string, log?: Logger): Promise<{ bytes: number }> {
  const { bundleWorkflowCode } = await import("@temporalio/worker");
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    ...(log ? { logger: temporalLogger(log) } : {}),
  });
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, code);
  return { bytes: Buffer.byteLength(code) };
}

/** Runs until `signal` aborts, then drains and returns; rejects when the worker fails. */
export async function runWorker(options: RunWorkerOptions): Promise<void> {
  const { config, log } = options;
  const metricsOn = config.metricsPort !== 0;
  const temporalMetricsPort = metricsOn ? await freeLoopbackPort() : null;
  const installed = await installTemporalRuntime({
    log,
    level: config.logLevel,
    metricsBindAddress: temporalMetricsPort ? `127.0.0.1:${temporalMetricsPort}` : undefined,
  });
  const { NativeConnection, Worker } = await import("@temporalio/worker");
  const resources = await buildResources(options);
  let server: MetricsServer | undefined;
  let connection: NativeConnectionType | undefined;
  try {
    try {
      connection = await NativeConnection.connect({
        address: config.temporal.address,
        tls: temporalTls(config),
        apiKey: config.temporal.apiKey,
      });
    } catch (error) {
      if (error instanceof ClaimsError) throw error;
      throw unreachable(config, error);
    }
    const identity = `${os.hostname()}/${process.pid}`;
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      identity,
      ...(options.workflowBundlePath
        ? { workflowBundle: { codePath: options.workflowBundlePath } }
        : { workflowsPath }),
      activities: createActivities(resources.deps),
      maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
      maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
      shutdownGraceTime: config.worker.shutdownGraceMs,
    });
    if (metricsOn) {
      server = await startMetricsServer({
        port: config.metricsPort,
        registry: resources.metrics.registry,
        temporalUrl: installed && temporalMetricsPort
          ? `http://127.0.0.1:${temporalMetricsPort}/metrics`
          : undefined,
        log,
      });
    }
    const ready: WorkerReady = {
      runtime: runtimeName(),
      taskQueue: config.temporal.taskQueue,
      namespace: config.temporal.namespace,
      identity,
      metricsPort: server?.port ?? null,
    };
    log.info("worker running", { ...ready });
    options.onReady?.(ready);

    const onAbort = () => {
      log.info("worker draining", { graceMs: config.worker.shutdownGraceMs });
      worker.shutdown();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await worker.run();
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
    log.info("worker stopped");
  } finally {
    await server?.close();
    await resources.close();
    await connection?.close();
  }
}
