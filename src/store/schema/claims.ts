import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  date,
  foreignKey,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  unique,
} from "drizzle-orm/pg-core";
import { ClaimSchema } from "../../domain/schemas.ts";
import { policies } from "./policies.ts";
import { idText } from "./types.ts";

/**
 * Claims: the stable outside contract of SPEC §8 (downstream payment and finance systems read
 * this table). The natural key is unique, so no writer can ever create a duplicate; the
 * extra columns are what re-allocation and audits need.
 */
export const claims = pgTable("claims", {
  // BY DEFAULT, not ALWAYS: the write path inserts with Drizzle's insert(…).select(unnest …),
  // which lists every column and fills this one with nextval() of the identity's own sequence
  // (Drizzle cannot add OVERRIDING SYSTEM VALUE to an insert-select). Nothing else writes ids.
  id: bigint("id", { mode: "bigint" }).primaryKey().generatedByDefaultAsIdentity(),
  policyId: idText("policy_id").notNull(),
  claimDate: date("claim_date", { mode: "string" }).notNull(),
  claimKey: idText("claim_key").notNull(),
  tier: text("tier").notNull(),
  eventIds: text("event_ids").array().notNull(),
  uncappedBps: integer("uncapped_bps").notNull(),
  payoutBps: integer("payout_bps").notNull(),
  payoutAmount: bigint("payout_amount", { mode: "bigint" }).notNull(),
  capped: boolean("capped").notNull(),
  /** Canonical order's second key: the earliest observedAt of the claim's events. */
  firstObservedAt: timestamp("first_observed_at", { withTimezone: true, precision: 3 }).notNull(),
  fenceToken: bigint("fence_token", { mode: "bigint" }).notNull(),
  calculatorVersion: text("calculator_version").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  unique("claims_natural_key").on(t.policyId, t.claimDate, t.claimKey),
  index("claims_claim_date_idx").on(t.claimDate),
  foreignKey({ name: "claims_policy_fk", columns: [t.policyId], foreignColumns: [policies.id] }),
  check("claims_tier", sql`${t.tier} in ('tier1', 'tier2', 'tier3')`),
  check(
    "claims_bps_range",
    sql`${t.uncappedBps} between 0 and 10000 and ${t.payoutBps} between 0 and ${t.uncappedBps}`,
  ),
  check("claims_capped_flag", sql`${t.capped} = (${t.payoutBps} < ${t.uncappedBps})`),
  check("claims_payout_amount_nonnegative", sql`${t.payoutAmount} >= 0`),
  check("claims_event_ids_present", sql`cardinality(${t.eventIds}) >= 1`),
]);

export const ClaimOutputSchema = ClaimSchema;

export type ClaimRow = typeof claims.$inferSelect;
export type NewClaimRow = typeof claims.$inferInsert;
