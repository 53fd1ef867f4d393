/**
 * Risk events: bulk idempotent upsert by id that also returns, for every new or changed
 * event, the version it replaced. A caller needs both to know which policy-days to
 * recompute: a corrected `observedAt` or `region` moves an event off one day onto another.
 */
import { sql } from "drizzle-orm";
import { instantMs, type RiskEvent } from "../domain/schemas.ts";
import type { Executor } from "./connection.ts";
import { riskEvents } from "./schema/events.ts";
import {
  type UnnestColumn,
  unnestColumn as col,
  unnestFrom,
  unnestRef,
  unnestSelectFor,
} from "./unnest.ts";
import { epochMs } from "./epoch-ms.ts";
import { chunks } from "./chunks.ts";
import { storageError } from "./storage-errors.ts";
import { requireUniqueIds, type UpsertCounts } from "./upsert-counts.ts";
import { differsFromExcluded, setFromExcluded, wasInserted } from "./upsert-sql.ts";
import type { UpsertOptions } from "./policies.ts";

function eventColumns(rows: readonly RiskEvent[]): UnnestColumn[] {
  return [
    col.id("id", rows.map((e) => e.id)),
    col.text("region", rows.map((e) => e.region)),
    col.text("tier", rows.map((e) => e.tier)),
    col.instant("observed_at", rows.map((e) => instantMs(e.observedAt))),
    col.text("status", rows.map((e) => e.status ?? "active")),
    col.text("source", rows.map((e) => e.source ?? null)),
    col.float8("value", rows.map((e) => e.value ?? null)),
  ];
}

/** The columns of an event as selected by the repository (the instant as epoch ms). */
export const eventFields = {
  id: riskEvents.id,
  region: riskEvents.region,
  tier: riskEvents.tier,
  observedAtMs: epochMs(riskEvents.observedAt),
  status: riskEvents.status,
  source: riskEvents.source,
  value: riskEvents.value,
};

export interface SelectedEvent {
  id: string;
  region: string;
  tier: string;
  observedAtMs: number;
  status: string;
  source: string | null;
  value: number | null;
}

/** A selected row as the domain's RiskEvent (instant in UTC, ISO-8601 with ms). */
export function toRiskEvent(row: SelectedEvent): RiskEvent {
  const event: RiskEvent = {
    id: row.id,
    region: row.region,
    tier: row.tier as RiskEvent["tier"],
    observedAt: new Date(row.observedAtMs).toISOString(),
    status: row.status as RiskEvent["status"],
  };
  if (row.source !== null) event.source = row.source;
  if (row.value !== null) event.value = row.value;
  return event;
}

/** One event the upsert inserted or changed. */
export interface EventChange {
  /** The event as now stored. */
  event: RiskEvent;
  /** The stored version it replaced; null when the event is new. */
  previous: RiskEvent | null;
}

export interface EventUpsertResult extends UpsertCounts {
  /** Every inserted or updated event with its previous version, in id order. */
  changes: EventChange[];
}

const EVENT_VALUE_COLUMNS = [
  "region",
  "tier",
  "observedAt",
  "status",
  "source",
  "value",
] as const;

/**
 * Advisory lock (two-int4 key space, apart from the single-bigint keys of the lock backend and
 * the migrator) that serialises event upserts. Reading the previous versions and upserting are
 * two statements; without it, an event inserted by a concurrent import between the two would be
 * "updated" with no previous version known. Imports are rare and short, so the wait is too.
 */
const EVENTS_UPSERT_LOCK = [0x636c_6169, 1] as const;

/**
 * Inserts new events and updates changed ones, by id, in one transaction (all or nothing),
 * with multi-row statements in id order. Identical rows are not written (`unchanged`).
 * Duplicate ids in `input` are an INPUT_INVALID error. Given an open transaction instead of the
 * pool handle, it runs inside it (as a savepoint; the advisory lock then lasts until that
 * transaction ends).
 */
export async function upsertEvents(
  db: Executor,
  input: readonly RiskEvent[],
  options: UpsertOptions = {},
): Promise<EventUpsertResult> {
  requireUniqueIds(input, "event");
  const result: EventUpsertResult = { inserted: 0, updated: 0, unchanged: 0, changes: [] };
  if (input.length === 0) return result;
  const sorted = [...input].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  try {
    await db.transaction(async (tx) => {
      await tx.execute(
        sql`select pg_advisory_xact_lock(${EVENTS_UPSERT_LOCK[0]}::int4, ${
          EVENTS_UPSERT_LOCK[1]
        }::int4)`,
      );
      for (const chunk of chunks(sorted, options.chunkSize ?? 10_000)) {
        const columns = eventColumns(chunk);
        const before = await tx.select(eventFields).from(riskEvents).where(
          sql`${riskEvents.id} in (select ${unnestRef(columns[0]!)} from ${
            unnestFrom([columns[0]!])
          })`,
        );
        const previous = new Map(before.map((row) => [row.id, toRiskEvent(row)]));
        const now = sql`statement_timestamp()`;
        const select = unnestSelectFor(riskEvents, columns, { receivedAt: now, updatedAt: now });
        const written = await tx.insert(riskEvents).select(select).onConflictDoUpdate({
          target: riskEvents.id,
          set: { ...setFromExcluded(riskEvents, EVENT_VALUE_COLUMNS), updatedAt: now },
          setWhere: differsFromExcluded(riskEvents, EVENT_VALUE_COLUMNS),
        }).returning({ id: riskEvents.id, inserted: wasInserted });
        const writtenIds = new Map(written.map((row) => [row.id, row.inserted]));
        for (const event of chunk) {
          const inserted = writtenIds.get(event.id);
          if (inserted === undefined) continue;
          result.changes.push({
            event: asStored(event),
            previous: inserted ? null : previous.get(event.id) ?? null,
          });
          if (inserted) result.inserted++;
          else result.updated++;
        }
        result.unchanged += chunk.length - written.length;
      }
    });
  } catch (error) {
    throw storageError(`upserting ${input.length} events`, error);
  }
  return result;
}

/** The event as the database returns it: the instant in UTC at ms precision, status defaulted. */
function asStored(event: RiskEvent): RiskEvent {
  const out: RiskEvent = {
    id: event.id,
    region: event.region,
    tier: event.tier,
    observedAt: new Date(instantMs(event.observedAt)).toISOString(),
    status: event.status ?? "active",
  };
  if (event.source !== undefined) out.source = event.source;
  if (event.value !== undefined) out.value = event.value;
  return out;
}
