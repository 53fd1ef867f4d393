/**
 * The calculation of SPEC §3, pure and deterministic: the result depends only on the policy
 * and the *set* of events (never their order, nor the order or number of computations).
 *
 *   events --relevantByDate--> per local date --candidatesForDate--> candidates
 *          --sortCandidates (canonical order)--> allocateCaps (period cap) --> claims
 *
 * A day computed alone is allocated against what earlier stored days used (`reallocate`),
 * which ends equal to the whole-period calculation once every day has been computed.
 */
import { localDateOf } from "./calendar.ts";
import { payoutAmount } from "./money.ts";
import { type Claim, instantMs, type Policy, type RiskEvent, type Tier } from "./schemas.ts";

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

/** A claim together with its canonical sort key (what storage keeps to re-allocate later). */
export interface AllocatedClaim extends Claim {
  firstObservedAtMs: number;
}

const TIER_RANK: Record<Tier, number> = { tier1: 1, tier2: 2, tier3: 3 };

/** Code-unit order, the order of `COLLATE "C"` and of JS's default sort. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Canonical order: claimDate, then earliest observedAt (as an instant), then claimKey. */
export function compareCandidates(
  a: Pick<Candidate, "claimDate" | "firstObservedAtMs" | "claimKey">,
  b: Pick<Candidate, "claimDate" | "firstObservedAtMs" | "claimKey">,
): number {
  return compareIds(a.claimDate, b.claimDate) || a.firstObservedAtMs - b.firstObservedAtMs ||
    compareIds(a.claimKey, b.claimKey);
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
  const atTop = dayEvents.filter((d) => d.event.tier === top);
  return [{
    claimDate,
    claimKey: "day",
    tier: top,
    eventIds: atTop.map((d) => d.event.id).sort(compareIds),
    uncappedBps: policy.tierPayoutsBps[top],
    firstObservedAtMs: Math.min(...atTop.map((d) => d.instantMs)),
  }];
}

/**
 * SPEC §3.4: cap allocation in canonical order. `remainingBps` is what earlier claims left of
 * the period cap. Every candidate becomes a claim, even at 0 bps.
 */
export function allocateCaps(
  policy: Policy,
  orderedCandidates: readonly Candidate[],
  remainingBps: number = policy.periodCapBps,
): AllocatedClaim[] {
  let remaining = remainingBps;
  return orderedCandidates.map((c) => {
    const payoutBps = Math.max(0, Math.min(c.uncappedBps, remaining));
    remaining -= payoutBps;
    return {
      policyId: policy.id,
      claimDate: c.claimDate,
      claimKey: c.claimKey,
      tier: c.tier,
      eventIds: [...c.eventIds],
      uncappedBps: c.uncappedBps,
      payoutBps,
      capped: payoutBps < c.uncappedBps,
      payoutAmount: payoutAmount(policy.sumInsured, payoutBps),
      firstObservedAtMs: c.firstObservedAtMs,
    };
  });
}

/** Every candidate of the coverage period, in canonical order. */
export function periodCandidates(policy: Policy, events: Iterable<RiskEvent>): Candidate[] {
  const out: Candidate[] = [];
  for (const [date, dayEvents] of relevantByDate(policy, events)) {
    out.push(...candidatesForDate(policy, date, dayEvents));
  }
  return out; // dates ascend and each date's candidates are sorted: already canonical
}

/** SPEC §3 over the whole coverage period, with sort keys (for storage). */
export function calculatePeriodAllocated(
  policy: Policy,
  events: Iterable<RiskEvent>,
): AllocatedClaim[] {
  return allocateCaps(policy, periodCandidates(policy, events));
}

/** SPEC §3 over the whole coverage period: the claims, in canonical order. */
export function calculatePeriod(policy: Policy, events: Iterable<RiskEvent>): Claim[] {
  return calculatePeriodAllocated(policy, events).map(toClaim);
}

/** The candidates of one policy-local date from any set of events (others are ignored). */
export function calculateDayCandidates(
  policy: Policy,
  claimDate: string,
  events: Iterable<RiskEvent>,
): Candidate[] {
  const dayEvents = relevantByDate(policy, events).get(claimDate) ?? [];
  return candidatesForDate(policy, claimDate, dayEvents);
}

/**
 * One day computed alone (SPEC §3, last paragraph): replaces the stored claims of `claimDate`
 * by `dayCandidates` and re-allocates the period cap over every stored claim in canonical
 * order. Earlier days keep their allocation (allocation is a prefix sum); later days are
 * re-allocated from their stored `uncappedBps`. Returns the policy's complete new claim set.
 */
export function reallocate(
  policy: Policy,
  stored: readonly Candidate[],
  claimDate: string,
  dayCandidates: readonly Candidate[],
): AllocatedClaim[] {
  const merged = stored.filter((c) => c.claimDate !== claimDate).concat(dayCandidates);
  return allocateCaps(policy, sortCandidates([...merged]));
}

/** Strips the storage sort key: the claim exactly as SPEC §2 shows it to users. */
export function toClaim(c: AllocatedClaim): Claim {
  return {
    policyId: c.policyId,
    claimDate: c.claimDate,
    claimKey: c.claimKey,
    tier: c.tier,
    eventIds: c.eventIds,
    uncappedBps: c.uncappedBps,
    payoutBps: c.payoutBps,
    capped: c.capped,
    payoutAmount: c.payoutAmount,
  };
}
