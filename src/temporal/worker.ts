/**
 * A worker process: checks what it depends on, bundles the workflows, runs the activities on
 * this process's connections, serves metrics and health, and on SIGINT/SIGTERM (the CLI's abort
 * signal) stops polling, lets running activities finish within WORKER_SHUTDOWN_GRACE_MS, then
 * closes everything and returns.
 *
 * Start-up, in this order, each failure one line with its own exit code (src/health/startup-
 * errors.ts): the metrics port is bound (a taken port is the first thing reported), PostgreSQL
 * answers and its schema is migrated, Redis answers (LOCK_BACKEND=redis), Temporal answers and
 * the namespace exists with the runs' search attributes. Only then does it poll. Whatever
 * fails, the first error is the one reported: a close that fails afterwards is logged, never
 * thrown in its place.
 *
 * The same code runs on Node.js and on Deno: the SDK's native bridge, its webpack bundler and
 * its workflow sandbox (worker threads + node:vm) all load in Deno's Node compatibility layer
 * (tests/temporal runs under both; see the README's Deno section).
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import type { Redis } from "ioredis";
import type {
  NativeConnection as NativeConnectionType,
  Worker as WorkerType,
} from "@temporalio/worker";
import { type ActivityDeps, createActivities } from "../../activities/index.ts";
import { appRoot } from "../app-layout.ts";
import { createCalcStore } from "../calc/store-adapter.ts";
import type { Config } from "../config.ts";
import { ClaimsError, ErrorCodes } from "../errors.ts";
import { checkPostgres, checkRedis, checkTemporal, migrationState } from "../health/checks.ts";
import { type DependencyProbe, ReadinessMonitor } from "../health/readiness.ts";
import { causeOf, StartupError, StartupExitCodes } from "../health/startup-errors.ts";
import { connectLockRedis, createLockBackend } from "../locks/index.ts";
import type { Logger } from "../log.ts";
import { type ClaimsMetrics, createClaimsMetrics } from "../metrics/claims-metrics.ts";
import { createMetricsRegistry, packageVersion } from "../metrics/registry.ts";
import { freeLoopbackPort, type MetricsServer, startMetricsServer } from "../metrics/server.ts";
import { redact } from "../redact.ts";
import { connectDatabase, type Database } from "../store/connection.ts";
import { runMigrations } from "../store/migrate.ts";
import { temporalTls } from "./connection.ts";
import { startRunsStatusPoller } from "./runs-status.ts";
import { installTemporalRuntime, temporalLogger } from "./runtime.ts";
import { SEARCH_ATTRIBUTE_NAMES } from "./search-attributes.ts";

export const workflowsPath = path.join(appRoot, "workflows", "index.ts");

/** Each start-up check and each readiness check gives up after this long. */
const CHECK_TIMEOUT_MS = 2_000;
/** Start-up is patient with a server that is still coming up; readiness is not. */
const STARTUP_TIMEOUT_MS = 10_000;

export interface WorkerReady {
  /** The runtime and its version: "node v20.20.2" or "deno 2.9.5". */
  runtime: string;
  taskQueue: string;
  namespace: string;
  identity: string;
  /** The metrics and health port (METRICS_PORT, or the OS's pick); null when off. */
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

/** Things to close at the end, last opened first; a failing close is logged, never thrown. */
class Closers {
  readonly #closers: { what: string; close: () => Promise<unknown> }[] = [];
  constructor(private readonly log: Logger) {}
  add(what: string, close: () => Promise<unknown>): void {
    this.#closers.push({ what, close });
  }
  async closeAll(): Promise<void> {
    for (const { what, close } of this.#closers.reverse()) {
      try {
        await close();
      } catch (error) {
        this.log.warn(`closing ${what} failed`, { error });
      }
    }
    this.#closers.length = 0;
  }
}

/** What the activities run on, from the configuration: checked before the worker polls. */
async function openDependencies(
  options: RunWorkerOptions,
  closers: Closers,
): Promise<{ database: Database; redis: Redis | undefined; deps: Omit<ActivityDeps, "observer"> }> {
  const { config, log } = options;
  const where = redact(config.databaseUrl);
  if (options.migrate ?? true) {
    try {
      const result = await runMigrations(config.databaseUrl, config.database);
      if (result.applied > 0) log.info("migrations applied", { ...result });
    } catch (error) {
      if (error instanceof ClaimsError && error.code === ErrorCodes.SERVICE_UNAVAILABLE) {
        throw postgresUnreachable(where, error);
      }
      throw new StartupError(
        StartupExitCodes.SCHEMA_NOT_MIGRATED,
        `PostgreSQL at ${where}: migrating the schema failed: ${causeOf(error)}; run ` +
          "`claims migrate` to see the whole error, fix it, then start the worker again",
        { cause: error },
      );
    }
  }
  const database = connectDatabase(config.databaseUrl, {
    max: config.databasePoolMax,
    applicationName: "claims-worker",
    session: config.database,
  });
  closers.add("the database pool", () => database.close());
  try {
    await checkPostgres(database.sql, STARTUP_TIMEOUT_MS);
  } catch (error) {
    throw postgresUnreachable(where, error);
  }
  const { applied, total } = await migrationState(database.sql);
  if (applied < total) {
    throw new StartupError(
      StartupExitCodes.SCHEMA_NOT_MIGRATED,
      `PostgreSQL at ${where}: the schema is not migrated (${applied} of ${total} migrations ` +
        "applied); run `claims migrate`, or start the worker without --no-migrate",
    );
  }
  let redis: Redis | undefined;
  if (config.lock.backend === "redis") {
    redis = connectLockRedis(config.redisUrl, "claims-worker-locks");
    const client = redis;
    closers.add("the Redis client", () => Promise.resolve(client.disconnect()));
    try {
      await checkRedis(await connected(client, STARTUP_TIMEOUT_MS), STARTUP_TIMEOUT_MS);
    } catch (error) {
      throw new StartupError(
        StartupExitCodes.REDIS_UNREACHABLE,
        `Redis at ${redact(config.redisUrl)} is unreachable: ${causeOf(error)}; check ` +
          "REDIS_URL and that Redis runs, or set LOCK_BACKEND=postgres",
        { cause: error },
      );
    }
  }
  const locks = createLockBackend(config, { redis });
  closers.add("the lock backend", () => locks.close());
  return {
    database,
    redis,
    deps: {
      store: createCalcStore(database.db),
      locks,
      config: { lockTtlMs: config.lock.ttlMs, chunkSize: config.worker.chunkSize },
      clock: Date.now,
      log,
    },
  };
}

/** Waits until the client has connected (or failed): its first command would only queue. */
function connected(redis: Redis, timeoutMs: number): Promise<Redis> {
  if (redis.status === "ready") return Promise.resolve(redis);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`no connection within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onReady = () => done();
    const onError = (error: Error) => done(error);
    const done = (error?: Error) => {
      clearTimeout(timer);
      redis.off("ready", onReady);
      redis.off("error", onError);
      if (error) reject(error);
      else resolve(redis);
    };
    redis.on("ready", onReady);
    redis.on("error", onError);
  });
}

function postgresUnreachable(where: string, error: unknown): StartupError {
  return new StartupError(
    StartupExitCodes.POSTGRES_UNREACHABLE,
    `PostgreSQL at ${where} is unreachable: ${causeOf(error)}; check DATABASE_URL and that ` +
      "the server runs and accepts this user",
    { cause: error },
  );
}

async function connectTemporal(config: Config): Promise<NativeConnectionType> {
  const { NativeConnection } = await import("@temporalio/worker");
  try {
    return await NativeConnection.connect({
      address: config.temporal.address,
      tls: temporalTls(config),
      apiKey: config.temporal.apiKey,
    });
  } catch (error) {
    if (error instanceof ClaimsError) throw error;
    throw new StartupError(
      StartupExitCodes.TEMPORAL_UNREACHABLE,
      `Temporal at ${config.temporal.address} is unreachable: ${causeOf(error)}; check ` +
        "TEMPORAL_ADDRESS (TEMPORAL_TLS_*, TEMPORAL_API_KEY for TLS) and that the server runs",
      { cause: error },
    );
  }
}

/** The namespace exists, and has the search attributes the runs set (else they would fail). */
async function checkNamespace(
  connection: NativeConnectionType,
  config: Config,
  log: Logger,
): Promise<void> {
  const { namespace, address } = config.temporal;
  try {
    await checkTemporal(connection, namespace, STARTUP_TIMEOUT_MS);
  } catch (error) {
    if ((error as { code?: number }).code === 5 || /not found/i.test(causeOf(error))) {
      throw new StartupError(
        StartupExitCodes.TEMPORAL_NAMESPACE,
        `Temporal namespace "${namespace}" does not exist at ${address}; set TEMPORAL_NAMESPACE ` +
          `or create it (temporal operator namespace create --namespace ${namespace})`,
        { cause: error },
      );
    }
    throw new StartupError(
      StartupExitCodes.TEMPORAL_UNREACHABLE,
      `Temporal at ${address} does not answer for namespace "${namespace}": ${causeOf(error)}; ` +
        "check TEMPORAL_ADDRESS and that the server runs",
      { cause: error },
    );
  }
  let registered: Set<string>;
  try {
    const response = await connection.withDeadline(
      Date.now() + STARTUP_TIMEOUT_MS,
      () => connection.operatorService.listSearchAttributes({ namespace }),
    );
    registered = new Set(Object.keys(response.customAttributes ?? {}));
  } catch (error) {
    // Temporal Cloud refuses the operator service: the attributes are then the operator's to
    // check (docs/operations.md), and a run without them fails its first task loudly.
    log.warn("cannot list the namespace's search attributes; not checked", {
      namespace,
      error: causeOf(error),
    });
    return;
  }
  const missing = SEARCH_ATTRIBUTE_NAMES.filter((name) => !registered.has(name));
  if (missing.length > 0) {
    throw new StartupError(
      StartupExitCodes.TEMPORAL_NAMESPACE,
      `Temporal namespace "${namespace}" at ${address} lacks the search attribute(s) ` +
        `${missing.join(", ")}; register them: temporal operator search-attribute create ` +
        `--namespace ${namespace} ${missing.map((n) => `--name ${n} --type Keyword`).join(" ")}`,
    );
  }
}

/** What the runtime is, for logs and build info: the same code runs on Node.js and on Deno. */
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
  const closers = new Closers(log);
  const metrics: ClaimsMetrics = createClaimsMetrics(
    createMetricsRegistry({ version: packageVersion(), runtime: runtimeName() }),
  );
  const metricsOn = config.metricsPort !== 0;
  let monitor: ReadinessMonitor | undefined;
  try {
    // First: a taken port is reported as such, before anything else was opened.
    const temporalMetricsPort = metricsOn ? await freeLoopbackPort() : null;
    let server: MetricsServer | undefined;
    if (metricsOn) {
      server = await startMetricsServer({
        port: config.metricsPort,
        host: config.metricsHost,
        registry: metrics.registry,
        temporalUrl: temporalMetricsPort
          ? `http://127.0.0.1:${temporalMetricsPort}/metrics`
          : undefined,
        readiness: () => monitor?.report() ?? null,
        log,
      });
      const opened = server;
      closers.add("the metrics server", () => opened.close());
    }
    await installTemporalRuntime({
      log,
      level: config.logLevel,
      metricsBindAddress: temporalMetricsPort ? `127.0.0.1:${temporalMetricsPort}` : undefined,
    });

    let deps: ActivityDeps;
    let database: Database | undefined;
    let redis: Redis | undefined;
    if (options.deps) {
      deps = { ...options.deps, observer: options.deps.observer ?? metrics };
    } else {
      const opened = await openDependencies(options, closers);
      database = opened.database;
      redis = opened.redis;
      deps = { ...opened.deps, observer: metrics };
    }

    const connection = await connectTemporal(config);
    closers.add("the Temporal connection", () => connection.close());
    await checkNamespace(connection, config, log);

    const { Worker } = await import("@temporalio/worker");
    const identity = `${os.hostname()}/${process.pid}`;
    const worker: WorkerType = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      identity,
      ...(options.workflowBundlePath
        ? { workflowBundle: { codePath: options.workflowBundlePath } }
        : { workflowsPath }),
      activities: createActivities(deps),
      maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
      maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
      shutdownGraceTime: config.worker.shutdownGraceMs,
    });

    monitor = new ReadinessMonitor({
      probes: probesOf(config, connection, database, redis),
      polling: () => {
        const state = worker.getState();
        return { ok: state === "RUNNING", state };
      },
      log,
      gauges: metrics.readiness,
    });
    const readiness = monitor;
    if (redis) {
      // The lock client says at once when Redis goes away; the checks confirm its return.
      redis.on("error", (error: Error) => readiness.markDown("redis", error));
      redis.on("close", () => readiness.markDown("redis", new Error("the connection closed")));
    }
    closers.add("the readiness checks", () => readiness.stop());
    const poller = config.metricsRunsIntervalMs > 0
      ? startRunsStatusPoller({ connection, config, metrics, log })
      : undefined;
    if (poller) closers.add("the runs status poller", () => poller.stop());

    const ready: WorkerReady = {
      runtime: runtimeName(),
      taskQueue: config.temporal.taskQueue,
      namespace: config.temporal.namespace,
      identity,
      metricsPort: server?.port ?? null,
    };
    // runUntil polls until the function returns, then drains (shutdownGraceTime) and returns;
    // a worker that fails rejects it at once.
    await worker.runUntil(async () => {
      await readiness.start();
      log.info("worker running", { ...ready });
      options.onReady?.(ready);
      await new Promise<void>((resolve) => {
        const stop = () => {
          log.info("worker draining", { graceMs: config.worker.shutdownGraceMs });
          resolve();
        };
        if (options.signal?.aborted) stop();
        else options.signal?.addEventListener("abort", stop, { once: true });
      });
    });
    log.info("worker stopped");
  } finally {
    await closers.closeAll();
  }
}

function probesOf(
  config: Config,
  connection: NativeConnectionType,
  database: Database | undefined,
  redis: Redis | undefined,
): DependencyProbe[] {
  const probes: DependencyProbe[] = [{
    name: "temporal",
    address: config.temporal.address,
    impact: "no workflow or activity task reaches this worker",
    fix: "check TEMPORAL_ADDRESS and the Temporal server",
    check: () => checkTemporal(connection, config.temporal.namespace, CHECK_TIMEOUT_MS),
  }];
  if (database) {
    probes.push({
      name: "postgres",
      address: redact(config.databaseUrl),
      impact: "no policy-day can be read or written",
      fix: "check DATABASE_URL and the PostgreSQL server",
      check: () => checkPostgres(database.sql, CHECK_TIMEOUT_MS),
    });
  }
  if (redis) {
    probes.push({
      name: "redis",
      address: redact(config.redisUrl),
      impact: "policy-days cannot be locked, so none is computed",
      fix: "check REDIS_URL and the Redis server (or LOCK_BACKEND=postgres)",
      check: () => checkRedis(redis, CHECK_TIMEOUT_MS),
    });
  }
  return probes;
}
