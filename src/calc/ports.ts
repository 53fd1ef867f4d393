/**
 * What the calculation core needs from storage, as a narrow interface: the worker binds it to
 * PostgreSQL (src/calc/store-adapter.ts); tests bind it to the same code with a fault injected.
 */
import type { PolicyDayBatch } from "../store/policy-day-inputs.ts";
import type { PolicyDayOutcome, PolicyDayWrite } from "../store/policy-day-types.ts";

export type { PolicyDayBatch };

export interface CalcStore {
  /** Each found policy covering `claimDate` with the events of its local day; the rest listed. */
  loadPolicyDays(claimDate: string, policyIds: readonly string[]): Promise<PolicyDayBatch>;
  /**
   * Fenced writes in one transaction (sorted row locks); one outcome per write, same order.
   * Rolls back and throws LOCK_LOST when `signal` aborts before the commit.
   */
  writePolicyDays(
    writes: PolicyDayWrite[],
    options?: { signal?: AbortSignal | undefined },
  ): Promise<PolicyDayOutcome[]>;
  /** Ids of policies whose coverage includes `claimDate`, ascending (COLLATE "C"), after `after`. */
  policyIdsCovering(claimDate: string, after: string | null, limit: number): Promise<string[]>;
  /** Those of `policyIds` that do not exist. */
  missingPolicyIds(policyIds: readonly string[]): Promise<string[]>;
  /**
   * Brings planner statistics of the tables the calculation grows up to date where they lag
   * (src/store/statistics.ts); returns the tables analyzed. Optional: stores without planner
   * statistics have nothing to do.
   */
  refreshStatistics?(): Promise<{ analyzed: string[] }>;
}
