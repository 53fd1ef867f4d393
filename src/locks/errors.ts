/**
 * The two ways a lock can fail its caller, as ClaimsErrors with stable codes: it could not be
 * taken (LOCK_NOT_ACQUIRED: contention, retry later) or it was lost while held (LOCK_LOST:
 * stop before writing; the fencing token would be refused anyway).
 */
import { ClaimsError, ErrorCodes } from "../errors.ts";

export class LockNotAcquiredError extends ClaimsError {
  readonly key: string;

  constructor(key: string, detail = "held by another holder", options?: { cause?: unknown }) {
    super(ErrorCodes.LOCK_NOT_ACQUIRED, `lock "${key}" not acquired: ${detail}`, options);
    this.name = "LockNotAcquiredError";
    this.key = key;
  }
}

export class LockLostError extends ClaimsError {
  readonly key: string;

  constructor(key: string, reason: string, options?: { cause?: unknown }) {
    super(ErrorCodes.LOCK_LOST, `lock "${key}" lost: ${reason}`, options);
    this.name = "LockLostError";
    this.key = key;
  }
}
