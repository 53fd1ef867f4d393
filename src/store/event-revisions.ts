/**
 * Event revisions (schema/event-revisions.ts): what a computation read of them, and the same
 * figure under the policy lock at write time. A policy-day's figure is the sum of the counters
 * of the UTC days its local day spans in its region: counters only grow, so the sum changes
 * whenever an event of any of those days was inserted, changed or deleted.
 */
import { and, sql } from "drizzle-orm";
import { addDays } from "../domain/calendar.ts";
import type { Executor } from "./connection.ts";
import { eventRevisions } from "./schema/event-revisions.ts";
import { storageError } from "./storage-errors.ts";
import { textArrayParam } from "./unnest.ts";

/** A policy's local day as a half-open UTC interval [startMs, endMs). */
export interface DayWindow {
  startMs: number;
  endMs: number;
}

/** The UTC dates a local-day window touches, ascending (one to three). */
export function utcDaysOf(window: DayWindow): string[] {
  const first = new Date(window.startMs).toISOString().slice(0, 10);
  const last = new Date(window.endMs - 1).toISOString().slice(0, 10);
  const days = [first];
  for (let d = first; d < last;) days.push(d = addDays(d, 1));
  return days;
}

/** Counters by `region \u0000 day`; a (region, day) that never had an event is absent (0). */
export type RevisionCounters = ReadonlyMap<string, number>;

const counterKey = (region: string, day: string) => `${region}\u0000${day}`;

/**
 * The counters of every (region, UTC day) the given policy-days span: one query on the
 * primary key, a small superset (every region with every day) filtered in memory.
 */
export async function loadEventRevisions(
  db: Executor,
  days: readonly { region: string; window: DayWindow }[],
): Promise<RevisionCounters> {
  const regions = new Set<string>();
  const dates = new Set<string>();
  for (const d of days) {
    regions.add(d.region);
    for (const day of utcDaysOf(d.window)) dates.add(day);
  }
  const out = new Map<string, number>();
  if (regions.size === 0) return out;
  const r = eventRevisions;
  try {
    const rows = await db.select({ region: r.region, day: r.day, revision: r.revision }).from(r)
      .where(and(
        sql`${r.region} = any(${textArrayParam([...regions])})`,
        sql`${r.day} = any(${textArrayParam([...dates])}::date[])`,
      )).prepare("event_revisions_read").execute();
    for (const row of rows) out.set(counterKey(row.region, row.day), Number(row.revision));
  } catch (error) {
    throw storageError(`loading the event revisions of ${regions.size} regions`, error);
  }
  return out;
}

/** The figure of one policy-day: the sum of its UTC days' counters in its region. */
export function windowRevision(
  counters: RevisionCounters,
  region: string,
  window: DayWindow,
): number {
  let sum = 0;
  for (const day of utcDaysOf(window)) sum += counters.get(counterKey(region, day)) ?? 0;
  return sum;
}
