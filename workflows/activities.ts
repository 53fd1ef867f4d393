/**
 * Activity proxies with the timeouts and retry policies of this project. Types only come from
 * activities/: the workflow bundle must never contain activity code.
 */
import { proxyActivities, proxyLocalActivities } from "@temporalio/workflow";
import type { Activities } from "../activities/index.ts";
import { type ActivityTimeouts, DEFAULT_TIMEOUTS, FailureTypes } from "../src/temporal/shared.ts";

const NON_RETRYABLE = [
  FailureTypes.INVALID_INPUT,
  FailureTypes.POLICY_NOT_FOUND,
  FailureTypes.OUT_OF_COVERAGE,
];

/** The single policy-day activity: contention is retried with backoff until the lock frees. */
export function policyDayActivities(timeouts: ActivityTimeouts = DEFAULT_TIMEOUTS) {
  return proxyActivities<Pick<Activities, "calculatePolicyDay">>({
    startToCloseTimeout: timeouts.startToCloseTimeoutMs,
    heartbeatTimeout: timeouts.heartbeatTimeoutMs,
    // A crashed holder's lease expires after LOCK_TTL_MS (120 s by default): an hour of
    // retries outlasts any lease; after that the workflow fails loudly.
    scheduleToCloseTimeout: "1 hour",
    retry: {
      initialInterval: "200ms",
      backoffCoefficient: 2,
      maximumInterval: "10s",
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  });
}

/** The fan-out activities of the daily run and of reruns. */
export function fanOutActivities(timeouts: ActivityTimeouts = DEFAULT_TIMEOUTS) {
  const batch = proxyActivities<Pick<Activities, "calculatePolicyBatch">>({
    startToCloseTimeout: timeouts.startToCloseTimeoutMs,
    heartbeatTimeout: timeouts.heartbeatTimeoutMs,
    retry: {
      initialInterval: "1s",
      backoffCoefficient: 2,
      maximumInterval: "1 minute",
      // About a quarter of an hour of retries; then the batch is reported failed and the run
      // goes on with the other batches.
      maximumAttempts: 20,
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  });
  // A page: one indexed keyset query (milliseconds) that does not heartbeat. As a queued
  // activity, only its timeout moved it away from a dead worker, and the whole run waited
  // meanwhile (the chaos run saw a killed worker stall a rerun for the full 2 minutes it was).
  const pageOptions = {
    startToCloseTimeout: "30 seconds",
    retry: {
      initialInterval: "1s",
      backoffCoefficient: 2,
      maximumInterval: "1 minute",
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  };
  // Housekeeping: a few tries, then the run finishes without it (the next run tries again).
  const maintenanceOptions = {
    startToCloseTimeout: "5 minutes",
    retry: { initialInterval: "1s", backoffCoefficient: 2, maximumAttempts: 3 },
  };
  // Activity proxies are Proxies: pick their functions, spreading them copies nothing.
  const pages = proxyActivities<Pick<Activities, "listPolicyIdsForDate">>(pageOptions);
  const maintenance = proxyActivities<Pick<Activities, "refreshStatistics">>(maintenanceOptions);
  // The same two as local activities: they run on the worker that runs the workflow task, with
  // no task queue round trip. A page or a statistics check is a short query, and each queue
  // round trip costs a run up to two dispatches (seen at 40 ms each on the dev server once a
  // queue had served a few runs), several times per run. A worker that dies meanwhile fails
  // its workflow task, and the next worker runs the query again.
  const localPages = proxyLocalActivities<Pick<Activities, "listPolicyIdsForDate">>(pageOptions);
  const localMaintenance = proxyLocalActivities<Pick<Activities, "refreshStatistics">>(
    maintenanceOptions,
  );
  return {
    calculatePolicyBatch: batch.calculatePolicyBatch,
    listPolicyIdsForDate: pages.listPolicyIdsForDate,
    refreshStatistics: maintenance.refreshStatistics,
    listPolicyIdsForDateLocally: localPages.listPolicyIdsForDate,
    refreshStatisticsLocally: localMaintenance.refreshStatistics,
  };
}
