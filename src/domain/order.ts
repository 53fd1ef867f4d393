/** The orders of SPEC §2-3: ids by code unit, tiers by rank, claims in canonical order. */
import type { Tier } from "./schemas.ts";

export const TIER_RANK: Readonly<Record<Tier, number>> = { tier1: 1, tier2: 2, tier3: 3 };

/** Code-unit order, the order of `COLLATE "C"` and of JS's default sort. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What canonical order looks at. */
export interface CanonicalKey {
  claimDate: string;
  /** Earliest observedAt (epoch ms) among the claim's events. */
  firstObservedAtMs: number;
  claimKey: string;
}

/** Canonical order: claimDate, then earliest observedAt (as an instant), then claimKey. */
export function compareCandidates(a: CanonicalKey, b: CanonicalKey): number {
  return compareIds(a.claimDate, b.claimDate) || a.firstObservedAtMs - b.firstObservedAtMs ||
    compareIds(a.claimKey, b.claimKey);
}
