import { sql } from "drizzle-orm";
import { bigint, check, date, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { type Policy, PolicySchema } from "../../domain/schemas.ts";
import { idText } from "./types.ts";

/** Policies as imported (SPEC §2); one row per id, updated in place by re-imports. */
export const policies = pgTable("policies", {
  id: idText("id").primaryKey(),
  region: text("region").notNull(),
  currency: text("currency").notNull(),
  sumInsured: bigint("sum_insured", { mode: "number" }).notNull(),
  timezone: text("timezone").notNull(),
  coverageStart: date("coverage_start", { mode: "string" }).notNull(),
  coverageEnd: date("coverage_end", { mode: "string" }).notNull(),
  payoutMode: text("payout_mode").notNull(),
  tier1Bps: integer("tier1_bps").notNull(),
  tier2Bps: integer("tier2_bps").notNull(),
  tier3Bps: integer("tier3_bps").notNull(),
  periodCapBps: integer("period_cap_bps").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index("policies_coverage_idx").on(t.coverageStart, t.coverageEnd),
  index("policies_region_idx").on(t.region),
  check("policies_sum_insured_range", sql`${t.sumInsured} between 1 and 1000000000000`),
  check("policies_coverage_order", sql`${t.coverageStart} <= ${t.coverageEnd}`),
  check("policies_payout_mode", sql`${t.payoutMode} in ('once_per_day', 'per_event')`),
  check(
    "policies_tiers_ordered",
    sql`0 <= ${t.tier1Bps} and ${t.tier1Bps} <= ${t.tier2Bps} and ${t.tier2Bps} <= ${t.tier3Bps} and ${t.tier3Bps} <= 10000`,
  ),
  check("policies_cap_range", sql`${t.periodCapBps} between 1 and 10000`),
]);

/** Validation of a policy crossing a boundary (files, CLI, activities): the domain contract. */
export const PolicyInsertSchema = PolicySchema;

export type PolicyRow = typeof policies.$inferSelect;
export type NewPolicyRow = typeof policies.$inferInsert;

export function policyToRow(p: Policy): NewPolicyRow {
  return {
    id: p.id,
    region: p.region,
    currency: p.currency,
    sumInsured: p.sumInsured,
    timezone: p.timezone,
    coverageStart: p.coverageStart,
    coverageEnd: p.coverageEnd,
    payoutMode: p.payoutMode,
    tier1Bps: p.tierPayoutsBps.tier1,
    tier2Bps: p.tierPayoutsBps.tier2,
    tier3Bps: p.tierPayoutsBps.tier3,
    periodCapBps: p.periodCapBps,
  };
}

/**
 * The columns a Policy is made of (no timestamps): what the calculation paths select, since
 * every selected timestamp costs a Date per row in the hot loop of a daily run.
 */
export const policyFields = {
  id: policies.id,
  region: policies.region,
  currency: policies.currency,
  sumInsured: policies.sumInsured,
  timezone: policies.timezone,
  coverageStart: policies.coverageStart,
  coverageEnd: policies.coverageEnd,
  payoutMode: policies.payoutMode,
  tier1Bps: policies.tier1Bps,
  tier2Bps: policies.tier2Bps,
  tier3Bps: policies.tier3Bps,
  periodCapBps: policies.periodCapBps,
};

/**
 * A policies row as postgres.js returns it to the reads that skip Drizzle's mapping (the
 * calculation's policy read, verify's cursor): snake_case columns, dates selected as text, the
 * sum insured as the client's int8 (bigint) or as text.
 */
export interface PolicyColumns {
  id: string;
  region: string;
  currency: string;
  sum_insured: bigint | string;
  timezone: string;
  coverage_start: string;
  coverage_end: string;
  payout_mode: string;
  tier1_bps: number;
  tier2_bps: number;
  tier3_bps: number;
  period_cap_bps: number;
}

export function columnsToPolicy(r: PolicyColumns): Policy {
  return {
    id: r.id,
    region: r.region,
    currency: r.currency,
    sumInsured: Number(r.sum_insured),
    timezone: r.timezone,
    coverageStart: r.coverage_start,
    coverageEnd: r.coverage_end,
    payoutMode: r.payout_mode as Policy["payoutMode"],
    tierPayoutsBps: { tier1: r.tier1_bps, tier2: r.tier2_bps, tier3: r.tier3_bps },
    periodCapBps: r.period_cap_bps,
  };
}

export function rowToPolicy(r: Omit<PolicyRow, "createdAt" | "updatedAt">): Policy {
  return {
    id: r.id,
    region: r.region,
    currency: r.currency,
    sumInsured: Number(r.sumInsured),
    timezone: r.timezone,
    coverageStart: r.coverageStart,
    coverageEnd: r.coverageEnd,
    payoutMode: r.payoutMode as Policy["payoutMode"],
    tierPayoutsBps: { tier1: r.tier1Bps, tier2: r.tier2Bps, tier3: r.tier3Bps },
    periodCapBps: r.periodCapBps,
  };
}
