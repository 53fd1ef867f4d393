import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  date,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import { policies } from "./policies.ts";
import { idText } from "./types.ts";

/**
 * One row per computed policy-day (SPEC §4): the fencing token of the last writer (a write with
 * a lower token is refused), what it saw (inputs hash), which rules it used, what it wrote,
 * when, and who (Temporal workflow/run id, or `manual`).
 */
export const calculationLedger = pgTable("calculation_ledger", {
  policyId: idText("policy_id").notNull(),
  claimDate: date("claim_date", { mode: "string" }).notNull(),
  fenceToken: bigint("fence_token", { mode: "bigint" }).notNull(),
  inputsHash: text("inputs_hash").notNull(),
  calculatorVersion: text("calculator_version").notNull(),
  eventsCount: integer("events_count").notNull(),
  claimsCount: integer("claims_count").notNull(),
  cappedCount: integer("capped_count").notNull(),
  payoutBpsTotal: integer("payout_bps_total").notNull(),
  payoutAmountTotal: bigint("payout_amount_total", { mode: "bigint" }).notNull(),
  computations: integer("computations").notNull().default(1),
  writtenBy: text("written_by").notNull(),
  computedAt: timestamp("computed_at", { withTimezone: true }).notNull().defaultNow(),
  changedAt: timestamp("changed_at", { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  primaryKey({ name: "calculation_ledger_pk", columns: [t.policyId, t.claimDate] }),
  index("calculation_ledger_claim_date_idx").on(t.claimDate),
  foreignKey({
    name: "calculation_ledger_policy_fk",
    columns: [t.policyId],
    foreignColumns: [policies.id],
  }),
  check(
    "calculation_ledger_counts",
    sql`${t.claimsCount} >= 0 and ${t.cappedCount} >= 0 and ${t.eventsCount} >= 0`,
  ),
]);

export type LedgerRow = typeof calculationLedger.$inferSelect;
export type NewLedgerRow = typeof calculationLedger.$inferInsert;
