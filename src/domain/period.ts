/**
 * SPEC §3 over a whole coverage period. Events are prepared once (prepared-events.ts: parsed,
 * in (instant, id) order per region, local days per zone), so a policy's period is one walk
 * over its region's events in coverage: candidates come out already in canonical order and
 * the cap is allocated as they come, with no intermediate arrays. The same claims as
 * candidates.ts + allocation.ts day by day (the property tests hold the two roads together).
 */
import { type AllocatedClaim, CapAllocator } from "./allocation.ts";
import { dateOfEpochDay, epochDayOfDate } from "./calendar.ts";
import { type Candidate, candidatesForDate, relevantByDate } from "./candidates.ts";
import { payoutAmount } from "./money.ts";
import { compareIds, TIER_RANK } from "./order.ts";
import { PreparedEvents, type PreparedRegion, prepareEvents } from "./prepared-events.ts";
import type { Claim, Policy, RiskEvent, Tier } from "./schemas.ts";

/** Events as a plain set, or prepared once for many policies. */
export type EventSet = Iterable<RiskEvent> | PreparedEvents;

/** Receives a period's candidates one by one, in canonical order. */
type CandidateSink = (
  claimDate: string,
  claimKey: string,
  tier: Tier,
  eventIds: string[],
  uncappedBps: number,
  firstObservedAtMs: number,
) => void;

function prepared(policy: Policy, events: EventSet): PreparedEvents {
  return events instanceof PreparedEvents ? events : prepareEvents(events, policy.region);
}

function walkPeriod(policy: Policy, events: EventSet, sink: CandidateSink): void {
  const region = prepared(policy, events).region(policy.region);
  if (!region) return;
  const { days, monotonic } = region.localDays(policy.timezone);
  if (!monotonic) {
    // Clocks that went back across midnight interleave two dates: place events date by date.
    for (const [date, dayEvents] of relevantByDate(policy, region.events)) {
      for (const c of candidatesForDate(policy, date, dayEvents)) {
        sink(c.claimDate, c.claimKey, c.tier, c.eventIds, c.uncappedBps, c.firstObservedAtMs);
      }
    }
    return;
  }
  const end = lowerBound(days, epochDayOfDate(policy.coverageEnd) + 1);
  for (let i = lowerBound(days, epochDayOfDate(policy.coverageStart)); i < end;) {
    let next = i + 1;
    while (next < end && days[next] === days[i]) next++;
    walkDay(policy, region, dateOfEpochDay(days[i]!), i, next, sink);
    i = next;
  }
}

/**
 * The candidates of one date from the region's events [from, to): that date's events in
 * (instant, id) order, so per_event candidates come out in canonical order as they are, and a
 * once_per_day day's earliest event at its top tier is the first one met.
 */
function walkDay(
  policy: Policy,
  region: PreparedRegion,
  claimDate: string,
  from: number,
  to: number,
  sink: CandidateSink,
): void {
  const { events, instants } = region;
  if (policy.payoutMode === "per_event") {
    for (let i = from; i < to; i++) {
      const { id, tier } = events[i]!;
      sink(claimDate, id, tier, [id], policy.tierPayoutsBps[tier], instants[i]!);
    }
    return;
  }
  let top: Tier = "tier1";
  for (let i = from; i < to; i++) {
    const tier = events[i]!.tier;
    if (TIER_RANK[tier] > TIER_RANK[top]) top = tier;
  }
  const eventIds: string[] = [];
  let firstObservedAtMs = Number.NaN;
  for (let i = from; i < to; i++) {
    if (events[i]!.tier !== top) continue;
    if (eventIds.length === 0) firstObservedAtMs = instants[i]!;
    eventIds.push(events[i]!.id);
  }
  if (eventIds.length > 1) eventIds.sort(compareIds);
  sink(claimDate, "day", top, eventIds, policy.tierPayoutsBps[top], firstObservedAtMs);
}

/** The first index whose value is >= `value` in ascending `values`. */
function lowerBound(values: Int32Array, value: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Every candidate of the coverage period, in canonical order. */
export function periodCandidates(policy: Policy, events: EventSet): Candidate[] {
  const out: Candidate[] = [];
  walkPeriod(policy, events, (claimDate, claimKey, tier, eventIds, uncappedBps, first) => {
    out.push({ claimDate, claimKey, tier, eventIds, uncappedBps, firstObservedAtMs: first });
  });
  return out;
}

/** SPEC §3 over the whole coverage period, with sort keys (for storage). */
export function calculatePeriodAllocated(policy: Policy, events: EventSet): AllocatedClaim[] {
  const out: AllocatedClaim[] = [];
  const cap = new CapAllocator(policy.periodCapBps);
  walkPeriod(policy, events, (claimDate, claimKey, tier, eventIds, uncappedBps, first) => {
    const payoutBps = cap.take(uncappedBps);
    out.push({
      policyId: policy.id,
      claimDate,
      claimKey,
      tier,
      eventIds,
      uncappedBps,
      payoutBps,
      capped: payoutBps < uncappedBps,
      payoutAmount: payoutAmount(policy.sumInsured, payoutBps),
      firstObservedAtMs: first,
    });
  });
  return out;
}

/** SPEC §3 over the whole coverage period: the claims in SPEC §2 shape, in canonical order. */
export function calculatePeriod(policy: Policy, events: EventSet): Claim[] {
  const out: Claim[] = [];
  const cap = new CapAllocator(policy.periodCapBps);
  walkPeriod(policy, events, (claimDate, claimKey, tier, eventIds, uncappedBps) => {
    const payoutBps = cap.take(uncappedBps);
    out.push({
      policyId: policy.id,
      claimDate,
      claimKey,
      tier,
      eventIds,
      uncappedBps,
      payoutBps,
      capped: payoutBps < uncappedBps,
      payoutAmount: payoutAmount(policy.sumInsured, payoutBps),
    });
  });
  return out;
}

/**
 * SPEC §3 for many policies over one event set (each event parsed and ordered once): every
 * policy's claims, by policy id.
 */
export function calculatePeriods(
  policies: Iterable<Policy>,
  events: EventSet,
): Map<string, Claim[]> {
  const all = events instanceof PreparedEvents ? events : prepareEvents(events);
  const out = new Map<string, Claim[]>();
  for (const policy of policies) {
    if (out.has(policy.id)) {
      throw new RangeError(`duplicate policy id ${JSON.stringify(policy.id)} in one calculation`);
    }
    out.set(policy.id, calculatePeriod(policy, all));
  }
  return out;
}
