/** The lock backend the configuration asks for (LOCK_BACKEND: redis, the default, or postgres). */
import type { Redis } from "ioredis";
import type { Config } from "../config.ts";
import { redisTlsOptions } from "../tls/redis.ts";
import type { LockBackend } from "./contract.ts";
import { PostgresLockBackend } from "./postgres/backend.ts";
import { RedisLockBackend } from "./redis/backend.ts";

export type LockBackendConfig =
  & Pick<Config, "lock" | "redisUrl" | "databaseUrl">
  & Partial<Pick<Config, "database" | "redisTls">>;

export interface LockBackendDeps {
  /** A Redis client to share (left open by close()); otherwise one is opened from REDIS_URL. */
  redis?: Redis | undefined;
  /** Default holder identity (see holderId()). */
  holder?: string | undefined;
}

/**
 * PostgreSQL always gets a dedicated connection of its own from DATABASE_URL: session locks
 * must not live on a pooled connection.
 */
export function createLockBackend(
  config: LockBackendConfig,
  deps: LockBackendDeps = {},
): LockBackend {
  switch (config.lock.backend) {
    case "redis":
      return new RedisLockBackend({
        redis: deps.redis,
        url: deps.redis ? undefined : config.redisUrl,
        clientOptions: deps.redis ? undefined : redisTlsOptions(config.redisUrl, config.redisTls),
        ttlMs: config.lock.ttlMs,
        holder: deps.holder,
      });
    case "postgres":
      return new PostgresLockBackend({
        url: config.databaseUrl,
        session: config.database,
        ttlMs: config.lock.ttlMs,
        holder: deps.holder,
      });
  }
}
