/**
 * A reproducible synthetic data set: the same options give byte-identical policies and events
 * on every run and runtime (a seeded PRNG, no Math.random, no clock). Pure: no I/O. Used by
 * `claims seed`, the benchmarks and the chaos run.
 *
 * Every policy and every region-day draws from its own PRNG stream, so a policy does not change
 * when --days or --events-per-day change, and events do not change with --policies.
 */
import * as z from "zod";
import { addDays, daysBetween, isValidDate } from "../domain/calendar.ts";
import {
  type PayoutMode,
  type Policy,
  type RiskEvent,
  type Tier,
  type TierPayouts,
} from "../domain/schemas.ts";
import { createRandom, type Random } from "./random.ts";

export const DEFAULT_REGIONS = ["alpine", "coastal", "delta", "plains", "valley"] as const;
export const DEFAULT_START = "2025-01-01";

/**
 * Real IANA zones chosen for their rules: DST in either hemisphere, :30 and :45 offsets, and
 * both ends of the offset range (UTC-12 and UTC+14).
 */
export const SEED_TIME_ZONES = [
  "UTC",
  "Europe/London",
  "Europe/Berlin",
  "America/New_York",
  "America/Los_Angeles",
  "America/St_Johns", // -03:30 / -02:30 (DST)
  "America/Santiago", // DST in the southern summer; midnight transitions
  "America/Sao_Paulo",
  "Pacific/Marquesas", // -09:30
  "Pacific/Pago_Pago", // -11:00
  "Etc/GMT+12", // UTC-12
  "Asia/Kolkata", // +05:30
  "Asia/Kathmandu", // +05:45
  "Asia/Tehran", // +03:30
  "Asia/Tokyo",
  "Australia/Adelaide", // +09:30 / +10:30 (DST)
  "Australia/Eucla", // +08:45
  "Australia/Sydney",
  "Pacific/Auckland",
  "Pacific/Chatham", // +12:45 / +13:45 (DST)
  "Pacific/Tongatapu", // +13:00
  "Pacific/Kiritimati", // +14:00
] as const;

const CURRENCIES = ["EUR", "USD", "GBP", "JPY", "INR", "AUD", "BRL", "NZD", "CHF"] as const;

/** The last date SPEC §2 allows (YYYY-MM-DD, year 0001-9999). */
const LAST_DATE = "9999-12-31";

const REGION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

export const SeedOptionsSchema = z.strictObject({
  policies: z.number().int().min(0).max(10_000_000),
  days: z.number().int().min(1).max(3_660),
  eventsPerDay: z.number().int().min(0).max(10_000),
  seed: z.string().min(1).max(64),
  regions: z.array(
    z.string().regex(REGION_PATTERN, {
      error: (i) =>
        `region must be 1-32 letters, digits, '_', '.', '-' (it becomes part of event ids), got ${
          JSON.stringify(i.input)
        }`,
    }),
  ).min(1).max(1_000).refine((r) => new Set(r).size === r.length, {
    error: "regions must be distinct",
  }).default([...DEFAULT_REGIONS]),
  start: z.string().refine(isValidDate, {
    error: (i) => `start must be an existing YYYY-MM-DD date, got ${JSON.stringify(i.input)}`,
  }).default(DEFAULT_START),
  /** Per mille of events that arrive late (a new event for a past day, or a correction). */
  lateShare: z.number().int().min(0).max(1_000).default(30),
}).superRefine((o, ctx) => {
  // Coverage dates past 9999-12-31 exist neither in SPEC §2 nor in PostgreSQL's date type.
  if (daysBetween(o.start, LAST_DATE) + 1 < o.days) {
    ctx.addIssue({
      code: "custom",
      path: ["start"],
      message: `start ${o.start} with ${o.days} days (--days) runs past ${LAST_DATE}; the ` +
        `latest start for ${o.days} days is ${addDays(LAST_DATE, 1 - o.days)}`,
    });
  }
});

export type SeedOptions = z.output<typeof SeedOptionsSchema>;
export type SeedOptionsInput = z.input<typeof SeedOptionsSchema>;

/**
 * One event of the data set. `onTime` is what arrives with the day's data; `late` is what
 * arrives later: a new event for a past day (`onTime` absent) or a corrected version of the
 * same id (a retraction or a changed tier). The final state of the id is `late ?? onTime`.
 */
export interface SeedEvent {
  onTime?: RiskEvent;
  late?: RiskEvent;
}

export interface SeedData {
  options: SeedOptions;
  /** The last date of the data set: start + days - 1. */
  end: string;
  policies(): Generator<Policy>;
  events(): Generator<SeedEvent>;
}

export function parseSeedOptions(input: SeedOptionsInput): SeedOptions {
  return SeedOptionsSchema.parse(input);
}

export function generateSeed(input: SeedOptionsInput): SeedData {
  const options = parseSeedOptions(input);
  const end = addDays(options.start, options.days - 1);
  return {
    options,
    end,
    *policies() {
      const width = Math.max(6, String(options.policies).length);
      for (let i = 1; i <= options.policies; i++) {
        yield generatePolicy(options, `P${String(i).padStart(width, "0")}`);
      }
    },
    *events() {
      for (let day = 0; day < options.days; day++) {
        const date = addDays(options.start, day);
        for (const region of options.regions) yield* regionDayEvents(options, date, region);
      }
    },
  };
}

/** Each region has a home time zone that most of its policies use (as real books of business do). */
function homeZone(options: SeedOptions, region: string): string {
  return createRandom(options.seed, `zone/${region}`).pick(SEED_TIME_ZONES);
}

function tierPayouts(random: Random): TierPayouts {
  const tier1 = random.pick([0, 250, 500, 1_000, 1_500, 2_000]);
  const tier2 = Math.min(10_000, tier1 + random.pick([0, 500, 1_000, 1_500, 2_500]));
  const tier3 = Math.min(10_000, tier2 + random.pick([0, 1_000, 2_500, 5_000]));
  return { tier1, tier2, tier3 };
}

function sumInsured(random: Random): number {
  if (random.chance(1, 200)) return 1_000_000_000_000; // the maximum: BigInt paths get exercised
  const exponent = random.weighted<number>([[5, 2], [6, 5], [7, 8], [8, 6], [9, 3], [10, 1], [
    11,
    1,
  ]]);
  return random.int(1, 99) * 10 ** (exponent - 1) + random.int(0, 99);
}

export function generatePolicy(options: SeedOptions, id: string): Policy {
  const random = createRandom(options.seed, `policy/${id}`);
  const region = random.pick(options.regions);
  const timezone = random.chance(7, 10) ? homeZone(options, region) : random.pick(SEED_TIME_ZONES);
  const days = options.days;
  let coverageStart: string;
  let coverageEnd: string;
  if (random.chance(1, 10)) {
    // A short policy (an event cover for a week or a month).
    const length = Math.min(days, random.int(7, 31));
    coverageStart = addDays(options.start, random.int(0, days - length));
    coverageEnd = addDays(coverageStart, length - 1);
  } else {
    coverageStart = addDays(options.start, random.int(0, Math.floor(days / 4)));
    const lastOffset = Math.floor(days / 4) + random.int(Math.floor(days / 2), days);
    coverageEnd = addDays(options.start, Math.min(days - 1, lastOffset));
    if (coverageEnd < coverageStart) coverageEnd = coverageStart;
  }
  const payoutMode: PayoutMode = random.chance(3, 5) ? "once_per_day" : "per_event";
  return {
    id,
    region,
    currency: random.pick(CURRENCIES),
    sumInsured: sumInsured(random),
    timezone,
    coverageStart,
    coverageEnd,
    payoutMode,
    tierPayoutsBps: tierPayouts(random),
    // Small caps are common enough that capping shows up in every data set.
    periodCapBps: random.weighted<number>([[1_000, 2], [2_500, 3], [5_000, 3], [7_500, 1], [
      10_000,
      1,
    ]]),
  };
}

const SOURCES = ["gauge", "radar", "satellite", "station", "model"] as const;
const TIER_WEIGHTS: readonly (readonly [Tier, number])[] = [["tier1", 60], ["tier2", 28], [
  "tier3",
  12,
]];
const VALUE_RANGE: Record<Tier, readonly [number, number]> = {
  tier1: [500, 799],
  tier2: [800, 1_199],
  tier3: [1_200, 2_500],
};

function observedAt(date: string, random: Random): string {
  const seconds = random.int(0, 86_399);
  const hh = String(Math.floor(seconds / 3600)).padStart(2, "0");
  const mm = String(Math.floor(seconds / 60) % 60).padStart(2, "0");
  const ss = String(seconds % 60).padStart(2, "0");
  const ms = String(random.int(0, 999)).padStart(3, "0");
  return `${date}T${hh}:${mm}:${ss}.${ms}Z`;
}

function riskEvent(id: string, region: string, date: string, random: Random): RiskEvent {
  const tier = random.weighted(TIER_WEIGHTS);
  const [lo, hi] = VALUE_RANGE[tier];
  return {
    id,
    region,
    tier,
    observedAt: observedAt(date, random),
    status: "active",
    source: `${random.pick(SOURCES)}-${random.int(1, 40)}`,
    // A measurement with one decimal, made from integers so it is the same everywhere.
    value: random.int(lo, hi) / 10,
  };
}

function* regionDayEvents(
  options: SeedOptions,
  date: string,
  region: string,
): Generator<SeedEvent> {
  const random = createRandom(options.seed, `events/${region}/${date}`);
  const compactDate = date.replaceAll("-", "");
  const width = Math.max(3, String(options.eventsPerDay).length);
  for (let n = 1; n <= options.eventsPerDay; n++) {
    const id = `${region}-${compactDate}-${String(n).padStart(width, "0")}`;
    const event = riskEvent(id, region, date, random);
    const roll = random.int(1, 1_000);
    if (roll <= options.lateShare) {
      // Two in three late records are new events for a past day, one in three a correction.
      if (roll % 3 !== 0) yield { late: event };
      else {
        const correction: RiskEvent = random.chance(1, 2)
          ? { ...event, status: "retracted" }
          : { ...event, tier: event.tier === "tier3" ? "tier1" : "tier3" };
        yield { onTime: event, late: correction };
      }
    } else if (roll <= options.lateShare + 20) {
      yield { onTime: { ...event, status: "retracted" } }; // retracted before anyone used it
    } else yield { onTime: event };
  }
}
