/**
 * SPEC §3.1-3.3 for one date: which events count (same region, active, local date in coverage),
 * the candidates they give (once_per_day, per_event) and canonical order. This is the road of
 * a single policy-day; the whole period takes the faster road of period.ts to the same result.
 */
import { localDateOf } from "./calendar.ts";
import { instantMs } from "./instant.ts";
import { compareCandidates, compareIds, TIER_RANK } from "./order.ts";
import type { Policy, RiskEvent, Tier } from "./schemas.ts";

/** A claim before cap allocation, with the sort key that canonical order needs. */
export interface Candidate {
  claimDate: string;
  claimKey: string;
  tier: Tier;
  eventIds: string[];
  uncappedBps: number;
  /** Earliest observedAt (epoch ms) among the candidate's events: canonical order's 2nd key. */
  firstObservedAtMs: number;
}

export function sortCandidates<T extends Candidate>(candidates: T[]): T[] {
  return candidates.sort(compareCandidates);
}

/** An event placed on its policy-local claim date, with its instant parsed once. */
export interface DatedEvent {
  event: RiskEvent;
  instantMs: number;
  claimDate: string;
}

/** Is this event relevant to the policy (same region, active), ignoring dates? */
export function isCandidateEvent(policy: Policy, event: RiskEvent): boolean {
  return event.region === policy.region && (event.status ?? "active") === "active";
}

/**
 * SPEC §3.1: the policy's relevant events grouped by their local claim date (only dates in
 * coverage). Dates come out ascending; events keep no particular order.
 */
export function relevantByDate(
  policy: Policy,
  events: Iterable<RiskEvent>,
): Map<string, DatedEvent[]> {
  const byDate = new Map<string, DatedEvent[]>();
  for (const event of events) {
    if (!isCandidateEvent(policy, event)) continue;
    const ms = instantMs(event.observedAt);
    if (Number.isNaN(ms)) throw new RangeError(`event ${event.id}: observedAt is not an instant`);
    const claimDate = localDateOf(ms, policy.timezone);
    if (claimDate < policy.coverageStart || claimDate > policy.coverageEnd) continue;
    let list = byDate.get(claimDate);
    if (!list) {
      list = [];
      byDate.set(claimDate, list);
    }
    list.push({ event, instantMs: ms, claimDate });
  }
  return new Map([...byDate.entries()].sort(([a], [b]) => compareIds(a, b)));
}

/**
 * SPEC §3.2: the candidates of one date from that date's relevant events, in canonical order.
 * `once_per_day`: one candidate at the day's highest tier carrying the ids of the events at
 * that tier; `per_event`: one candidate per event.
 */
export function candidatesForDate(
  policy: Policy,
  claimDate: string,
  dayEvents: readonly DatedEvent[],
): Candidate[] {
  if (dayEvents.length === 0) return [];
  if (policy.payoutMode === "per_event") {
    return sortCandidates(dayEvents.map((d) => ({
      claimDate,
      claimKey: d.event.id,
      tier: d.event.tier,
      eventIds: [d.event.id],
      uncappedBps: policy.tierPayoutsBps[d.event.tier],
      firstObservedAtMs: d.instantMs,
    })));
  }
  let top: Tier = "tier1";
  for (const d of dayEvents) if (TIER_RANK[d.event.tier] > TIER_RANK[top]) top = d.event.tier;
  const eventIds: string[] = [];
  let firstObservedAtMs = Infinity; // a loop, not Math.min(...): a day may hold 100k+ events
  for (const d of dayEvents) {
    if (d.event.tier !== top) continue;
    eventIds.push(d.event.id);
    if (d.instantMs < firstObservedAtMs) firstObservedAtMs = d.instantMs;
  }
  return [{
    claimDate,
    claimKey: "day",
    tier: top,
    eventIds: eventIds.sort(compareIds),
    uncappedBps: policy.tierPayoutsBps[top],
    firstObservedAtMs,
  }];
}

/** The candidates of one policy-local date from any set of events (others are ignored). */
export function calculateDayCandidates(
  policy: Policy,
  claimDate: string,
  events: Iterable<RiskEvent>,
): Candidate[] {
  // No events, no candidates: most policy-days of a daily run, without the grouping's maps.
  if (Array.isArray(events) && events.length === 0) return [];
  const dayEvents = relevantByDate(policy, events).get(claimDate) ?? [];
  return candidatesForDate(policy, claimDate, dayEvents);
}
