/**
 * The dedicated PostgreSQL connection that holds session advisory locks. Session locks belong
 * to one server session, so they must never sit on a pooled connection that other code (or a
 * transaction-pooling proxy such as PgBouncer) could hand to someone else or recycle: here a
 * separate one-connection client with idle timeout and max lifetime switched off (postgres.js
 * otherwise retires a connection after 30-60 minutes, which would silently drop every lock),
 * or a connection reserved out of a caller's pool.
 *
 * Whoever holds locks on it must hear when the session ends: the one-connection client reports
 * its socket closing at once; a reserved connection has no such hook and is checked by the
 * lease keeper (which asks pg_locks what this session still holds).
 */
import postgres from "postgres";
import { driverOptions, type SessionSettings, type Sql } from "../../store/connection.ts";

export interface LockSession {
  /** Runs statements on the dedicated session (serially: one connection). */
  readonly sql: Sql | postgres.ReservedSql;
  /** Subscribes to the end of the session (its connection closed); returns the unsubscribe. */
  onLost(listener: (reason: string) => void): () => void;
  /** Ends the session: every session lock on it is released by the server. */
  close(): Promise<void>;
}

export interface SessionOptions {
  applicationName?: string | undefined;
  /** TLS and time limits (Config.database); its statement timeout applies, as elsewhere. */
  session?: SessionSettings | undefined;
}

/** A one-connection client of its own for `url`. */
export function openSessionFromUrl(url: string, options: SessionOptions = {}): LockSession {
  const listeners = new Set<(reason: string) => void>();
  let closing = false;
  const driver = driverOptions(url, options.session, options.applicationName ?? "claims-locks");
  const sql = postgres(driver.url, {
    ...driver.options,
    max: 1,
    idle_timeout: 0,
    max_lifetime: 0,
    connect_timeout: 10,
    connection: {
      ...driver.options.connection,
      // Fence upserts need not wait for the WAL flush: see statements.ts.
      synchronous_commit: "off",
    },
    onclose: () => {
      if (closing) return;
      for (const listener of [...listeners]) {
        listener("its PostgreSQL connection closed (session locks end with the session)");
      }
    },
  });
  return {
    sql,
    onLost(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closing = true;
      listeners.clear();
      await sql.end({ timeout: 5 });
    },
  };
}

/**
 * A connection reserved out of the caller's pool. Closing gives it back only after
 * `pg_advisory_unlock_all()` and resetting what we set, so nothing of ours (no lock, no
 * setting) travels with it to the pool's next user.
 */
export async function openSessionFromPool(pool: Sql): Promise<LockSession> {
  const reserved = await pool.reserve();
  try {
    await reserved`set synchronous_commit = off`;
  } catch (error) {
    reserved.release();
    throw error;
  }
  let released = false;
  return {
    sql: reserved,
    onLost: () => () => {},
    async close() {
      if (released) return;
      released = true;
      try {
        await reserved`select pg_advisory_unlock_all()`;
        await reserved`reset synchronous_commit`;
      } finally {
        reserved.release();
      }
    },
  };
}
