/**
 * The activities of the claims worker, built from their dependencies. Workflows import the
 * `Activities` type only (never this code): activities do I/O, workflows must not.
 */
import { createCalculateBatch } from "./calculate-batch.ts";
import { createCalculatePolicyDay } from "./calculate-policy-day.ts";
import type { ActivityDeps } from "./deps.ts";
import { createListPolicyIds, createRefreshStatistics } from "./policies.ts";

export type { ActivityConfig, ActivityDeps } from "./deps.ts";

export function createActivities(deps: ActivityDeps) {
  return {
    calculatePolicyDay: createCalculatePolicyDay(deps),
    calculatePolicyBatch: createCalculateBatch(deps),
    listPolicyIdsForDate: createListPolicyIds(deps),
    refreshStatistics: createRefreshStatistics(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
