/**
 * What a policy-day computation reads: the policy and the events of its region observed during
 * its own local day (bounds from its timezone, 23, 24 or 25 hours). Events of every status are
 * returned; the domain drops retracted ones (and counting them is what `eventsCount` records).
 *
 * The batch form serves the daily run: one query for the policies and one for the events over
 * the union of the batch's local days, split per policy in memory.
 */
import { and, asc, gte, lt } from "drizzle-orm";
import { isValidDate, localDayBounds } from "../domain/calendar.ts";
import type { Policy, RiskEvent } from "../domain/schemas.ts";
import { ClaimsError, ErrorCodes } from "../errors.ts";
import type { Db, Executor } from "./connection.ts";
import { loadEventRevisions, windowRevision } from "./event-revisions.ts";
import { eventFields, type SelectedEvent, toRiskEvent } from "./events.ts";
import { loadVersionedPolicies, policiesNotFound } from "./policies.ts";
import { riskEvents } from "./schema/events.ts";
import { storageError } from "./storage-errors.ts";
import { inTextList } from "./unnest.ts";

export interface PolicyDayInputs {
  policy: Policy;
  /** The policy row's version when it was read (see VersionedPolicy): the write checks it. */
  policyVersion: string;
  claimDate: string;
  /** Events of the policy's region in its local day, all statuses, by observedAt then id. */
  events: RiskEvent[];
  /** The local day as a half-open UTC interval [startMs, endMs). */
  window: { startMs: number; endMs: number };
  /**
   * The events revision of the local day when it was read (event-revisions.ts), read before
   * the events: the write checks it under the policy lock.
   */
  eventsRevision: number;
}

export interface PolicyDayBatch {
  claimDate: string;
  /** One entry per found policy covering the date, in id order. */
  days: PolicyDayInputs[];
  /** Requested ids with no policy. */
  missing: string[];
  /** Requested policies whose coverage does not include the date. */
  outOfCoverage: string[];
}

export function requireDate(value: string, field: string): void {
  if (!isValidDate(value)) {
    throw new ClaimsError(
      ErrorCodes.INPUT_INVALID,
      `${field} must be an existing YYYY-MM-DD date, got ${JSON.stringify(value)}`,
    );
  }
}

export function covers(policy: Policy, claimDate: string): boolean {
  return policy.coverageStart <= claimDate && claimDate <= policy.coverageEnd;
}

export function outOfCoverage(policy: Policy, claimDate: string): ClaimsError {
  return new ClaimsError(
    ErrorCodes.OUT_OF_COVERAGE,
    `claim date ${claimDate} is outside the coverage of policy "${policy.id}" (${policy.coverageStart} to ${policy.coverageEnd})`,
  );
}

/**
 * The inputs of one policy-day. Throws POLICY_NOT_FOUND when the policy does not exist and
 * OUT_OF_COVERAGE when the date is not in its coverage.
 */
export async function loadPolicyDay(
  db: Db,
  policyId: string,
  claimDate: string,
): Promise<PolicyDayInputs> {
  requireDate(claimDate, "claimDate");
  const found = (await loadVersionedPolicies(db, [policyId])).get(policyId);
  if (!found) throw policiesNotFound([policyId]);
  if (!covers(found.policy, claimDate)) throw outOfCoverage(found.policy, claimDate);
  const day = dayOf(found.policy, found.version, claimDate);
  await attachEvents(db, [day]);
  return day;
}

/**
 * The inputs of one claim date for many policies, each on its own local day. Policies that do
 * not exist or do not cover the date are reported, not thrown: a batch goes on without them.
 */
export async function loadPolicyDays(
  db: Db,
  claimDate: string,
  policyIds: readonly string[],
): Promise<PolicyDayBatch> {
  requireDate(claimDate, "claimDate");
  const found = await loadVersionedPolicies(db, policyIds);
  const batch: PolicyDayBatch = { claimDate, days: [], missing: [], outOfCoverage: [] };
  // One date, a few dozen zones for hundreds of policies: each zone's day bounds once.
  const windows = new Map<string, PolicyDayInputs["window"]>();
  for (const id of new Set(policyIds)) {
    const read = found.get(id);
    if (!read) batch.missing.push(id);
    else if (!covers(read.policy, claimDate)) batch.outOfCoverage.push(id);
    else {
      const { policy, version } = read;
      let window = windows.get(policy.timezone);
      if (!window) {
        windows.set(policy.timezone, window = localDayBounds(claimDate, policy.timezone));
      }
      batch.days.push({
        policy,
        policyVersion: version,
        claimDate,
        events: [],
        window,
        eventsRevision: 0,
      });
    }
  }
  batch.days.sort((a, b) => (a.policy.id < b.policy.id ? -1 : a.policy.id > b.policy.id ? 1 : 0));
  await attachEvents(db, batch.days);
  return batch;
}

function dayOf(policy: Policy, policyVersion: string, claimDate: string): PolicyDayInputs {
  return {
    policy,
    policyVersion,
    claimDate,
    events: [],
    window: localDayBounds(claimDate, policy.timezone),
    eventsRevision: 0,
  };
}

/**
 * Fills each day's events revision, then its events from one query over the union of the
 * days' windows and regions. The revisions are read first, in a statement of their own: an
 * import committed between the two reads then shows as a changed revision at write time (the
 * write is refused and computed again), never as new events under an old revision.
 */
async function attachEvents(db: Executor, days: PolicyDayInputs[]): Promise<void> {
  if (days.length === 0) return;
  const counters = await loadEventRevisions(
    db,
    days.map((d) => ({ region: d.policy.region, window: d.window })),
  );
  for (const day of days) {
    day.eventsRevision = windowRevision(counters, day.policy.region, day.window);
  }
  const byRegion = await eventsByRegion(db, days);
  for (const day of days) {
    const events = byRegion.get(day.policy.region);
    if (!events) continue;
    const from = firstAtOrAfter(events, day.window.startMs);
    const to = firstAtOrAfter(events, day.window.endMs);
    day.events = events.slice(from, to).map(toRiskEvent);
  }
}

/** One query: the events of the batch's regions over the union of its days, by region. */
async function eventsByRegion(
  db: Executor,
  days: readonly PolicyDayInputs[],
): Promise<Map<string, SelectedEvent[]>> {
  const regions = [...new Set(days.map((d) => d.policy.region))];
  let startMs = Infinity;
  let endMs = -Infinity;
  for (const d of days) {
    startMs = Math.min(startMs, d.window.startMs);
    endMs = Math.max(endMs, d.window.endMs);
  }
  let rows: SelectedEvent[];
  try {
    rows = await db.select(eventFields).from(riskEvents).where(and(
      inTextList(riskEvents.region, regions),
      gte(riskEvents.observedAt, new Date(startMs)),
      lt(riskEvents.observedAt, new Date(endMs)),
    )).orderBy(asc(riskEvents.observedAt), asc(riskEvents.id));
  } catch (error) {
    throw storageError(`loading the events of ${regions.length} regions`, error);
  }
  const out = new Map<string, SelectedEvent[]>();
  for (const row of rows) {
    let list = out.get(row.region);
    if (!list) out.set(row.region, list = []);
    list.push(row);
  }
  return out;
}

/** Index of the first event observed at or after `ms` (events sorted by observedAtMs). */
function firstAtOrAfter(events: readonly SelectedEvent[], ms: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.observedAtMs < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
