/**
 * The small valid data set every bad-input test file starts from (imported through the CLI):
 * a few policies across zones and payout modes, and events on some of their days.
 */
import { type Row, validEvent, validPolicy } from "./records.ts";

export const KNOWN_POLICY_ID = "BASE-P-01";

export function baselinePolicies(): Row[] {
  return [
    validPolicy(KNOWN_POLICY_ID),
    { ...validPolicy("BASE-P-02"), timezone: "Pacific/Chatham", payoutMode: "per_event" },
    { ...validPolicy("BASE-P-03"), timezone: "America/New_York", sumInsured: 1_000_000_000_000 },
    // A region that looks like SQL is valid text and must be stored as such.
    { ...validPolicy("BASE-P-04"), region: "x'); DROP TABLE claims; --" },
  ];
}

export function baselineEvents(): Row[] {
  const at = (id: string, observedAt: string, tier: string, region = "coastal") => ({
    ...validEvent(id),
    observedAt,
    tier,
    region,
  });
  return [
    at("BASE-E-01", "2025-03-10T12:00:00Z", "tier1"),
    at("BASE-E-02", "2025-03-10T23:30:00+01:00", "tier3"),
    at("BASE-E-03", "2025-03-30T01:30:00+01:00", "tier2"),
    at("BASE-E-04", "2025-03-15T06:00:00Z", "tier2", "x'); DROP TABLE claims; --"),
    { ...at("BASE-E-05", "2025-03-20T12:00:00Z", "tier3"), status: "retracted" },
  ];
}

/** Coverage of the baseline policies: the days the suite computes claims for. */
export const BASELINE_RANGE = { from: "2025-03-01", to: "2025-03-31" } as const;
