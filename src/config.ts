/**
 * Configuration from environment variables, validated once at start-up. Defaults work
 * against the local services of a development machine; every bad variable yields one line
 * naming it, the rule and the value (with secrets redacted).
 */
import * as z from "zod";
import { ClaimsError, ErrorCodes } from "./errors.ts";
import { redact } from "./redact.ts";
import { SCHEDULE_OVERLAP_POLICIES, type ScheduleOverlapName } from "./schedule-overlap.ts";

export { SCHEDULE_OVERLAP_POLICIES, type ScheduleOverlapName };
import {
  type PostgresTlsEnv,
  SSL_MODES,
  type SslMode,
  UNSUPPORTED_URL_TLS_PARAMS,
} from "./tls/postgres.ts";
import type { RedisTlsConfig } from "./tls/redis.ts";

export type { PostgresTlsEnv, RedisTlsConfig };

export type LockBackendName = "redis" | "postgres";

export interface TemporalTlsConfig {
  certPath?: string | undefined;
  keyPath?: string | undefined;
  caPath?: string | undefined;
  serverName?: string | undefined;
}

/** What every PostgreSQL session of this process is opened with (src/store/connection.ts). */
export interface DatabaseSessionConfig {
  /** statement_timeout of worker and CLI sessions, ms; 0: not set by claims. */
  statementTimeoutMs: number;
  /** idle_in_transaction_session_timeout, ms; 0: not set by claims. */
  idleInTransactionTimeoutMs: number;
  /** PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY (DATABASE_URL's own parameters win). */
  tls: PostgresTlsEnv;
}

export interface Config {
  databaseUrl: string;
  databasePoolMax: number;
  database: DatabaseSessionConfig;
  redisUrl: string;
  /** Trust and client certificate for rediss:// (REDIS_TLS_*); undefined when none is set. */
  redisTls: RedisTlsConfig | undefined;
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    apiKey?: string | undefined;
    tls?: TemporalTlsConfig | undefined;
    /** The Temporal web UI, for links to runs (TEMPORAL_UI_URL). */
    uiUrl: string;
  };
  lock: { backend: LockBackendName; ttlMs: number };
  metricsPort: number;
  /** The address the metrics and health server binds (METRICS_HOST). */
  metricsHost: string;
  /** How often a worker reads the run gauges from Temporal visibility; 0 = never. */
  metricsRunsIntervalMs: number;
  worker: {
    maxConcurrentActivities: number;
    maxConcurrentWorkflowTasks: number;
    batchSize: number;
    batchConcurrency: number;
    pageSize: number;
    /** Policy-days per lock round trip and write transaction inside a batch. */
    chunkSize: number;
    /** Heartbeat timeout of the batch activities (a dead worker's batch moves on after it). */
    heartbeatTimeoutMs: number;
    /** How long a run retries contended policy-days before it fails naming them. */
    contentionDeadlineMs: number;
    shutdownGraceMs: number;
  };
  schedule: {
    id: string;
    time: string;
    timezone: string;
    catchupWindow: string;
    overlap: ScheduleOverlapName;
  };
  logLevel: "debug" | "info" | "warn" | "error";
}

export const DEFAULTS = {
  DATABASE_URL: "postgres://postgres@127.0.0.1:5432/claims",
  REDIS_URL: "redis://127.0.0.1:6379/0",
  TEMPORAL_ADDRESS: "127.0.0.1:7233",
  TEMPORAL_NAMESPACE: "default",
  TEMPORAL_TASK_QUEUE: "claims",
} as const;

const intIn = (min: number, max: number) => (raw: string): number => {
  if (!/^-?\d+$/.test(raw.trim())) throw new Error(`must be an integer, got "${raw}"`);
  const n = Number(raw.trim());
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new Error(`must be an integer from ${min} to ${max}, got ${raw.trim()}`);
  }
  return n;
};

const urlWithScheme = (schemes: readonly string[]) => (raw: string): string => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`must be a URL (${schemes.join(" or ")}), got "${redact(raw)}"`);
  }
  if (!schemes.includes(url.protocol.replace(/:$/, ""))) {
    throw new Error(
      `must use the scheme ${schemes.map((s) => s + "://").join(" or ")}, got "${redact(raw)}"`,
    );
  }
  if (!url.hostname && !url.searchParams.get("host")) {
    throw new Error(`must name a host, got "${redact(raw)}"`);
  }
  return raw;
};

/** libpq's sslmode values; postgres.js reads any other text as "TLS on", hiding a typo. */
const sslMode = (raw: string): SslMode => {
  if (!SSL_MODES.includes(raw)) {
    throw new Error(`must be one of ${SSL_MODES.join(", ")}, got "${redact(raw)}"`);
  }
  return raw as SslMode;
};

const postgresUrl = (raw: string): string => {
  const url = new URL(urlWithScheme(["postgres", "postgresql"])(raw));
  const sslmode = url.searchParams.get("sslmode");
  if (sslmode !== null && !SSL_MODES.includes(sslmode)) {
    throw new Error(`sslmode must be one of ${SSL_MODES.join(", ")}, got "${redact(sslmode)}"`);
  }
  for (const name of UNSUPPORTED_URL_TLS_PARAMS) {
    if (url.searchParams.has(name)) {
      throw new Error(
        `${name} is not supported (sslmode, sslrootcert, sslcert and sslkey are); remove it`,
      );
    }
  }
  for (const name of ["sslrootcert", "sslcert", "sslkey"]) {
    if (url.searchParams.get(name) === "") throw new Error(`${name} must name a file`);
  }
  return raw;
};

const redisUrl = (raw: string): string => {
  const url = new URL(urlWithScheme(["redis", "rediss"])(raw));
  // ioredis takes the path as the database number: "/abc" would SELECT NaN, fail after
  // connecting, and surface as an uncaught error instead of this line.
  if (!/^\/?\d{0,9}$/.test(url.pathname)) {
    throw new Error(`the path must be a database number (e.g. /0), got "${url.pathname}"`);
  }
  return raw;
};

const oneOf = <T extends string>(values: readonly T[]) => (raw: string): T => {
  if (!(values as readonly string[]).includes(raw)) {
    throw new Error(`must be one of ${values.join(", ")}, got "${raw}"`);
  }
  return raw as T;
};

const hostPort = (raw: string): string => {
  if (!/^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$/.test(raw)) {
    throw new Error(`must be host:port (e.g. 127.0.0.1:7233), got "${raw}"`);
  }
  const port = Number(raw.slice(raw.lastIndexOf(":") + 1));
  if (port < 1 || port > 65535) throw new Error(`port must be 1 to 65535, got ${port}`);
  return raw;
};

/** A host name or an IPv4/IPv6 address to bind. */
const bindHost = (raw: string): string => {
  if (!/^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|[0-9A-Fa-f:.]+)$/.test(raw)) {
    throw new Error(
      `must be a host name or an IP address (e.g. 0.0.0.0, 127.0.0.1, ::), got "${raw}"`,
    );
  }
  return raw;
};

const httpUrl = (raw: string): string => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`must be an http(s) URL such as http://127.0.0.1:8233, got "${redact(raw)}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`must use http:// or https://, got "${redact(raw)}"`);
  }
  return raw.replace(/\/+$/, "");
};

const nonEmpty = (max: number) => (raw: string): string => {
  if (raw.trim().length === 0) throw new Error("must not be empty");
  if (raw.length > max) throw new Error(`must be at most ${max} characters`);
  return raw;
};

const clockTime = (raw: string): string => {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(raw);
  if (!m) throw new Error(`must be a time HH:MM (24 h), got "${raw}"`);
  return raw;
};

const timeZone = (raw: string): string => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: raw });
  } catch {
    throw new Error(`must be an IANA time zone (e.g. UTC, Europe/Berlin), got "${raw}"`);
  }
  return raw;
};

const duration = (raw: string): string => {
  if (!/^\d+(ms|s|m|h|d)$/.test(raw)) {
    throw new Error(`must be a duration such as 30m, 12h or 1d, got "${raw}"`);
  }
  return raw;
};

/** The dev server's UI beside its frontend (port 8233 for 7233), the default of TEMPORAL_UI_URL. */
function defaultUiUrl(address: string | undefined): string {
  const valid = address && /^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$/.test(address);
  const host = (valid ? address : DEFAULTS.TEMPORAL_ADDRESS).replace(/:\d+$/, "");
  return `http://${host}:8233`;
}

const envSchema = z.record(z.string(), z.string().optional());

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates the configuration; throws a ClaimsError(CONFIG_INVALID) naming every bad variable. */
export function loadConfig(env: Env): Config {
  // A copy: Node's process.env is not a plain object, and zod 4's record() rejects it.
  const vars = envSchema.parse({ ...env });
  const problems: string[] = [];

  function read<T>(name: string, fallback: string, parse: (raw: string) => T): T;
  function read<T>(name: string, fallback: undefined, parse: (raw: string) => T): T | undefined;
  function read<T>(
    name: string,
    fallback: string | undefined,
    parse: (raw: string) => T,
  ): T | undefined {
    const raw = vars[name];
    const value = raw === undefined || raw === "" ? fallback : raw;
    if (value === undefined) return undefined;
    try {
      return parse(value);
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
      return undefined;
    }
  }

  const config = {
    databaseUrl: read(
      "DATABASE_URL",
      DEFAULTS.DATABASE_URL,
      postgresUrl,
    ),
    databasePoolMax: read("DATABASE_POOL_MAX", "10", intIn(1, 500)),
    database: {
      // No legitimate statement of the worker or the CLI runs for minutes (verify and imports
      // work in pages); a stuck one is ended after 10. Migrations are exempt (migrate.ts).
      statementTimeoutMs: read("DATABASE_STATEMENT_TIMEOUT_MS", "600000", intIn(0, 86_400_000)),
      // A transaction waits on its client for milliseconds between statements; one that waits
      // a minute has a stopped or partitioned client, and its row locks block everyone else.
      idleInTransactionTimeoutMs: read(
        "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS",
        "60000",
        intIn(0, 86_400_000),
      ),
      tls: {
        mode: read("PGSSLMODE", undefined, sslMode),
        rootCert: read("PGSSLROOTCERT", undefined, nonEmpty(4096)),
        cert: read("PGSSLCERT", undefined, nonEmpty(4096)),
        key: read("PGSSLKEY", undefined, nonEmpty(4096)),
      } as PostgresTlsEnv,
    },
    redisUrl: read("REDIS_URL", DEFAULTS.REDIS_URL, redisUrl),
    redisTls: undefined as RedisTlsConfig | undefined,
    temporal: {
      address: read("TEMPORAL_ADDRESS", DEFAULTS.TEMPORAL_ADDRESS, hostPort),
      namespace: read("TEMPORAL_NAMESPACE", DEFAULTS.TEMPORAL_NAMESPACE, nonEmpty(255)),
      taskQueue: read("TEMPORAL_TASK_QUEUE", DEFAULTS.TEMPORAL_TASK_QUEUE, nonEmpty(255)),
      apiKey: read("TEMPORAL_API_KEY", undefined, nonEmpty(4096)),
      tls: undefined as TemporalTlsConfig | undefined,
      uiUrl: read("TEMPORAL_UI_URL", defaultUiUrl(vars["TEMPORAL_ADDRESS"]), httpUrl),
    },
    lock: {
      backend: read("LOCK_BACKEND", "redis", oneOf(["redis", "postgres"] as const)),
      ttlMs: read("LOCK_TTL_MS", "120000", intIn(100, 86_400_000)),
    },
    metricsPort: read("METRICS_PORT", "9464", intIn(0, 65535)),
    metricsHost: read("METRICS_HOST", "0.0.0.0", bindHost),
    metricsRunsIntervalMs: read("METRICS_RUNS_INTERVAL_MS", "60000", intIn(0, 86_400_000)),
    worker: {
      maxConcurrentActivities: read("WORKER_MAX_CONCURRENT_ACTIVITIES", "8", intIn(1, 1000)),
      maxConcurrentWorkflowTasks: read(
        "WORKER_MAX_CONCURRENT_WORKFLOW_TASKS",
        "10",
        intIn(2, 1000),
      ),
      // Defaults from bench/results/daily-run-sweep.json (make bench-daily-run-sweep): the
      // fastest of the settings swept for a daily run of 100,000 policies on 2 cores.
      batchSize: read("CLAIMS_BATCH_SIZE", "2000", intIn(1, 10_000)),
      batchConcurrency: read("CLAIMS_BATCH_CONCURRENCY", "4", intIn(1, 100)),
      pageSize: read("CLAIMS_PAGE_SIZE", "5000", intIn(1, 100_000)),
      chunkSize: read("CLAIMS_CHUNK_SIZE", "1000", intIn(1, 10_000)),
      heartbeatTimeoutMs: read("CLAIMS_HEARTBEAT_TIMEOUT_MS", "30000", intIn(1000, 3_600_000)),
      contentionDeadlineMs: read(
        "CLAIMS_CONTENTION_DEADLINE_MS",
        "900000",
        intIn(1000, 86_400_000),
      ),
      shutdownGraceMs: read("WORKER_SHUTDOWN_GRACE_MS", "30000", intIn(0, 3_600_000)),
    },
    schedule: {
      id: read("SCHEDULE_ID", "claims-daily", nonEmpty(200)),
      time: read("SCHEDULE_TIME", "13:00", clockTime),
      timezone: read("SCHEDULE_TIMEZONE", "UTC", timeZone),
      catchupWindow: read("SCHEDULE_CATCHUP_WINDOW", "1d", duration),
      overlap: read("SCHEDULE_OVERLAP", "BUFFER_ALL", oneOf(SCHEDULE_OVERLAP_POLICIES)),
    },
    logLevel: read("LOG_LEVEL", "info", oneOf(["debug", "info", "warn", "error"] as const)),
  };

  const redisTls: RedisTlsConfig = {
    caPath: read("REDIS_TLS_CA_PATH", undefined, nonEmpty(4096)),
    certPath: read("REDIS_TLS_CERT_PATH", undefined, nonEmpty(4096)),
    keyPath: read("REDIS_TLS_KEY_PATH", undefined, nonEmpty(4096)),
    serverName: read("REDIS_TLS_SERVER_NAME", undefined, nonEmpty(255)),
  };
  if (Boolean(redisTls.certPath) !== Boolean(redisTls.keyPath)) {
    problems.push(
      "REDIS_TLS_CERT_PATH/REDIS_TLS_KEY_PATH: set both (a client certificate) or neither",
    );
  }
  if (Object.values(redisTls).some(Boolean)) {
    if (config.redisUrl !== undefined && !config.redisUrl.startsWith("rediss://")) {
      problems.push(
        "REDIS_TLS_*: set only for TLS connections; REDIS_URL must then use rediss://",
      );
    }
    config.redisTls = redisTls;
  }
  const pgTls = config.database.tls;
  const urlParams = config.databaseUrl ? new URL(config.databaseUrl).searchParams : undefined;
  const certGiven = Boolean(urlParams?.get("sslcert") ?? pgTls.cert);
  const keyGiven = Boolean(urlParams?.get("sslkey") ?? pgTls.key);
  if (certGiven !== keyGiven) {
    problems.push(
      "sslcert/sslkey (DATABASE_URL or PGSSLCERT/PGSSLKEY): set both (a client certificate) " +
        "or neither",
    );
  }

  const tls: TemporalTlsConfig = {
    certPath: read("TEMPORAL_TLS_CERT_PATH", undefined, nonEmpty(4096)),
    keyPath: read("TEMPORAL_TLS_KEY_PATH", undefined, nonEmpty(4096)),
    caPath: read("TEMPORAL_TLS_CA_PATH", undefined, nonEmpty(4096)),
    serverName: read("TEMPORAL_TLS_SERVER_NAME", undefined, nonEmpty(255)),
  };
  if (Boolean(tls.certPath) !== Boolean(tls.keyPath)) {
    problems.push(
      "TEMPORAL_TLS_CERT_PATH/TEMPORAL_TLS_KEY_PATH: set both (mTLS client certificate) or neither",
    );
  }
  const tlsWanted = vars["TEMPORAL_TLS"] === "true" || Object.values(tls).some(Boolean) ||
    Boolean(config.temporal.apiKey);
  if (vars["TEMPORAL_TLS"] !== undefined && !["true", "false", ""].includes(vars["TEMPORAL_TLS"])) {
    problems.push(`TEMPORAL_TLS: must be true or false, got "${vars["TEMPORAL_TLS"]}"`);
  }
  if (tlsWanted && vars["TEMPORAL_TLS"] !== "false") config.temporal.tls = tls;

  // A crashed worker's locks run out only after LOCK_TTL_MS: a run that stopped retrying
  // before then would fail where waiting would have completed it.
  const deadline = config.worker.contentionDeadlineMs;
  const ttl = config.lock.ttlMs;
  if (deadline !== undefined && ttl !== undefined && deadline < 2 * ttl) {
    problems.push(
      `CLAIMS_CONTENTION_DEADLINE_MS: must be at least twice LOCK_TTL_MS (${ttl}), so that a ` +
        `crashed worker's locks run out before a run gives up; got ${deadline}`,
    );
  }

  if (problems.length > 0) {
    throw new ClaimsError(
      ErrorCodes.CONFIG_INVALID,
      `invalid configuration: ${problems.join("; ")}`,
    );
  }
  return config as Config;
}

/** A printable copy of the configuration with every secret redacted (for logs and `--help`). */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    databaseUrl: redact(config.databaseUrl),
    redisUrl: redact(config.redisUrl),
    temporal: { ...config.temporal, apiKey: config.temporal.apiKey ? "***" : undefined },
  };
}
