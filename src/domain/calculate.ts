/**
 * The calculation of SPEC §3, pure and deterministic: the result depends only on the policy
 * and the *set* of events (never their order, nor the order or number of computations).
 *
 *   one day:     events --relevantByDate--> per local date --candidatesForDate--> candidates
 *                (canonical order) --allocateCaps / reallocate (period cap)--> claims
 *   the period:  events --prepareEvents (once for many policies)--> calculatePeriod: one walk
 *                per policy, candidates in canonical order, cap allocated as they come
 *
 * A day computed alone is allocated against what earlier stored days used (`reallocate`),
 * which ends equal to the whole-period calculation once every day has been computed.
 */
export { compareCandidates, compareIds } from "./order.ts";
export * from "./candidates.ts";
export * from "./allocation.ts";
export * from "./period.ts";
