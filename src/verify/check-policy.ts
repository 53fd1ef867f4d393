/**
 * The checks of `verify` for one policy, pure: the stored claims against the domain's
 * whole-period calculation over the stored events, the cap invariants of the stored claims,
 * the ledger against the days that have events, and rows that belong to no covered day.
 */
import { calculatePeriod } from "../domain/calculate.ts";
import { dateOfEpochDay, epochDayOfDate } from "../domain/calendar.ts";
import type { PreparedEvents, PreparedRegion } from "../domain/prepared-events.ts";
import { payoutAmount } from "../domain/money.ts";
import type { Claim, Policy, RiskEvent } from "../domain/schemas.ts";
import type { ProblemKind, VerifyProblem } from "./problems.ts";

export interface StoredClaim {
  claimDate: string;
  claimKey: string;
  tier: string;
  eventIds: string[];
  uncappedBps: number;
  payoutBps: number;
  capped: boolean;
  payoutAmount: bigint;
}

export interface StoredLedgerDay {
  claimDate: string;
  /** When the day was last computed (ledger computed_at), epoch microseconds. */
  computedAtUs: number;
  claimsCount: number;
}

export interface StoredEvent {
  event: RiskEvent;
  /** When the stored event last arrived or changed (greatest of received_at, updated_at), epoch microseconds. */
  changedAtUs: number;
}

export interface PolicyState {
  policy: Policy;
  /**
   * The stored events of (at least) the policy's region around its coverage period, prepared
   * once for all the policies of a page (parsed, ordered, local days per zone).
   */
  events: PreparedEvents;
  /** When each of those events last arrived or changed, epoch microseconds (by event object). */
  changedAtUs: ReadonlyMap<RiskEvent, number>;
  claims: readonly StoredClaim[];
  ledger: readonly StoredLedgerDay[];
}

export interface DateRange {
  from: string;
  to: string;
}

export interface PolicyCheck {
  /** The problems found, with details (empty when `details: false`). */
  problems: VerifyProblem[];
  /** Problems only counted (`details: false`), per kind. */
  counted: Record<ProblemKind, number>;
  /** Claims stored for the policy inside the range. */
  claimsChecked: number;
  /** Ledger rows of the policy inside the range. */
  policyDaysChecked: number;
}

const COMPARED_FIELDS = [
  "tier",
  "eventIds",
  "uncappedBps",
  "payoutBps",
  "capped",
  "payoutAmount",
] as const;

const keyOf = (claimDate: string, claimKey: string) => `${claimDate}\u0000${claimKey}`;

function comparable(value: unknown): string {
  if (Array.isArray(value)) return value.join(",");
  return String(value);
}

function show(value: unknown): string {
  return Array.isArray(value) ? `[${value.join(", ")}]` : String(value);
}

function storedField(claim: StoredClaim, field: (typeof COMPARED_FIELDS)[number]): unknown {
  return claim[field];
}

function expectedField(claim: Claim, field: (typeof COMPARED_FIELDS)[number]): unknown {
  return field === "payoutAmount" ? BigInt(claim.payoutAmount) : claim[field];
}

export interface CheckOptions {
  range?: DateRange | undefined;
  /** false: only count the problems (`counted`), without building their details. */
  details?: boolean;
}

export function checkPolicy(state: PolicyState, options: CheckOptions = {}): PolicyCheck {
  const range = options.range;
  const { policy } = state;
  const inRange = (date: string) => !range || (date >= range.from && date <= range.to);
  const inCoverage = (date: string) => date >= policy.coverageStart && date <= policy.coverageEnd;
  const problems: VerifyProblem[] = [];
  const counted: Record<ProblemKind, number> = {
    difference: 0,
    cap_breach: 0,
    ledger_gap: 0,
    orphan: 0,
    invalid_policy: 0,
  };
  // Details (messages, expected values) are built only while the caller still lists problems:
  // a store where nothing was computed has millions, and counting them must stay cheap.
  const add = (kind: ProblemKind, detail: () => Omit<VerifyProblem, "policyId" | "kind">) => {
    if (options.details === false) counted[kind]++;
    else problems.push({ policyId: policy.id, kind, ...detail() });
  };

  const expected = new Map(
    calculatePeriod(policy, state.events).map((c) => [keyOf(c.claimDate, c.claimKey), c]),
  );
  const stored = new Map(state.claims.map((c) => [keyOf(c.claimDate, c.claimKey), c]));

  // Differences, claim by claim.
  for (const [key, want] of expected) {
    if (!stored.has(key) && inRange(want.claimDate)) {
      add("difference", () => ({
        check: "missing",
        claimDate: want.claimDate,
        claimKey: want.claimKey,
        message: `claim missing: expected ${want.tier} [${
          want.eventIds.join(", ")
        }] paying ${want.payoutBps} bps (${want.payoutAmount})`,
        expected: want,
      }));
    }
  }
  let claimsChecked = 0;
  for (const [key, have] of stored) {
    if (!inRange(have.claimDate)) continue;
    claimsChecked++;
    const at = { claimDate: have.claimDate, claimKey: have.claimKey };
    if (!inCoverage(have.claimDate)) {
      add("orphan", () => ({
        check: "outside_coverage",
        ...at,
        message:
          `claim outside the policy's coverage ${policy.coverageStart}..${policy.coverageEnd}`,
      }));
      continue;
    }
    const want = expected.get(key);
    if (!want) {
      add("difference", () => ({
        check: "extra",
        ...at,
        message: `claim stored but not produced by the stored events (${have.tier} [${
          have.eventIds.join(", ")
        }], ${have.payoutBps} bps)`,
        actual: have,
      }));
      continue;
    }
    for (const field of COMPARED_FIELDS) {
      const a = storedField(have, field);
      const e = expectedField(want, field);
      if (comparable(a) !== comparable(e)) {
        add("difference", () => ({
          check: field,
          ...at,
          message: `${field}: stored ${show(a)}, expected ${show(e)}`,
          expected: e,
          actual: a,
        }));
      }
    }
  }

  // Cap invariants of what is stored (whatever the events say).
  const totalBps = state.claims.reduce((n, c) => n + c.payoutBps, 0);
  if (totalBps > policy.periodCapBps) {
    add("cap_breach", () => ({
      check: "period_cap",
      message:
        `stored claims pay ${totalBps} bps in total, over the period cap of ${policy.periodCapBps} bps`,
      expected: policy.periodCapBps,
      actual: totalBps,
    }));
  }
  for (const c of state.claims) {
    if (!inRange(c.claimDate)) continue;
    const at = { claimDate: c.claimDate, claimKey: c.claimKey };
    if (c.payoutBps > c.uncappedBps) {
      add("cap_breach", () => ({
        check: "payout_over_uncapped",
        ...at,
        message: `payoutBps ${c.payoutBps} exceeds uncappedBps ${c.uncappedBps}`,
      }));
    }
    const bpsValid = Number.isInteger(c.payoutBps) && c.payoutBps >= 0 && c.payoutBps <= 10_000;
    const exact = bpsValid ? BigInt(payoutAmount(policy.sumInsured, c.payoutBps)) : undefined;
    if (exact === undefined || exact !== c.payoutAmount) {
      add("cap_breach", () => ({
        check: "payout_amount",
        ...at,
        message:
          `payout_amount ${c.payoutAmount} != floor(${policy.sumInsured} * ${c.payoutBps} / 10000)${
            exact === undefined ? "" : ` = ${exact}`
          }`,
        expected: exact,
        actual: c.payoutAmount,
      }));
    }
  }

  // Ledger: every day with relevant events was computed after its newest event arrived.
  const ledger = new Map(state.ledger.map((l) => [l.claimDate, l]));
  const region = state.events.region(policy.region);
  for (const [date, day] of region ? relevantDays(policy, region, state.changedAtUs) : []) {
    if (!inRange(date)) continue;
    const newest = day.newest;
    const newestUs = day.newestUs;
    const row = ledger.get(date);
    if (!row) {
      add("ledger_gap", () => ({
        check: "no_ledger_row",
        claimDate: date,
        message: `${day.count} relevant event(s) but the day was never computed (no ledger row)`,
      }));
    } else if (row.computedAtUs < newestUs) {
      add("ledger_gap", () => ({
        check: "stale_ledger_row",
        claimDate: date,
        message: `computed at ${
          isoOfMicros(row.computedAtUs)
        }, before event ${newest.id} arrived or changed at ${isoOfMicros(newestUs)}`,
      }));
    }
  }

  // Ledger rows and claims that belong to no computed, covered day.
  const claimsPerDay = new Map<string, number>();
  for (const c of state.claims) {
    claimsPerDay.set(c.claimDate, (claimsPerDay.get(c.claimDate) ?? 0) + 1);
  }
  let policyDaysChecked = 0;
  for (const row of state.ledger) {
    if (!inRange(row.claimDate)) continue;
    policyDaysChecked++;
    const count = claimsPerDay.get(row.claimDate) ?? 0;
    if (!inCoverage(row.claimDate)) {
      add("orphan", () => ({
        check: "outside_coverage",
        claimDate: row.claimDate,
        message:
          `ledger row outside the policy's coverage ${policy.coverageStart}..${policy.coverageEnd}`,
      }));
    } else if (row.claimsCount !== count) {
      add("orphan", () => ({
        check: "ledger_claims_count",
        claimDate: row.claimDate,
        message: `ledger row records ${row.claimsCount} claim(s) but ${count} are stored`,
        expected: row.claimsCount,
        actual: count,
      }));
    }
  }
  for (const [date, count] of claimsPerDay) {
    if (!inRange(date) || ledger.has(date) || !inCoverage(date)) continue;
    add("orphan", () => ({
      check: "claims_without_ledger_row",
      claimDate: date,
      message: `${count} claim(s) stored for a day with no ledger row`,
    }));
  }
  return { problems, counted, claimsChecked, policyDaysChecked };
}

interface RelevantDay {
  count: number;
  newest: RiskEvent;
  newestUs: number;
}

/**
 * The policy's days that have relevant events (its region's active events whose local date,
 * in its zone, is inside its coverage), each with the event that arrived or changed last.
 */
function relevantDays(
  policy: Policy,
  region: PreparedRegion,
  changedAtUs: ReadonlyMap<RiskEvent, number>,
): Map<string, RelevantDay> {
  const { days, monotonic } = region.localDays(policy.timezone);
  const first = epochDayOfDate(policy.coverageStart);
  const last = epochDayOfDate(policy.coverageEnd);
  // Days ascend with the instants except where clocks go back across midnight: scan all then.
  const from = monotonic ? lowerBound(days, first) : 0;
  const to = monotonic ? lowerBound(days, last + 1) : days.length;
  const out = new Map<number, RelevantDay>();
  for (let i = from; i < to; i++) {
    const d = days[i]!;
    if (d < first || d > last) continue;
    const event = region.events[i]!;
    const us = changedAtUs.get(event) ?? 0;
    const day = out.get(d);
    if (!day) out.set(d, { count: 1, newest: event, newestUs: us });
    else {
      day.count++;
      if (us > day.newestUs) {
        day.newest = event;
        day.newestUs = us;
      }
    }
  }
  return new Map([...out].sort(([a], [b]) => a - b).map(([d, day]) => [dateOfEpochDay(d), day]));
}

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

function isoOfMicros(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  return `${iso.slice(0, 23)}${String(us % 1000).padStart(3, "0")}Z`;
}
