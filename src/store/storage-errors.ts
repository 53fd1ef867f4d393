/**
 * Database failures as ClaimsErrors: a one-line message naming what was being done and the
 * PostgreSQL error (code and text, never the query's parameters), the driver error as `cause`.
 * Lost connections are SERVICE_UNAVAILABLE; everything else the database refused is
 * STORAGE_FAILED. `isTransientStorageError` tells a caller (a Temporal activity) what is worth
 * retrying.
 */
import { ClaimsError, ErrorCodes } from "../errors.ts";
import { redact } from "../redact.ts";
import { describeTlsFailure, POSTGRES_TLS } from "../tls/errors.ts";
import { pgCode, PgCodes, rootDatabaseError } from "./connection.ts";

/** postgres.js raises these (as `code`) when the socket, not the server, failed. */
const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
]);

const TRANSIENT_SQLSTATES: ReadonlySet<string> = new Set([
  PgCodes.SERIALIZATION_FAILURE,
  PgCodes.DEADLOCK_DETECTED,
  PgCodes.LOCK_NOT_AVAILABLE,
  PgCodes.QUERY_CANCELED,
  PgCodes.ADMIN_SHUTDOWN,
  PgCodes.CRASH_SHUTDOWN,
  PgCodes.CANNOT_CONNECT_NOW,
  PgCodes.TOO_MANY_CONNECTIONS,
]);

/** True for the codes of a lost or refused connection (the driver's or PostgreSQL's). */
export function isConnectionLoss(code: string | undefined): boolean {
  if (code === undefined) return false;
  return CONNECTION_ERROR_CODES.has(code) || code.startsWith("08") ||
    code === PgCodes.ADMIN_SHUTDOWN || code === PgCodes.CRASH_SHUTDOWN ||
    code === PgCodes.CANNOT_CONNECT_NOW;
}

/**
 * True when running the same operation again may succeed: a lost or refused connection, a
 * deadlock or serialization failure, a lock or statement timeout. Refusals by constraints or
 * bad input are not transient; neither are ClaimsErrors about the input (POLICY_NOT_FOUND …).
 */
export function isTransientStorageError(error: unknown): boolean {
  if (error instanceof ClaimsError) {
    if (error.code === ErrorCodes.SERVICE_UNAVAILABLE) return true;
    if (error.code !== ErrorCodes.STORAGE_FAILED) return false;
    return error.cause !== undefined && isTransientStorageError(error.cause);
  }
  const code = pgCode(error);
  return code !== undefined && (TRANSIENT_SQLSTATES.has(code) || isConnectionLoss(code));
}

/** Which setting ended the statement or session, when one of ours did. */
function timeoutHint(code: string | undefined, message: string): string {
  if (code === PgCodes.QUERY_CANCELED && /statement timeout/.test(message)) {
    return "; the limit is DATABASE_STATEMENT_TIMEOUT_MS (0 turns it off)";
  }
  if (code === PgCodes.IDLE_IN_TRANSACTION_TIMEOUT) {
    return "; the limit is DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS (0 turns it off)";
  }
  return "";
}

/**
 * Wraps a failure of `what` (e.g. "writing 500 policy-days") as a ClaimsError; ClaimsErrors
 * pass through unchanged. The cause is the driver's error, not Drizzle's wrapper around it.
 */
export function storageError(what: string, error: unknown): ClaimsError {
  if (error instanceof ClaimsError) return error;
  const root = rootDatabaseError(error);
  const tls = describeTlsFailure(root, POSTGRES_TLS);
  if (tls !== undefined) {
    return new ClaimsError(ErrorCodes.SERVICE_UNAVAILABLE, redact(`${what} failed: ${tls}`), {
      cause: root,
    });
  }
  const code = pgCode(root);
  const message = root instanceof Error ? root.message : String(root);
  const detail = (code && !message.includes(code) ? `${message} (${code})` : message) +
    timeoutHint(code, message);
  const lost = isConnectionLoss(code);
  return new ClaimsError(
    lost ? ErrorCodes.SERVICE_UNAVAILABLE : ErrorCodes.STORAGE_FAILED,
    redact(
      lost
        ? `${what} failed: lost the connection to PostgreSQL (${detail})`
        : `${what} failed: ${detail}`,
    ),
    { cause: root },
  );
}
