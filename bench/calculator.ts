/**
 * Calculator benchmark (issue 3): a generated year of 10,000 policies and 1,000,000 risk events
 * (deterministic PRNG), computed with the domain calculator, against the floor of just sorting
 * those events by (date, instant, id). Target: the whole calculation within 3x the floor.
 *
 * Shape: 2,000 regions, so about 5 policies share each region's ~500 events a year (5 million
 * event-policy pairs); zones with DST in both hemispheres, :30/:45 offsets and the date line;
 * instants written with offsets, some tied; 2 % retracted. The calculation is what `verify`
 * or a rerun does: events prepared once (parsed, ordered per region), then every policy's
 * period, consumed one policy at a time. Timings are the fastest of --runs (default 5), the
 * floor and the calculation alternating so both see the same machine.
 *
 *   node --import tsx bench/calculator.ts [--policies N] [--events N] [--regions N]
 *     [--seed N] [--runs N] [--out FILE]
 *
 * Writes bench/results/calculator.json (make bench-calculator). Not part of the tests.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { describeMachine } from "./lib/machine.ts";
import {
  calculatePeriod,
  CALCULATOR_VERSION,
  compareIds,
  instantMs,
  type Policy,
  prepareEvents,
  type RiskEvent,
  type Tier,
  utcMsToDate,
} from "../src/domain/index.ts";

const { values: flags } = parseArgs({
  options: {
    policies: { type: "string", default: "10000" },
    events: { type: "string", default: "1000000" },
    regions: { type: "string", default: "2000" },
    seed: { type: "string", default: "20250101" },
    runs: { type: "string", default: "5" },
    out: { type: "string", default: path.join("bench", "results", "calculator.json") },
  },
});

function positiveInt(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

const POLICIES = positiveInt("policies", flags.policies);
const EVENTS = positiveInt("events", flags.events);
const REGIONS = positiveInt("regions", flags.regions);
const SEED = positiveInt("seed", flags.seed);
const RUNS = positiveInt("runs", flags.runs);

/** mulberry32: small, fast, and the same sequence on every runtime for a seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(SEED);
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

// DST zones of both hemispheres, :30 and :45 offsets, and the date line.
const ZONES = [
  "UTC",
  "Europe/Berlin",
  "Europe/London",
  "America/New_York",
  "America/Los_Angeles",
  "America/Santiago",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "Asia/Tokyo",
  "Australia/Adelaide",
  "Australia/Lord_Howe",
  "Pacific/Chatham",
  "Pacific/Auckland",
  "Pacific/Kiritimati",
  "Pacific/Pago_Pago",
] as const;

const YEAR_START_MS = Date.UTC(2025, 0, 1);
const YEAR_DAYS = 365;
const DAY_MS = 86_400_000;

function generatePolicies(): { policies: Policy[]; regionNames: string[] } {
  const regionNames = Array.from({ length: REGIONS }, (_, i) => `region-${i + 1}`);
  const regionZone = regionNames.map(() => pick(ZONES));
  const policies: Policy[] = [];
  for (let i = 0; i < POLICIES; i++) {
    const r = int(0, REGIONS - 1);
    // Most policies cover the whole year; some a part of it (coverage boundaries matter).
    const whole = random() < 0.7;
    const startDay = whole ? 0 : int(0, YEAR_DAYS - 30);
    const endDay = whole ? YEAR_DAYS - 1 : int(startDay + 29, YEAR_DAYS - 1);
    const t1 = int(0, 2_000);
    const t2 = int(t1, 5_000);
    const t3 = int(t2, 10_000);
    policies.push({
      id: `pol-${String(i + 1).padStart(6, "0")}`,
      region: regionNames[r]!,
      currency: "EUR",
      sumInsured: int(1, 1_000_000) * int(1, 1_000_000),
      // A policy usually keeps its region's zone; some are written in UTC or elsewhere.
      timezone: random() < 0.85 ? regionZone[r]! : pick(ZONES),
      coverageStart: utcMsToDate(YEAR_START_MS + startDay * DAY_MS),
      coverageEnd: utcMsToDate(YEAR_START_MS + endDay * DAY_MS),
      payoutMode: random() < 0.5 ? "once_per_day" : "per_event",
      tierPayoutsBps: { tier1: t1, tier2: t2, tier3: t3 },
      periodCapBps: int(1, 10_000),
    });
  }
  return { policies, regionNames };
}

const OFFSETS = ["Z", "Z", "Z", "+01:00", "-05:00", "+05:30", "+12:45", "-03:00"] as const;

function isoWithOffset(ms: number, offset: string): string {
  if (offset === "Z") return new Date(ms).toISOString();
  const sign = offset[0] === "-" ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  return new Date(ms + minutes * 60_000).toISOString().slice(0, 23) + offset;
}

function generateEvents(regionNames: readonly string[]): RiskEvent[] {
  const events: RiskEvent[] = [];
  // A day either side of the year: events outside coverage in every zone are part of the load.
  const from = YEAR_START_MS - DAY_MS;
  const span = (YEAR_DAYS + 2) * DAY_MS;
  for (let i = 0; i < EVENTS; i++) {
    const roll = random();
    const tier: Tier = roll < 0.6 ? "tier1" : roll < 0.9 ? "tier2" : "tier3";
    // Whole seconds mostly, some with milliseconds; a share on the same instant (ties by id).
    const ms = from + Math.floor(random() * span / 1000) * 1000 +
      (random() < 0.2 ? int(0, 999) : 0);
    const event: RiskEvent = {
      id: `ev-${String(i + 1).padStart(7, "0")}`,
      region: pick(regionNames),
      tier,
      observedAt: isoWithOffset(ms, pick(OFFSETS)),
      status: random() < 0.02 ? "retracted" : "active",
    };
    if (random() < 0.5) event.value = Math.round(random() * 5000) / 10;
    events.push(event);
  }
  return events;
}

interface RunResult {
  seconds: number;
  claims: number;
  cappedClaims: number;
  payoutTotal: bigint;
}

/**
 * The work measured: from the event set to every policy's claims for the year. Events are
 * prepared once (parsed, ordered per region), then each policy's period is calculated and
 * consumed the way a writer or `verify` does, one policy at a time.
 */
function calculateAll(policies: readonly Policy[], events: readonly RiskEvent[]): RunResult {
  const started = performance.now();
  const prepared = prepareEvents(events);
  let claims = 0;
  let cappedClaims = 0;
  let payoutTotal = 0n;
  for (const policy of policies) {
    // One policy pays at most its sum insured (<= 10^12): its total is exact as a number.
    let policyTotal = 0;
    for (const claim of calculatePeriod(policy, prepared)) {
      claims++;
      if (claim.capped) cappedClaims++;
      policyTotal += claim.payoutAmount;
    }
    payoutTotal += BigInt(policyTotal);
  }
  return { seconds: (performance.now() - started) / 1000, claims, cappedClaims, payoutTotal };
}

interface SortKey {
  date: string;
  ms: number;
  id: string;
}

/** The floor: sort the events by (date, instant, id), keys already computed (not timed). */
function sortFloor(keys: readonly SortKey[]): number {
  const copy = keys.slice();
  const started = performance.now();
  copy.sort((a, b) => compareIds(a.date, b.date) || a.ms - b.ms || compareIds(a.id, b.id));
  const seconds = (performance.now() - started) / 1000;
  if (copy.length !== keys.length) throw new Error("sort lost events");
  return seconds;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};
const round = (x: number, digits = 3) => Number(x.toFixed(digits));

// Other work on the machine inflates both timings; the ratio, measured in the same run, less so.
const loadAverageAtStart = os.loadavg().map((x) => round(x, 2));
const generationStarted = performance.now();
const { policies, regionNames } = generatePolicies();
// Through JSON, as events arrive (a file, a database row): flat strings, plain objects.
const events: RiskEvent[] = JSON.parse(JSON.stringify(generateEvents(regionNames)));
const generationSeconds = (performance.now() - generationStarted) / 1000;
const keys: SortKey[] = events.map((e) => {
  const ms = instantMs(e.observedAt);
  return { date: utcMsToDate(ms), ms, id: e.id };
});

// Pairs: each policy reads every event of its region (the calculator's real input size).
const regionSizes = new Map<string, number>();
for (const e of events) regionSizes.set(e.region, (regionSizes.get(e.region) ?? 0) + 1);
const eventPolicyPairs = policies.reduce((n, p) => n + (regionSizes.get(p.region) ?? 0), 0);

process.stderr.write(
  `generated ${POLICIES} policies, ${EVENTS} events, ${REGIONS} regions in ${
    generationSeconds.toFixed(1)
  } s (${eventPolicyPairs} event-policy pairs)\n`,
);

const floorRuns: number[] = [];
const calcRuns: RunResult[] = [];
for (let run = 0; run < RUNS; run++) {
  // Alternated so that both see the same machine state (GC, other load, CPU clock).
  floorRuns.push(sortFloor(keys));
  calcRuns.push(calculateAll(policies, events));
  const last = calcRuns[calcRuns.length - 1]!;
  process.stderr.write(
    `run ${run + 1}/${RUNS}: sort floor ${floorRuns[run]!.toFixed(3)} s, calculation ${
      last.seconds.toFixed(3)
    } s, ${last.claims} claims\n`,
  );
  const first = calcRuns[0]!;
  if (last.claims !== first.claims || last.payoutTotal !== first.payoutTotal) {
    throw new Error("the calculation gave different results on the same input: not pure");
  }
}

// The fastest run of each: what the code costs when the machine lets it run (others' work
// only ever adds time). The per-run ratios show the spread.
const sortFloorSeconds = Math.min(...floorRuns);
const calculationSeconds = Math.min(...calcRuns.map((r) => r.seconds));
const ratioToFloor = calculationSeconds / sortFloorSeconds;
const runRatios = calcRuns.map((r, i) => round(r.seconds / floorRuns[i]!, 2));
const result = calcRuns[0]!;
const report = {
  benchmark: "calculator",
  calculatorVersion: CALCULATOR_VERSION,
  policies: POLICIES,
  events: EVENTS,
  regions: REGIONS,
  seed: SEED,
  runs: RUNS,
  eventPolicyPairs,
  eventsPerSecond: Math.round(EVENTS / calculationSeconds),
  eventPolicyPairsPerSecond: Math.round(eventPolicyPairs / calculationSeconds),
  sortFloorSeconds: round(sortFloorSeconds),
  calculationSeconds: round(calculationSeconds),
  ratioToFloor: round(ratioToFloor, 2),
  target: "calculationSeconds <= 3 x sortFloorSeconds (fastest run of each)",
  targetMet: ratioToFloor <= 3,
  firstRunCalculationSeconds: round(calcRuns[0]!.seconds),
  medianRunRatio: median(runRatios),
  allRuns: {
    sortFloorSeconds: floorRuns.map((s) => round(s)),
    calculationSeconds: calcRuns.map((r) => round(r.seconds)),
    ratios: runRatios,
  },
  output: {
    claims: result.claims,
    cappedClaims: result.cappedClaims,
    payoutTotalMinorUnits: result.payoutTotal.toString(),
  },
  generationSeconds: round(generationSeconds),
  loadAverage: { atStart: loadAverageAtStart, atEnd: os.loadavg().map((x) => round(x, 2)) },
  machine: describeMachine(),
};

fs.mkdirSync(path.dirname(path.resolve(flags.out)), { recursive: true });
fs.writeFileSync(flags.out, JSON.stringify(report, null, 2) + "\n");
process.stdout.write(JSON.stringify(report, null, 2) + "\n");
if (!report.targetMet) {
  process.stderr.write(
    `target missed: calculation ${calculationSeconds.toFixed(3)} s is ${
      ratioToFloor.toFixed(2)
    }x the sort floor ${sortFloorSeconds.toFixed(3)} s (target <= 3x)\n`,
  );
}
