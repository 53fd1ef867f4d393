/**
 * PostgreSQL connections: one pooled client for the application (postgres.js + Drizzle) and
 * helpers for the maintenance connection used to create a database.
 */
import postgres from "postgres";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { redact } from "../redact.ts";

export type Sql = postgres.Sql;

export interface Database {
  sql: Sql;
  db: PostgresJsDatabase;
  close(): Promise<void>;
}

export interface ConnectOptions {
  max?: number;
  applicationName?: string;
  /** Seconds an idle pooled connection is kept. */
  idleTimeout?: number;
}

export function connectSql(url: string, options: ConnectOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    idle_timeout: options.idleTimeout ?? 30,
    connect_timeout: 10,
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
  if (!name) throw new Error(`DATABASE_URL names no database: ${redact(url)}`);
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
} as const;

export function pgCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
