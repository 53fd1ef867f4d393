import { bigint, index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { idText } from "./types.ts";

/**
 * Registry and fencing-token counters of the PostgreSQL lock backend, one row per lock key.
 * A new token is greatest(previous + 1, now in microseconds), the same rule as the Redis
 * backend, so tokens keep increasing across backend switches and restarts. `lock_id` is the
 * 64-bit advisory-lock id derived from the key, which lets `list` join pg_locks back to key
 * names; `holder` and `acquired_at` describe the latest acquisition.
 */
export const lockFences = pgTable("lock_fences", {
  key: idText("key").primaryKey(),
  lockId: bigint("lock_id", { mode: "bigint" }).notNull(),
  token: bigint("token", { mode: "bigint" }).notNull(),
  holder: text("holder"),
  acquiredAt: timestamp("acquired_at", { withTimezone: true }),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index("lock_fences_lock_id_idx").on(t.lockId)]);
