/**
 * How errors leave an activity. Temporal retries anything not marked non-retryable, so the
 * mapping decides what is worth another attempt: contention and service errors are, bad input
 * and unknown policies are not. The original error stays attached as `cause`.
 */
import { ApplicationFailure } from "@temporalio/activity";
import { ItemProblemTypes, type PolicyDayItem } from "../src/calc/policy-days.ts";
import { ClaimsError, ErrorCodes } from "../src/errors.ts";
import { redact } from "../src/redact.ts";
import { isTransientStorageError } from "../src/store/storage-errors.ts";
import { FailureTypes } from "../src/temporal/shared.ts";

/** An error thrown by the core (or below) as the activity's failure. */
export function toActivityFailure(error: unknown): unknown {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof ClaimsError) {
    switch (error.code) {
      case ErrorCodes.INPUT_INVALID:
        return ApplicationFailure.create({
          message: error.message,
          type: FailureTypes.INVALID_INPUT,
          nonRetryable: true,
          cause: error,
        });
      case ErrorCodes.POLICY_NOT_FOUND:
        return ApplicationFailure.create({
          message: error.message,
          type: FailureTypes.POLICY_NOT_FOUND,
          nonRetryable: true,
          cause: error,
        });
      case ErrorCodes.OUT_OF_COVERAGE:
        // The policy changed between load and write (a re-import shrank its coverage).
        return ApplicationFailure.create({
          message: error.message,
          type: FailureTypes.OUT_OF_COVERAGE,
          nonRetryable: true,
          cause: error,
        });
      case ErrorCodes.STORAGE_FAILED:
        // A refusal by the database (a constraint, say) comes back the same on every retry;
        // a deadlock, a timeout or a lost connection may not.
        return ApplicationFailure.create({
          message: redact(error.message),
          type: FailureTypes.STORAGE_FAILED,
          nonRetryable: !isTransientStorageError(error),
          cause: error,
        });
      default:
        return ApplicationFailure.create({
          message: redact(error.message),
          type: error.code,
          nonRetryable: false,
          cause: error,
        });
    }
  }
  // Cancellation and anything else unknown: let the SDK report it as it is (retryable).
  return error;
}

/** The failure of a single policy-day item that did not end computed/unchanged/stale. */
export function itemFailure(item: PolicyDayItem): ApplicationFailure {
  const message = item.problem?.message ?? `policy-day ${item.policyId}/${item.claimDate}`;
  switch (item.problem?.type) {
    case ItemProblemTypes.LOCK_CONTENDED:
      return ApplicationFailure.retryable(message, FailureTypes.LOCK_CONTENDED);
    case ItemProblemTypes.LEASE_LOST:
      return ApplicationFailure.retryable(message, FailureTypes.LEASE_LOST);
    case ItemProblemTypes.POLICY_NOT_FOUND:
      return ApplicationFailure.nonRetryable(
        `input.policyId: ${message}`,
        FailureTypes.POLICY_NOT_FOUND,
      );
    case ItemProblemTypes.OUT_OF_COVERAGE:
      return ApplicationFailure.nonRetryable(
        `input.claimDate: ${message}`,
        FailureTypes.OUT_OF_COVERAGE,
      );
    default:
      return ApplicationFailure.nonRetryable(message, item.problem?.type ?? "ComputeFailed");
  }
}
