/**
 * Errors with stable, documented codes. Every error a user or an operator can cause carries a
 * code (for scripts and tests) and a one-line message that names the bad value and the fix;
 * the original error, when there is one, is kept as `cause`.
 */
export const ErrorCodes = {
  CONFIG_INVALID: "CONFIG_INVALID",
  INPUT_INVALID: "INPUT_INVALID",
  STALE_FENCE: "STALE_FENCE",
  POLICY_NOT_FOUND: "POLICY_NOT_FOUND",
  OUT_OF_COVERAGE: "OUT_OF_COVERAGE",
  LOCK_NOT_ACQUIRED: "LOCK_NOT_ACQUIRED",
  LOCK_LOST: "LOCK_LOST",
  /** A policy changed between a computation's read and its write: compute it again. */
  POLICY_CHANGED: "POLICY_CHANGED",
  STORAGE_FAILED: "STORAGE_FAILED",
  MIGRATION_FAILED: "MIGRATION_FAILED",
  SERVICE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class ClaimsError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = "ClaimsError";
  }
}

/** True when `error` is a ClaimsError with the given code. */
export function hasCode(error: unknown, code: ErrorCode): error is ClaimsError {
  return error instanceof ClaimsError && error.code === code;
}
