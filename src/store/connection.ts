/**
 * PostgreSQL connections: one pooled client for the application (postgres.js + Drizzle) and
 * helpers for the maintenance connection used to create a database.
 */
import postgres from "postgres";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { PostgresJsQueryResultHKT } from "drizzle-orm/postgres-js";
import type { PgDatabase } from "drizzle-orm/pg-core";
import { ClaimsError, ErrorCodes } from "../errors.ts";
import { redact } from "../redact.ts";
import { postgresDriverTls, type PostgresTlsEnv } from "../tls/postgres.ts";

export type Sql = postgres.Sql;

/**
 * The Drizzle handle every repository function takes (`Database.db`), with the postgres.js
 * client it wraps (`$client`, for the few hot reads that skip Drizzle's row mapping).
 */
export type Db = PostgresJsDatabase & { $client: Sql };

/** A Drizzle handle or an open Drizzle transaction: internal statements run on either. */
export type Executor = PgDatabase<PostgresJsQueryResultHKT>;

export interface Database {
  sql: Sql;
  db: Db;
  close(): Promise<void>;
}

export interface ConnectOptions {
  max?: number;
  applicationName?: string;
  /** Seconds an idle pooled connection is kept. */
  idleTimeout?: number;
  /**
   * Named prepared statements (default true): the write path's statements are then parsed
   * once per connection and pipelined. Set false behind a transaction-pooling proxy
   * (PgBouncer in transaction mode), which cannot keep a statement on one backend.
   */
  prepare?: boolean;
  /** Session settings and TLS from the configuration (Config.database). */
  session?: SessionSettings | undefined;
}

/**
 * What every session is opened with: time limits (sent as startup parameters, so they hold
 * from the first statement; 0 leaves the server's or role's own setting) and the TLS settings
 * of the environment (PGSSLROOTCERT …; DATABASE_URL's own parameters win).
 */
export interface SessionSettings {
  statementTimeoutMs?: number | undefined;
  idleInTransactionTimeoutMs?: number | undefined;
  tls?: PostgresTlsEnv | undefined;
}

/** Startup parameters of a session; a timeout of 0 (or none) is not sent. */
export function sessionParameters(session: SessionSettings = {}): Record<string, string> {
  const out: Record<string, string> = {};
  if (session.statementTimeoutMs) out["statement_timeout"] = String(session.statementTimeoutMs);
  if (session.idleInTransactionTimeoutMs) {
    out["idle_in_transaction_session_timeout"] = String(session.idleInTransactionTimeoutMs);
  }
  return out;
}

/**
 * The postgres.js options every client of this project shares: the URL without its TLS
 * parameters, TLS as libpq reads them (src/tls/postgres.ts), the session's startup
 * parameters, and BIGINT (int8) as a JS bigint (money must never pass through a float).
 */
export function driverOptions(
  url: string,
  session: SessionSettings = {},
  applicationName = "claims",
): { url: string; options: postgres.Options<Record<string, postgres.PostgresType>> } {
  const tls = postgresDriverTls(url, session.tls);
  return {
    url: tls.url,
    options: {
      ssl: tls.ssl,
      onnotice: () => {},
      types: { bigint: postgres.BigInt },
      connection: { application_name: applicationName, ...sessionParameters(session) },
    },
  };
}

export function connectSql(url: string, options: ConnectOptions = {}): Sql {
  const driver = driverOptions(url, options.session, options.applicationName ?? "claims");
  return postgres(driver.url, {
    ...driver.options,
    max: options.max ?? 10,
    idle_timeout: options.idleTimeout ?? 30,
    connect_timeout: 10,
    prepare: options.prepare ?? true,
  });
}

export function connectDatabase(url: string, options: ConnectOptions = {}): Database {
  const sql = connectSql(url, options);
  const db = drizzle(sql);
  return { sql, db, close: () => sql.end({ timeout: 5 }) };
}

/** The database name of a postgres:// URL and the same URL pointed at the `postgres` database. */
export function splitDatabaseUrl(url: string): { name: string; maintenanceUrl: string } {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (!name) {
    throw new ClaimsError(
      ErrorCodes.CONFIG_INVALID,
      `DATABASE_URL names no database (add one, e.g. /claims): ${redact(url)}`,
    );
  }
  parsed.pathname = "/postgres";
  return { name, maintenanceUrl: parsed.toString() };
}

/** PostgreSQL error codes this project reacts to by name. */
export const PgCodes = {
  UNIQUE_VIOLATION: "23505",
  DUPLICATE_DATABASE: "42P04",
  INVALID_CATALOG_NAME: "3D000",
  ADMIN_SHUTDOWN: "57P01",
  SERIALIZATION_FAILURE: "40001",
  DEADLOCK_DETECTED: "40P01",
  LOCK_NOT_AVAILABLE: "55P03",
  QUERY_CANCELED: "57014",
  IDLE_IN_TRANSACTION_TIMEOUT: "25P03",
  CHECK_VIOLATION: "23514",
  FOREIGN_KEY_VIOLATION: "23503",
  CRASH_SHUTDOWN: "57P02",
  CANNOT_CONNECT_NOW: "57P03",
  TOO_MANY_CONNECTIONS: "53300",
} as const;

/**
 * The error PostgreSQL (or the driver) raised, under any wrappers: Drizzle wraps driver errors
 * in a `DrizzleQueryError` whose message carries the whole query and its parameters, which
 * must not end up in our messages; the driver error is its `cause`.
 */
export function rootDatabaseError(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 8; depth++) {
    if (typeof (current as { code?: unknown } | null)?.code === "string") return current;
    const cause = (current as { cause?: unknown } | null)?.cause;
    if (cause === undefined || cause === null) return current;
    current = cause;
  }
  return current;
}

/** The SQLSTATE (or postgres.js connection error code) of an error, looking through wrappers. */
export function pgCode(error: unknown): string | undefined {
  const code = (rootDatabaseError(error) as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
