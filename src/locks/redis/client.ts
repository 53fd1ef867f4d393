/**
 * The Redis client of the lock backend and the mapping of its failures to ClaimsErrors.
 */
import { Redis, type RedisOptions } from "ioredis";
import { ClaimsError, ErrorCodes } from "../../errors.ts";
import { redact } from "../../redact.ts";

/**
 * A client for the lock backend: few retries and a reply deadline, so a Redis outage or a
 * network partition surfaces as an error instead of a command that waits forever.
 */
export function connectLockRedis(
  url: string,
  name = "claims-locks",
  options: RedisOptions = {},
): Redis {
  const redis = new Redis(url, {
    ...options,
    connectionName: name,
    maxRetriesPerRequest: 2,
    connectTimeout: 5_000,
    commandTimeout: 5_000,
  });
  // Errors reach callers through the rejected commands; an unhandled 'error' event would
  // only print the same thing again (with the URL) to stderr.
  redis.on("error", () => {});
  return redis;
}

/** How long close() waits for Redis before it lets go (leases expire by themselves). */
export const CLOSE_WAIT_MS = 1_000;

/** True when `promise` settled (either way) within `ms`. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = promise.then(() => true, () => true);
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A Redis failure naming the action and the keys; ReplyError = Redis refused, else unreachable. */
export function serviceError(action: string, keys: readonly string[], error: unknown): ClaimsError {
  if (error instanceof ClaimsError) return error;
  const what = keys.length === 1 ? `"${keys[0]}"` : `${keys.length} keys`;
  const message = redact(error instanceof Error ? error.message : String(error));
  return new ClaimsError(
    (error as Error | null)?.name === "ReplyError"
      ? ErrorCodes.STORAGE_FAILED
      : ErrorCodes.SERVICE_UNAVAILABLE,
    `Redis lock backend: cannot ${action} ${what}: ${message}`,
    { cause: error },
  );
}
