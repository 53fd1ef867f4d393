/**
 * What the operator data commands (import, seed, report, verify, rerun) share: a checked
 * database connection for the length of one command. Loaded by their actions only: it brings
 * postgres.js and Drizzle.
 */
import { ClaimsError, ErrorCodes } from "../../errors.ts";
import { redact } from "../../redact.ts";
import { connectDatabase, type Database, pgCode } from "../../store/connection.ts";
import { storageError } from "../../store/storage-errors.ts";
import { describeTlsFailure, POSTGRES_TLS } from "../../tls/errors.ts";
import type { CliContext } from "../context.ts";

/**
 * Opens the configured database, checks that it answers and is migrated, runs `fn`, closes.
 * Unreachable → SERVICE_UNAVAILABLE (exit 3); any other database failure → STORAGE_FAILED.
 */
export async function withDatabase<T>(
  ctx: CliContext,
  what: string,
  fn: (database: Database) => Promise<T>,
): Promise<T> {
  const config = ctx.config();
  const database = connectDatabase(config.databaseUrl, {
    max: Math.min(config.databasePoolMax, 4),
    applicationName: "claims-cli",
    session: config.database,
  });
  try {
    let migrated: boolean;
    try {
      const [row] = await database.sql<{ ok: boolean }[]>`
        select to_regclass('public.claims') is not null
           and to_regclass('public.calculation_ledger') is not null as ok`;
      migrated = row?.ok === true;
    } catch (error) {
      if (error instanceof ClaimsError) throw error; // a TLS file that cannot be read
      const why = describeTlsFailure(error, POSTGRES_TLS) ?? (error as Error).message;
      throw new ClaimsError(
        ErrorCodes.SERVICE_UNAVAILABLE,
        `cannot reach PostgreSQL at ${redact(config.databaseUrl)} (check DATABASE_URL and ` +
          `that the server runs): ${redact(why)}`,
        { cause: error },
      );
    }
    if (!migrated) {
      throw new ClaimsError(
        ErrorCodes.SERVICE_UNAVAILABLE,
        `the database at ${redact(config.databaseUrl)} has no claims schema: run ` +
          "`claims migrate` first",
      );
    }
    try {
      return await fn(database);
    } catch (error) {
      // Database failures get a one-line message; anything else (usage errors) passes through.
      if (!(error instanceof ClaimsError) && pgCode(error) !== undefined) {
        throw storageError(what, error);
      }
      throw error;
    }
  } finally {
    await database.close();
  }
}
