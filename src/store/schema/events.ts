import { sql } from "drizzle-orm";
import { check, doublePrecision, index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { instantMs, type RiskEvent, RiskEventSchema } from "../../domain/schemas.ts";
import { idText } from "./types.ts";

/**
 * Risk events (SPEC §2). `observed_at` holds the instant at millisecond precision, the precision
 * the calculator orders by, so that a stored event sorts exactly as the same event in a file.
 */
export const riskEvents = pgTable("risk_events", {
  id: idText("id").primaryKey(),
  region: text("region").notNull(),
  tier: text("tier").notNull(),
  observedAt: timestamp("observed_at", { withTimezone: true, precision: 3 }).notNull(),
  status: text("status").notNull().default("active"),
  source: text("source"),
  value: doublePrecision("value"),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index("risk_events_region_observed_idx").on(t.region, t.observedAt),
  check("risk_events_tier", sql`${t.tier} in ('tier1', 'tier2', 'tier3')`),
  check("risk_events_status", sql`${t.status} in ('active', 'retracted')`),
]);

export const RiskEventInsertSchema = RiskEventSchema;

export type RiskEventRow = typeof riskEvents.$inferSelect;
export type NewRiskEventRow = typeof riskEvents.$inferInsert;

export function eventToRow(e: RiskEvent): NewRiskEventRow {
  return {
    id: e.id,
    region: e.region,
    tier: e.tier,
    observedAt: new Date(instantMs(e.observedAt)),
    status: e.status,
    source: e.source ?? null,
    value: e.value ?? null,
  };
}

export function rowToEvent(
  r: Pick<RiskEventRow, "id" | "region" | "tier" | "observedAt" | "status" | "source" | "value">,
): RiskEvent {
  const event: RiskEvent = {
    id: r.id,
    region: r.region,
    tier: r.tier as RiskEvent["tier"],
    observedAt: r.observedAt.toISOString(),
    status: r.status as RiskEvent["status"],
  };
  if (r.source !== null) event.source = r.source;
  if (r.value !== null) event.value = r.value;
  return event;
}
