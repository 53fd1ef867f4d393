/**
 * The sizes of the chaos run. `full` is `make chaos`: at least 10,000 policy-days and every
 * kind of fault; `short` runs inside `make test` in well under 3 minutes with fewer faults;
 * `cluster` is `full` against the Temporal server on PostgreSQL, restarted three times.
 *
 * Why these timings: LOCK_TTL_MS is short so that a SIGSTOP outlasts a lease within seconds,
 * and the activities' heartbeat timeout is short so that a killed or frozen worker's batch
 * moves to another worker after a few seconds instead of the production 30 s.
 */

export type ProfileName = "short" | "full" | "cluster";

export interface FaultCounts {
  /** SIGKILL of a worker process (restarted right after). */
  kills: number;
  /** Our own redis-server killed and started again on the same port (no persistence). */
  redisRestarts: number;
  /** pg_terminate_backend of every backend of the workers (by datname and application_name). */
  pgTerminations: number;
  /** SIGSTOP of the busiest worker for longer than the lock TTL, then SIGCONT. */
  sigstops: number;
  /**
   * Our own Temporal server stopped and started again on the same port(s) with the same
   * SQLite file (dev server) or PostgreSQL databases (cluster).
   */
  temporalRestarts: number;
}

export interface ChaosProfile {
  name: ProfileName;
  /** The Temporal server: the CLI dev server, or temporal-server on PostgreSQL (`cluster`). */
  temporal?: "dev" | "postgres";
  /** Data set (src/seed/generate.ts). */
  policies: number;
  days: number;
  start: string;
  eventsPerDay: number;
  /** Per mille of events held back and imported during the run (late events, corrections). */
  lateShare: number;
  /** The late records are imported in this many files, each at its own random moment. */
  lateImports: number;
  /**
   * `events import --max-recalculate`: an import affecting more policy-days than this is
   * recomputed by the batched rerun the command names instead of one workflow per day.
   */
  maxRecalculate: number;
  /** The run refuses a data set smaller than this (the issue asks for >= 10,000 in `full`). */
  minPolicyDays: number;
  workers: number;
  lockTtlMs: number;
  heartbeatTimeoutMs: number;
  /** Fan-out options of the daily runs and reruns. */
  batchSize: number;
  batchConcurrency: number;
  chunkSize: number;
  workerMaxActivities: number;
  /** Reruns over overlapping ranges, started at random moments of the fault window. */
  reruns: RerunPlan[];
  /**
   * Until the last fault, at least this many daily runs/reruns stay open: more reruns over
   * random ranges are started when fewer run, so that every fault meets work in progress.
   */
  minBusyWorkflows: number;
  faults: FaultCounts;
  /** Faults happen at random moments in [faultWindow.fromMs, faultWindow.toMs] after the start. */
  faultWindow: { fromMs: number; toMs: number };
  /** No two faults closer than this (each one's effect stays visible in the logs). */
  minFaultGapMs: number;
  /** How long a SIGSTOP lasts: past the lock TTL and the heartbeat timeout, so both expire. */
  sigstopMs: number;
  /** Time the services stay down during a restart. */
  restartDowntimeMs: number;
  /** After the last fault, the workflows must all close within this. */
  convergeTimeoutMs: number;
}

/** A rerun: day offsets into the data set (inclusive), and all policies or a share of them. */
export interface RerunPlan {
  fromDay: number;
  toDay: number;
  /** null: `--all`; otherwise every n-th policy (`--policy` list). */
  everyNthPolicy: number | null;
}

const common = {
  start: "2025-03-27",
  workers: 3,
  lockTtlMs: 3_000,
  heartbeatTimeoutMs: 4_000,
  chunkSize: 40,
  workerMaxActivities: 6,
  restartDowntimeMs: 1_500,
} as const;

const BASE_PROFILES: Record<"short" | "full", ChaosProfile> = {
  short: {
    ...common,
    name: "short",
    policies: 300,
    days: 3,
    eventsPerDay: 3,
    lateShare: 60,
    lateImports: 1,
    maxRecalculate: 400,
    minPolicyDays: 500,
    batchSize: 50,
    batchConcurrency: 2,
    minBusyWorkflows: 1,
    reruns: [
      { fromDay: 0, toDay: 1, everyNthPolicy: null },
      { fromDay: 1, toDay: 2, everyNthPolicy: 3 },
    ],
    faults: { kills: 2, redisRestarts: 1, pgTerminations: 1, sigstops: 1, temporalRestarts: 0 },
    faultWindow: { fromMs: 2_000, toMs: 30_000 },
    minFaultGapMs: 3_000,
    sigstopMs: 9_000,
    convergeTimeoutMs: 100_000,
  },
  full: {
    ...common,
    name: "full",
    policies: 2_500,
    days: 5,
    eventsPerDay: 4,
    lateShare: 50,
    lateImports: 2,
    maxRecalculate: 1_000,
    minPolicyDays: 10_000,
    batchSize: 150,
    batchConcurrency: 3,
    minBusyWorkflows: 2,
    reruns: [
      { fromDay: 0, toDay: 2, everyNthPolicy: null },
      { fromDay: 1, toDay: 4, everyNthPolicy: null },
      { fromDay: 0, toDay: 4, everyNthPolicy: 5 },
      { fromDay: 2, toDay: 3, everyNthPolicy: 2 },
    ],
    faults: { kills: 6, redisRestarts: 1, pgTerminations: 2, sigstops: 1, temporalRestarts: 1 },
    faultWindow: { fromMs: 3_000, toMs: 110_000 },
    minFaultGapMs: 4_000,
    sigstopMs: 10_000,
    convergeTimeoutMs: 300_000,
  },
};

// `make chaos PROFILE=cluster`: the full run against the production-shaped Temporal server on
// PostgreSQL (4 history shards, history and visibility databases), restarted three times.
export const PROFILES: Record<ProfileName, ChaosProfile> = {
  ...BASE_PROFILES,
  cluster: {
    ...BASE_PROFILES.full,
    name: "cluster",
    temporal: "postgres",
    faults: { ...BASE_PROFILES.full.faults, temporalRestarts: 3 },
  },
};

export function profileOf(name: string): ChaosProfile {
  if (name !== "short" && name !== "full" && name !== "cluster") {
    throw new Error(`--profile must be short, full or cluster, got "${name}"`);
  }
  return PROFILES[name];
}
