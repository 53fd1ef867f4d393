import { sql } from "drizzle-orm";
import { bigint, check, date, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { idText } from "./types.ts";

/**
 * Append-only trail of every claim insert, change and removal (SPEC §4): the old and new
 * values, why (the day was computed, or a change on an earlier day re-allocated the cap), the
 * fencing token and the writer. Nothing in the product updates or deletes these rows.
 */
export const claimAudit = pgTable("claim_audit", {
  // BY DEFAULT, not ALWAYS: the write path inserts with Drizzle's insert(…).select(unnest …),
  // which lists every column and fills this one with nextval() of the identity's own sequence
  // (Drizzle cannot add OVERRIDING SYSTEM VALUE to an insert-select). Nothing else writes ids.
  id: bigint("id", { mode: "bigint" }).primaryKey().generatedByDefaultAsIdentity(),
  policyId: idText("policy_id").notNull(),
  claimDate: date("claim_date", { mode: "string" }).notNull(),
  claimKey: idText("claim_key").notNull(),
  action: text("action").notNull(),
  reason: text("reason").notNull(),
  /** The policy-day whose computation caused this change (differs from claim_date on re-allocation). */
  computedDate: date("computed_date", { mode: "string" }).notNull(),
  oldTier: text("old_tier"),
  newTier: text("new_tier"),
  oldEventIds: text("old_event_ids").array(),
  newEventIds: text("new_event_ids").array(),
  oldUncappedBps: integer("old_uncapped_bps"),
  newUncappedBps: integer("new_uncapped_bps"),
  oldPayoutBps: integer("old_payout_bps"),
  newPayoutBps: integer("new_payout_bps"),
  oldPayoutAmount: bigint("old_payout_amount", { mode: "bigint" }),
  newPayoutAmount: bigint("new_payout_amount", { mode: "bigint" }),
  fenceToken: bigint("fence_token", { mode: "bigint" }).notNull(),
  calculatorVersion: text("calculator_version").notNull(),
  writtenBy: text("written_by").notNull(),
  at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index("claim_audit_policy_date_idx").on(t.policyId, t.claimDate),
  check("claim_audit_action", sql`${t.action} in ('insert', 'update', 'delete')`),
  check(
    "claim_audit_reason",
    sql`${t.reason} in ('computed', 'reallocated', 'removed', 'policy_amended')`,
  ),
]);

export type AuditRow = typeof claimAudit.$inferSelect;
export type NewAuditRow = typeof claimAudit.$inferInsert;
