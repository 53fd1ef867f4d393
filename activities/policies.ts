/** Pages through the ids of the policies whose coverage includes a date (keyset, ascending). */
import type { PageInput, PolicyIdPage } from "../src/temporal/shared.ts";
import type { ActivityDeps } from "./deps.ts";
import { toActivityFailure } from "./failures.ts";
import { PageInputSchema, parseInput } from "./inputs.ts";

/**
 * After a daily run or a rerun: planner statistics of the tables it grew, where autovacuum
 * has not refreshed them (see src/store/statistics.ts). Quick: ANALYZE samples each table.
 */
export function createRefreshStatistics(deps: ActivityDeps) {
  return async function refreshStatistics(): Promise<{ analyzed: string[] }> {
    try {
      const result = await deps.store.refreshStatistics?.() ?? { analyzed: [] };
      if (result.analyzed.length > 0) {
        deps.log?.info("planner statistics refreshed", { tables: result.analyzed });
      }
      return result;
    } catch (error) {
      throw toActivityFailure(error);
    }
  };
}

export function createListPolicyIds(deps: ActivityDeps) {
  return async function listPolicyIdsForDate(input: PageInput): Promise<PolicyIdPage> {
    const page = parseInput(PageInputSchema, input, "listPolicyIdsForDate");
    try {
      const ids = await deps.store.policyIdsCovering(page.claimDate, page.after, page.limit);
      return { ids, next: ids.length < page.limit ? null : ids[ids.length - 1]! };
    } catch (error) {
      throw toActivityFailure(error);
    }
  };
}
