/**
 * The worker's business counters: policy-days by outcome, lock contention, claim rows written.
 * Implements the calculation core's observer, so the core knows nothing of Prometheus.
 */
import type { CalcObserver, PolicyDayItem } from "../calc/policy-days.ts";
import { MetricsRegistry } from "./registry.ts";

export const MetricNames = {
  POLICY_DAYS: "claims_policy_days_total",
  LOCK_CONTENTION: "claims_lock_contention_total",
  CLAIMS_WRITTEN: "claims_claims_written_total",
} as const;

export interface ClaimsMetrics extends CalcObserver {
  registry: MetricsRegistry;
}

export function createClaimsMetrics(registry = new MetricsRegistry()): ClaimsMetrics {
  const policyDays = registry.counter(
    MetricNames.POLICY_DAYS,
    "Policy-days handled, by status (computed, unchanged, stale, skipped, contended, failed)",
  );
  const contention = registry.counter(
    MetricNames.LOCK_CONTENTION,
    "Policy-day lock acquisitions refused because another calculation held the lock",
  );
  const written = registry.counter(
    MetricNames.CLAIMS_WRITTEN,
    "Claim rows written, by action (insert, update, delete), re-allocations included",
  );
  return {
    registry,
    policyDays(items: readonly PolicyDayItem[]) {
      const byStatus = new Map<string, number>();
      let inserted = 0;
      let updated = 0;
      let deleted = 0;
      for (const item of items) {
        byStatus.set(item.status, (byStatus.get(item.status) ?? 0) + 1);
        inserted += item.changes.inserted;
        updated += item.changes.updated;
        deleted += item.changes.deleted;
      }
      for (const [status, n] of byStatus) policyDays.inc({ status }, n);
      if (inserted) written.inc({ action: "insert" }, inserted);
      if (updated) written.inc({ action: "update" }, updated);
      if (deleted) written.inc({ action: "delete" }, deleted);
    },
    lockContention(count: number) {
      if (count > 0) contention.inc({}, count);
    },
  };
}
