import { bigint, date, pgTable, primaryKey, text } from "drizzle-orm/pg-core";

/**
 * A change counter per (region, UTC day) of risk events, kept by triggers on risk_events
 * (drizzle/0003_event_revision_triggers.sql): every statement that inserts, changes or
 * deletes events adds 1 to the row of each (region, UTC day) it touched, old and new values
 * alike. Counters only ever grow.
 *
 * Why: a computation reads the counters of the UTC days its local day spans before it reads
 * the events, and its write checks them again under the policy's row lock. A write whose
 * events changed meanwhile is refused and computed again from a fresh read. Whether a stored
 * result is current is thus decided by the database's own state, whatever the fencing tokens
 * say: a holder paused past its lease, whose token came from a clock ahead of its successor's
 * (a Redis failover to a replica with a slower clock), cannot overwrite a newer computation.
 */
export const eventRevisions = pgTable("event_revisions", {
  region: text("region").notNull(),
  day: date("day", { mode: "string" }).notNull(),
  revision: bigint("revision", { mode: "number" }).notNull(),
}, (t) => [primaryKey({ name: "event_revisions_pk", columns: [t.region, t.day] })]);
