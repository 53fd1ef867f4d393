/**
 * Leadership: at most one process at a time does something (e.g. owns a singleton job). A
 * PostgreSQL session lock on a dedicated connection, so it ends by itself when the leader's
 * process or connection dies, and the guard's signal fires when its connection drops.
 *
 * It never waits: a second candidate fails AT ONCE with LockNotAcquiredError (naming the
 * current leader when known) and decides for itself whether and when to try again.
 */
import type { Sql } from "../../store/connection.ts";
import { LockNotAcquiredError } from "../errors.ts";
import { leaderLockKey } from "../keys.ts";
import { PostgresLockBackend } from "./backend.ts";

export interface LeadershipGuard {
  readonly name: string;
  /** `lock:leader:<name>` (listed by `claims locks`). */
  readonly key: string;
  readonly holder: string;
  /** Strictly increasing per leadership: a deposed leader's writes can be refused with it. */
  readonly fencingToken: bigint;
  readonly acquiredAt: number;
  /** Fires when leadership is lost (connection dropped or terminated). */
  readonly signal: AbortSignal;
  /** Ends the leadership and its connection; false when it had already been lost. */
  release(): Promise<boolean>;
}

export interface LeadershipOptions {
  holder?: string | undefined;
  /** How often the guard asks the server that its session still holds the lock (default 5 s). */
  checkIntervalMs?: number | undefined;
  applicationName?: string | undefined;
}

/**
 * Takes leadership `name` on a dedicated connection: a one-connection client of its own for a
 * URL (recommended), or a connection reserved out of a pool.
 */
export async function acquireLeadership(
  source: string | Sql,
  name: string,
  options: LeadershipOptions = {},
): Promise<LeadershipGuard> {
  const key = leaderLockKey(name);
  const backend = new PostgresLockBackend({
    ...(typeof source === "string" ? { url: source } : { sql: source }),
    ttlMs: (options.checkIntervalMs ?? 5_000) * 3,
    holder: options.holder,
    applicationName: options.applicationName ?? "claims-leader",
  });
  try {
    const lease = await backend.tryAcquire(key);
    if (!lease) {
      const [current] = await backend.list(key).catch(() => []);
      throw new LockNotAcquiredError(
        key,
        `leadership "${name}" is held by ${current?.holder ?? "another process"}`,
      );
    }
    // Lost means over: give the connection back without waiting for release().
    lease.signal.addEventListener("abort", () => void backend.close(), { once: true });
    return {
      name,
      key,
      holder: lease.holder,
      fencingToken: lease.fencingToken,
      acquiredAt: lease.acquiredAt,
      signal: lease.signal,
      async release() {
        const released = await lease.release().catch(() => false);
        await backend.close();
        return released;
      },
    };
  } catch (error) {
    await backend.close();
    throw error;
  }
}
