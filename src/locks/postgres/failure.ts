/** PostgreSQL failures of the lock backend as ClaimsErrors naming the action and the keys. */
import { ClaimsError, ErrorCodes } from "../../errors.ts";
import { redact } from "../../redact.ts";

const UNDEFINED_TABLE = "42P01";

export function pgLockFailure(
  action: string,
  keys: readonly string[],
  error: unknown,
): ClaimsError {
  if (error instanceof ClaimsError) return error;
  const what = keys.length === 1 ? `"${keys[0]}"` : `${keys.length} keys`;
  const message = redact(error instanceof Error ? error.message : String(error));
  const code = (error as { code?: unknown } | null)?.code;
  if (code === UNDEFINED_TABLE) {
    return new ClaimsError(
      ErrorCodes.STORAGE_FAILED,
      `PostgreSQL lock backend: cannot ${action} ${what}: ${message} (run "claims migrate" first)`,
      { cause: error },
    );
  }
  // A server error has a five-character SQLSTATE; anything else is the connection, and so are
  // class 08 (connection exception) and 57P0x (server shutting down, session terminated).
  const serverError = typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) &&
    !/^(08|57P0)/.test(code);
  return new ClaimsError(
    serverError ? ErrorCodes.STORAGE_FAILED : ErrorCodes.SERVICE_UNAVAILABLE,
    `PostgreSQL lock backend: cannot ${action} ${what}: ${message}`,
    { cause: error },
  );
}
