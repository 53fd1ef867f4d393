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
}

export function connectSql(url: string, options: ConnectOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    idle_timeout: options.idleTimeout ?? 30,
    connect_timeout: 10,
    prepare: options.prepare ?? true,
    onnotice: () => {},
    // BIGINT (int8) comes back as a JS bigint: money must never pass through a float.
    types: {
      bigint: postgres.BigInt,
    },
    connection: { application_name: options.applicationName ?? "claims" },
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
