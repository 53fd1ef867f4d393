/**
 * Applies the drizzle-kit migrations in drizzle/ over one dedicated connection, under a
 * PostgreSQL advisory lock, so that any number of processes may start at the same moment and
 * the schema is applied exactly once. Creates the database first when it does not exist.
 */
import path from "node:path";
import fs from "node:fs";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate as drizzleMigrate } from "drizzle-orm/postgres-js/migrator";
import { appRoot } from "../app-layout.ts";
import { ClaimsError, ErrorCodes } from "../errors.ts";
import { redact } from "../redact.ts";
import { describeTlsFailure, POSTGRES_TLS } from "../tls/errors.ts";
import {
  connectSql,
  pgCode,
  PgCodes,
  type SessionSettings,
  splitDatabaseUrl,
} from "./connection.ts";
import { isConnectionLoss } from "./storage-errors.ts";

export const migrationsFolder = path.join(appRoot, "drizzle");

/** Advisory-lock key reserved for the migration runner (a fixed constant, documented in the README). */
export const MIGRATION_LOCK_KEY = 0x4c1a_7e3bn;

export interface MigrateResult {
  /** The database name from the URL. */
  database: string;
  /** This call created the database (it did not exist). */
  databaseCreated: boolean;
  /** Migrations this call applied (0 when another process had applied them, or none were new). */
  applied: number;
  /** Migrations in drizzle/ (all of them are applied when the call returns). */
  total: number;
}

/**
 * Migration sessions: no statement timeout (a migration may rewrite a large table, and the
 * runner waits on the advisory lock while another process migrates); the rest as configured.
 */
function migrationSession(session: SessionSettings): SessionSettings {
  return { ...session, statementTimeoutMs: 0 };
}

/** "cannot connect to PostgreSQL at URL: why" (a failed certificate check said so). */
export function cannotConnect(url: string, error: unknown): ClaimsError {
  const why = describeTlsFailure(error, POSTGRES_TLS) ?? (error as Error).message;
  return new ClaimsError(
    ErrorCodes.SERVICE_UNAVAILABLE,
    `cannot connect to PostgreSQL at ${redact(url)} (check DATABASE_URL and that the server ` +
      `runs): ${redact(why)}`,
    { cause: error },
  );
}

export async function ensureDatabase(url: string, session: SessionSettings = {}): Promise<boolean> {
  const { name, maintenanceUrl } = splitDatabaseUrl(url);
  const probe = connectSql(url, {
    max: 1,
    applicationName: "claims-migrate",
    session: migrationSession(session),
  });
  try {
    await probe`select 1`;
    return false;
  } catch (error) {
    if (error instanceof ClaimsError) throw error;
    if (pgCode(error) !== PgCodes.INVALID_CATALOG_NAME) throw cannotConnect(url, error);
  } finally {
    await probe.end({ timeout: 5 });
  }
  const admin = connectSql(maintenanceUrl, {
    max: 1,
    applicationName: "claims-migrate",
    session: migrationSession(session),
  });
  try {
    await admin.unsafe(`create database "${name.replaceAll('"', '""')}"`);
    return true;
  } catch (error) {
    // Several migrators racing: somebody else created it, which is what we wanted.
    const code = pgCode(error);
    if (code === PgCodes.DUPLICATE_DATABASE || code === PgCodes.UNIQUE_VIOLATION) return false;
    throw new ClaimsError(
      ErrorCodes.MIGRATION_FAILED,
      `cannot create database "${name}": ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** Migrations in drizzle/ (its journal's entries). */
export function journalEntries(): number {
  const journal = path.join(migrationsFolder, "meta", "_journal.json");
  if (!fs.existsSync(journal)) return 0;
  const parsed = JSON.parse(fs.readFileSync(journal, "utf8")) as { entries?: unknown[] };
  return parsed.entries?.length ?? 0;
}

/**
 * Creates the database when missing, then applies the pending migrations. Any number of
 * processes may call this at the same moment: the database is created once (a lost creation
 * race counts as "exists") and the migrations are applied once, under the advisory lock.
 */
export async function runMigrations(
  url: string,
  session: SessionSettings = {},
): Promise<MigrateResult> {
  const database = splitDatabaseUrl(url).name;
  const databaseCreated = await ensureDatabase(url, session);
  const total = journalEntries();
  const sql = connectSql(url, {
    max: 1,
    applicationName: "claims-migrate",
    session: migrationSession(session),
  });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    try {
      if (total === 0) return { database, databaseCreated, applied: 0, total };
      const before = await appliedCount(sql);
      await drizzleMigrate(drizzle(sql), { migrationsFolder });
      const after = await appliedCount(sql);
      return { database, databaseCreated, applied: after - before, total };
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    }
  } catch (error) {
    if (error instanceof ClaimsError) throw error;
    if (isConnectionLoss(pgCode(error))) {
      // The migration's transaction rolled back with the connection: run it again.
      throw new ClaimsError(
        ErrorCodes.SERVICE_UNAVAILABLE,
        `migration failed: lost the connection to PostgreSQL (${
          redact((error as Error).message)
        }); nothing of the interrupted migration was applied: run \`claims migrate\` again`,
        { cause: error },
      );
    }
    throw new ClaimsError(
      ErrorCodes.MIGRATION_FAILED,
      `migration failed: ${redact((error as Error).message)}`,
      { cause: error },
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Migrations recorded as applied in the database (0 before the first). */
export async function appliedCount(sql: ReturnType<typeof connectSql>): Promise<number> {
  const rows = await sql<{ n: number }[]>`
    select count(*)::int as n from information_schema.tables
    where table_schema = 'drizzle' and table_name = '__drizzle_migrations'`;
  if ((rows[0]?.n ?? 0) === 0) return 0;
  const applied = await sql<
    { n: number }[]
  >`select count(*)::int as n from drizzle.__drizzle_migrations`;
  return applied[0]?.n ?? 0;
}
