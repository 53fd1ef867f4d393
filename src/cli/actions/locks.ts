/**
 * The body of `claims locks` (src/cli/commands/locks.ts): Redis `lock:*` keys and PostgreSQL
 * advisory locks, as a table or JSON.
 */
import { Redis } from "ioredis";
import { ClaimsError, ErrorCodes } from "../../errors.ts";
import type { LockInfo } from "../../locks/contract.ts";
import { LOCK_KEY_PREFIX } from "../../locks/keys.ts";
import { listPostgresLocks } from "../../locks/postgres/list.ts";
import { listRedisLocks } from "../../locks/redis/list.ts";
import type { Config } from "../../config.ts";
import { redact } from "../../redact.ts";
import { connectSql } from "../../store/connection.ts";
import { describeTlsFailure, POSTGRES_TLS, REDIS_TLS, type TlsService } from "../../tls/errors.ts";
import { redisTlsOptions } from "../../tls/redis.ts";
import type { Source } from "../commands/locks.ts";
import type { CliContext } from "../context.ts";
import { renderTable } from "../format.ts";
import { writeJson } from "../io.ts";

export interface LocksOptions {
  json?: boolean;
  backend: Source;
  prefix?: string;
}

function unreachable(
  service: TlsService,
  variable: string,
  url: string,
  error: unknown,
): ClaimsError {
  if (error instanceof ClaimsError) return error; // a TLS file that cannot be read
  const detail = describeTlsFailure(error, service) ??
    (error instanceof Error && error.message ? error.message : String(error));
  return new ClaimsError(
    ErrorCodes.SERVICE_UNAVAILABLE,
    `cannot reach ${service.service} at ${
      redact(url)
    } (check ${variable} and that the server runs): ${redact(detail)}`,
    { cause: error },
  );
}

async function redisLocks(config: Config, prefix: string): Promise<LockInfo[]> {
  const url = config.redisUrl;
  // One attempt, no reconnect loop: an operator command should fail fast and say why.
  const redis = new Redis(url, {
    ...redisTlsOptions(url, config.redisTls),
    lazyConnect: true,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectionName: "claims-cli",
  });
  // connect() only says "Connection is closed"; the 'error' event has the reason (ECONNREFUSED…).
  let reason: unknown;
  redis.on("error", (error: unknown) => {
    reason ??= error;
  });
  try {
    await redis.connect();
    return await listRedisLocks(redis, prefix);
  } catch (error) {
    throw unreachable(REDIS_TLS, "REDIS_URL", url, reason ?? error);
  } finally {
    redis.disconnect();
  }
}

async function postgresLocks(config: Config, prefix: string | undefined): Promise<LockInfo[]> {
  const url = config.databaseUrl;
  const sql = connectSql(url, { max: 1, applicationName: "claims-cli", session: config.database });
  try {
    return await listPostgresLocks(sql, prefix);
  } catch (error) {
    throw unreachable(POSTGRES_TLS, "DATABASE_URL", url, error);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** 75 → "75ms", 4_200 → "4.2s", 125_000 → "2m05s", 7_500_000 → "2h05m". */
export function formatDuration(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) {
    return `${minutes}m${String(Math.floor((ms % 60_000) / 1_000)).padStart(2, "0")}s`;
  }
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

export async function run(ctx: CliContext, options: LocksOptions): Promise<void> {
  const config = ctx.config();
  const [fromRedis, fromPostgres] = await Promise.all([
    options.backend === "postgres" ? [] : redisLocks(config, options.prefix ?? LOCK_KEY_PREFIX),
    options.backend === "redis" ? [] : postgresLocks(config, options.prefix),
  ]);
  const locks = [...fromRedis, ...fromPostgres];
  if (options.json) {
    writeJson(ctx.io.stdout, locks);
    return;
  }
  if (locks.length === 0) {
    ctx.io.stdout.write("no locks held\n");
    return;
  }
  const now = Date.now();
  ctx.io.stdout.write(renderTable<LockInfo>([
    { header: "BACKEND", value: (lock) => lock.backend },
    { header: "KEY", value: (lock) => lock.key },
    { header: "HOLDER", value: (lock) => lock.holder ?? "-" },
    {
      header: "AGE",
      value: (lock) => formatDuration(lock.since === null ? null : now - lock.since),
      align: "right",
    },
    { header: "TTL", value: (lock) => formatDuration(lock.ttlMs), align: "right" },
    { header: "TOKEN", value: (lock) => lock.fencingToken ?? "-", align: "right" },
  ], locks));
}
