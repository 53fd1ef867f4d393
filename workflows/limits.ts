/** History limits and the validation of fan-out options shared by the daily run and reruns. */
import { ApplicationFailure, workflowInfo } from "@temporalio/workflow";
import { FailureTypes, type FanOutOptions } from "../src/temporal/shared.ts";

/**
 * Well below the server's hard limits (50,000 events / 50 MB): a run continues as new at this
 * many events, or earlier when the server suggests it (history size, event count).
 */
export const DEFAULT_HISTORY_EVENTS_LIMIT = 10_000;

export function historyIsLong(limit: number = DEFAULT_HISTORY_EVENTS_LIMIT): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= limit;
}

function positiveInt(name: string, value: unknown, max: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw ApplicationFailure.nonRetryable(
      `${name}: must be an integer from 1 to ${max}, got ${JSON.stringify(value)}`,
      FailureTypes.INVALID_INPUT,
    );
  }
}

export function checkFanOutOptions(options: FanOutOptions): void {
  positiveInt("batchSize", options.batchSize, 10_000);
  positiveInt("batchConcurrency", options.batchConcurrency, 100);
  positiveInt("pageSize", options.pageSize, 100_000);
  if (options.historyEventsLimit !== undefined) {
    positiveInt("historyEventsLimit", options.historyEventsLimit, 40_000);
  }
  if (options.contentionDeadlineMs !== undefined) {
    positiveInt("contentionDeadlineMs", options.contentionDeadlineMs, 86_400_000);
  }
}
