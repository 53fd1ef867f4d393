/**
 * Loads the benchmark's book into a database through the storage upserts (src/store), then
 * VACUUM ANALYZE, so that every measurement starts from fresh statistics and no autovacuum of
 * the load runs under it.
 */
import type { Policy, RiskEvent } from "../../src/domain/schemas.ts";
import { connectDatabase } from "../../src/store/connection.ts";
import { upsertEvents } from "../../src/store/events.ts";
import { upsertPolicies } from "../../src/store/policies.ts";

/** Policies per upsert call (one transaction each). */
const LOAD_BATCH = 20_000;

export async function loadBook(
  url: string,
  policies: readonly Policy[],
  events: readonly RiskEvent[],
): Promise<void> {
  const database = connectDatabase(url, { max: 2, applicationName: "bench-daily-run-load" });
  try {
    for (let i = 0; i < policies.length; i += LOAD_BATCH) {
      await upsertPolicies(database.db, policies.slice(i, i + LOAD_BATCH));
    }
    await upsertEvents(database.db, events);
    await database.sql`vacuum analyze`;
  } finally {
    await database.close();
  }
}

/** Writes dirty buffers out now, so that a measurement does not pay for the previous one's. */
export async function checkpoint(url: string): Promise<void> {
  const database = connectDatabase(url, { max: 1, applicationName: "bench-daily-run" });
  try {
    await database.sql`checkpoint`;
  } finally {
    await database.close();
  }
}
