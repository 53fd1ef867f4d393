/**
 * The benchmark's book of business: reproducible policies in groups, one group per measurement,
 * and storm events around every date a measurement computes. Pure (no I/O).
 *
 * Each group covers its own calendar year, so a daily run of one group's date pages through
 * that group only, while policies keep the year-long coverage real books have. Policies come
 * from the seed generator (src/seed: regions, zones with DST and :30/:45 offsets, both payout
 * modes, tier tables, caps); only their coverage is set to the group's year.
 *
 * Events: on every UTC date, STORM_REGIONS of the REGIONS regions get one to three events at
 * random instants, so about 5% of the policies have events on their local day (a local day
 * away from UTC overlaps two UTC dates, which adds a little; the run measures the real share).
 */
import { addDays, datesInRange } from "../../src/domain/calendar.ts";
import type { Policy, RiskEvent, Tier } from "../../src/domain/schemas.ts";
import { generatePolicy, parseSeedOptions } from "../../src/seed/generate.ts";
import { createRandom } from "../../src/seed/random.ts";

export const REGIONS = 100;
export const STORM_REGIONS = 5;

export interface PolicyGroup {
  /** Id prefix (policy ids are `<prefix>-<n>`). */
  prefix: string;
  size: number;
  /** The calendar year its policies cover. */
  year: number;
  /** The claim dates this group's measurement computes, ascending. */
  dates: string[];
}

export interface BenchGroups {
  warmup: PolicyGroup;
  main: PolicyGroup;
  naive: PolicyGroup;
  /** The policies curve: smaller books for one day (the main group is its largest point). */
  small: PolicyGroup;
  /** The days curve: one book over 1, then 7, then 30 further days. */
  days: PolicyGroup;
}

/**
 * Repetitions: the main run twice (on consecutive dates, ABBA with the floor), the one-day
 * points of the curves three times (their median counts); the days curve then runs 7 and 30
 * further dates.
 */
export const MAIN_RUNS = 2;
export const ONE_DAY_REPEATS = 3;
export const DAY_RUNS = [7, 30] as const;

const dates = (first: string, count: number) => datesInRange(first, addDays(first, count - 1));

/**
 * The groups for a main book of `policies`: the policies curve at policies/100, /10 and the
 * main run; the days curve with policies/10; warm-up and the naive sample of `naive` policies.
 *
 * `workers` is how many worker runtimes the main measurement compares (1: Node alone). Each
 * further one gets dates of its own after Node's: one warm-up date and MAIN_RUNS main dates
 * (see workerDates), so that every worker computes every policy-day it is timed on from
 * scratch, on the same book. With one worker the groups are exactly those of a Node-only run.
 */
export function benchGroups(policies: number, naive: number, workers = 1): BenchGroups {
  const dayCount = ONE_DAY_REPEATS + DAY_RUNS.reduce((a, b) => a + b, 0);
  return {
    warmup: {
      prefix: "w",
      size: Math.min(2_000, policies),
      year: 2024,
      dates: dates("2024-06-15", workers),
    },
    main: {
      prefix: "m",
      size: policies,
      year: 2025,
      dates: dates("2025-06-15", MAIN_RUNS * workers),
    },
    small: {
      prefix: "s",
      size: Math.max(1, Math.round(policies / 100)),
      year: 2026,
      dates: dates("2026-06-15", ONE_DAY_REPEATS),
    },
    days: {
      prefix: "d",
      size: Math.max(1, Math.round(policies / 10)),
      year: 2027,
      dates: dates("2027-06-01", dayCount),
    },
    naive: { prefix: "n", size: naive, year: 2028, dates: ["2028-06-15"] },
  };
}

/**
 * The part of `group`'s dates that worker number `index` (0: the Node worker) runs on:
 * `perWorker` consecutive dates, those of worker 0 first (so Node's dates never change).
 */
export function workerDates(group: PolicyGroup, index: number, perWorker: number): PolicyGroup {
  const mine = group.dates.slice(index * perWorker, (index + 1) * perWorker);
  if (mine.length !== perWorker) {
    throw new Error(`group ${group.prefix} has no ${perWorker} dates for worker ${index}`);
  }
  return { ...group, dates: mine };
}

export function regionNames(): string[] {
  return Array.from({ length: REGIONS }, (_, i) => `r${String(i).padStart(3, "0")}`);
}

export function* groupPolicies(group: PolicyGroup, seed: string): Generator<Policy> {
  const options = parseSeedOptions({
    policies: group.size,
    days: 365,
    eventsPerDay: 0,
    seed,
    regions: regionNames(),
    start: `${group.year}-01-01`,
  });
  const width = Math.max(6, String(group.size).length);
  for (let i = 1; i <= group.size; i++) {
    const policy = generatePolicy(options, `${group.prefix}-${String(i).padStart(width, "0")}`);
    yield { ...policy, coverageStart: `${group.year}-01-01`, coverageEnd: `${group.year}-12-31` };
  }
}

const TIERS: readonly (readonly [Tier, number])[] = [["tier1", 6], ["tier2", 3], ["tier3", 1]];

/** The storm events of one UTC date: the same for a seed and date, whatever else is generated. */
export function stormEvents(date: string, seed: string): RiskEvent[] {
  const random = createRandom(seed, `storms/${date}`);
  const regions = regionNames();
  const stormy = new Set<string>();
  while (stormy.size < STORM_REGIONS) stormy.add(random.pick(regions));
  const events: RiskEvent[] = [];
  for (const region of [...stormy].sort()) {
    const count = random.int(1, 3);
    for (let n = 1; n <= count; n++) {
      const seconds = random.int(0, 86_399);
      const time = new Date(Date.parse(`${date}T00:00:00Z`) + seconds * 1000).toISOString();
      events.push({
        id: `${region}-${date.replaceAll("-", "")}-${n}`,
        region,
        tier: random.weighted(TIERS),
        observedAt: time,
        status: "active",
        source: "bench",
      });
    }
  }
  return events;
}

/** Events of every UTC date that any claim date of the groups can see (its day ± 1). */
export function benchEvents(groups: readonly PolicyGroup[], seed: string): RiskEvent[] {
  const dates = new Set<string>();
  for (const group of groups) {
    for (const d of group.dates) for (const k of [-1, 0, 1]) dates.add(addDays(d, k));
  }
  return [...dates].sort().flatMap((date) => stormEvents(date, seed));
}
