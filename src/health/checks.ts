/**
 * One check per dependency, bounded in time, shared by the start-up checks (which turn a
 * failure into a StartupError naming the fix) and the readiness monitor (which only needs to
 * know whether it answered). Each throws when the dependency does not answer within `timeoutMs`.
 */
import type { Redis } from "ioredis";
import type { NativeConnection } from "@temporalio/worker";
import type { Sql } from "../store/connection.ts";
import { appliedCount, journalEntries } from "../store/migrate.ts";

export class CheckTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`);
    this.name = "CheckTimeout";
  }
}

/** `work`, or a CheckTimeout after `ms` (the work itself goes on and is ignored). */
export async function within<T>(what: string, ms: number, work: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout(what, ms)), ms);
  });
  const running = work();
  running.catch(() => undefined);
  try {
    return await Promise.race([running, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function checkPostgres(sql: Sql, timeoutMs: number): Promise<void> {
  await within("PostgreSQL", timeoutMs, () => sql`select 1`);
}

/** Migrations applied and in drizzle/: the schema is current when they are equal. */
export async function migrationState(sql: Sql): Promise<{ applied: number; total: number }> {
  return { applied: await appliedCount(sql), total: journalEntries() };
}

/**
 * Redis answers PING. A client that is not connected fails at once: ioredis would queue the
 * command until it reconnects, which is exactly the wait a readiness probe must not hide.
 */
export async function checkRedis(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status !== "ready" && redis.status !== "connect") {
    throw new Error(`the connection is ${redis.status}`);
  }
  await within("Redis", timeoutMs, () => redis.ping());
}

/** The namespace exists (DescribeNamespace answers), which also proves the frontend answers. */
export async function checkTemporal(
  connection: NativeConnection,
  namespace: string,
  timeoutMs: number,
): Promise<void> {
  await within(
    "Temporal",
    timeoutMs,
    () =>
      connection.withDeadline(
        Date.now() + timeoutMs,
        () => connection.workflowService.describeNamespace({ namespace }),
      ),
  );
}
