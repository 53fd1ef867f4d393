import { sql } from "drizzle-orm";
import { bigint, check, date, index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { idText } from "./types.ts";

/**
 * Append-only record of every policy-day write the fenced write path refused, and why:
 * - `stale_token`: its fencing token was below the ledger's and the ledger holds another
 *   computation (a different inputs hash): it is computed again under a token raised above
 *   the ledger's;
 * - `inputs_changed`: events of its local day changed after it read them (event_revisions);
 * - `policy_changed`: the policy row changed after it read it.
 * A write refused as stale whose inputs hash equals the ledger's is not refused: the ledger
 * already holds the same computation (`stale`, verified). Nothing updates or deletes rows here.
 */
export const writeRefusals = pgTable("write_refusals", {
  id: bigint("id", { mode: "bigint" }).primaryKey().generatedByDefaultAsIdentity(),
  policyId: idText("policy_id").notNull(),
  claimDate: date("claim_date", { mode: "string" }).notNull(),
  reason: text("reason").notNull(),
  fenceToken: bigint("fence_token", { mode: "bigint" }).notNull(),
  /** The ledger's token when the write was refused (null: the day had no ledger row). */
  ledgerFenceToken: bigint("ledger_fence_token", { mode: "bigint" }),
  inputsHash: text("inputs_hash").notNull(),
  ledgerInputsHash: text("ledger_inputs_hash"),
  writtenBy: text("written_by").notNull(),
  at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index("write_refusals_policy_date_idx").on(t.policyId, t.claimDate),
  check(
    "write_refusals_reason",
    sql`${t.reason} in ('stale_token', 'inputs_changed', 'policy_changed')`,
  ),
]);

export type WriteRefusalRow = typeof writeRefusals.$inferSelect;
