/**
 * SPEC §3.4: the period cap shared out in canonical order, and the re-allocation of stored
 * claims when one day is recomputed alone (SPEC §3, last paragraph).
 */
import { type Candidate, sortCandidates } from "./candidates.ts";
import { payoutAmount } from "./money.ts";
import type { Claim, Policy } from "./schemas.ts";

/** A claim together with its canonical sort key (what storage keeps to re-allocate later). */
export interface AllocatedClaim extends Claim {
  firstObservedAtMs: number;
}

/**
 * What is left of a period cap, handed out in canonical order: each claim gets
 * min(uncappedBps, remaining). Never negative, so a claim past the cap gets 0 bps.
 */
export class CapAllocator {
  #remainingBps: number;

  constructor(remainingBps: number) {
    this.#remainingBps = Math.max(0, remainingBps);
  }

  get remainingBps(): number {
    return this.#remainingBps;
  }

  /** The payout of the next claim in canonical order. */
  take(uncappedBps: number): number {
    const payoutBps = uncappedBps < this.#remainingBps ? uncappedBps : this.#remainingBps;
    this.#remainingBps -= payoutBps;
    return payoutBps;
  }
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
  const cap = new CapAllocator(remainingBps);
  return orderedCandidates.map((c) => {
    const payoutBps = cap.take(c.uncappedBps);
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
  for (const c of dayCandidates) {
    if (c.claimDate !== claimDate) {
      throw new RangeError(
        `reallocate: a candidate of ${c.claimDate} (claimKey ${c.claimKey}) was passed as a candidate of ${claimDate}`,
      );
    }
  }
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
