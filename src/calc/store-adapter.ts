/** The calculation core's storage port bound to PostgreSQL (the functions of src/store/). */
import type { Db } from "../store/connection.ts";
import { listCoveringPolicyIds } from "../store/covering-policies.ts";
import { loadPolicyDays } from "../store/policy-day-inputs.ts";
import { loadPolicies } from "../store/policies.ts";
import { refreshStatistics } from "../store/statistics.ts";
import { writePolicyDays } from "../store/write-policy-days.ts";
import type { CalcStore } from "./ports.ts";

export function createCalcStore(db: Db): CalcStore {
  return {
    loadPolicyDays: (claimDate, policyIds) => loadPolicyDays(db, claimDate, policyIds),
    writePolicyDays: (writes, options) => writePolicyDays(db, writes, options),
    policyIdsCovering: (claimDate, after, limit) =>
      listCoveringPolicyIds(db, { date: claimDate, afterId: after, limit }),
    refreshStatistics: () => refreshStatistics(db),
    async missingPolicyIds(policyIds) {
      const found = await loadPolicies(db, policyIds);
      return [...new Set(policyIds)].filter((id) => !found.has(id));
    },
  };
}
