/**
 * The laws of SPEC §3 over random policies and events (fast-check, fixed seeds): agreement
 * with a literal reading of the SPEC, order independence, day-by-day computation in any order
 * ending equal to the whole period, the cap invariants, idempotence, and monotone tiers.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { test } from "../../support/test.ts";
import {
  type AllocatedClaim,
  calculateDayCandidates,
  calculatePeriod,
  calculatePeriodAllocated,
  type Claim,
  type Policy,
  prepareEvents,
  reallocate,
  type RiskEvent,
  type Tier,
  toClaim,
} from "../../../src/domain/index.ts";

const DAY = 86_400_000;
const ZONES = [
  "UTC",
  "Europe/Berlin",
  "America/New_York",
  "America/Santiago",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "Pacific/Chatham",
  "Australia/Lord_Howe",
  "Pacific/Kiritimati",
  "Pacific/Pago_Pago",
] as const;
// Days around 2025's DST changes in the zones above, and a plain one.
const ANCHORS = [
  "2025-03-08",
  "2025-03-29",
  "2025-04-04",
  "2025-09-05",
  "2025-09-26",
  "2025-10-03",
  "2025-10-25",
  "2025-11-01",
  "2025-06-15",
] as const;
const TIERS: readonly Tier[] = ["tier1", "tier2", "tier3"];
const RANK: Record<Tier, number> = { tier1: 1, tier2: 2, tier3: 3 };

/** An instant written the way a data feed might: Z, or a random offset, or no seconds. */
function written(ms: number, offsetMinutes: number, form: number): string {
  if (form === 0) return new Date(ms).toISOString();
  const wall = new Date(ms + offsetMinutes * 60_000).toISOString();
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${
    String(abs % 60).padStart(2, "0")
  }`;
  // Without seconds only when they are zero, so that the instant stays the same.
  const noSeconds = form === 2 && ms % 60_000 === 0;
  return (noSeconds ? wall.slice(0, 16) : wall.slice(0, 23)) + offset;
}

interface Scenario {
  policy: Policy;
  events: RiskEvent[];
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  anchor: fc.constantFrom(...ANCHORS),
  shift: fc.integer({ min: -2, max: 2 }),
  length: fc.integer({ min: 0, max: 6 }),
  timezone: fc.constantFrom(...ZONES),
  payoutMode: fc.constantFrom("once_per_day" as const, "per_event" as const),
  tiers: fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 3, maxLength: 3 }),
  periodCapBps: fc.oneof(fc.integer({ min: 1, max: 10_000 }), fc.constant(10_000)),
  sumInsured: fc.oneof(
    fc.integer({ min: 1, max: 1_000_000_000_000 }),
    fc.constant(1_000_000_000_000),
  ),
  // A pool of instants so that several events often share one (ties by id).
  // Fractions of the coverage span (plus 1.5 days either side), in 1/1000ths.
  pool: fc.array(fc.integer({ min: -200, max: 1200 }), { minLength: 1, maxLength: 12 }),
  events: fc.uniqueArray(
    fc.record({
      id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,5}$/),
      pick: fc.nat(),
      exact: fc.boolean(),
      tier: fc.constantFrom(...TIERS),
      region: fc.constantFrom("north", "north", "north", "south"),
      retracted: fc.boolean(),
      offset: fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
      form: fc.integer({ min: 0, max: 2 }),
    }),
    { selector: (e) => e.id, minLength: 1, maxLength: 30, size: "max" },
  ),
}).map((r): Scenario => {
  const start = Date.parse(`${r.anchor}T00:00:00Z`) + r.shift * DAY;
  const coverageStart = new Date(start).toISOString().slice(0, 10);
  const coverageEnd = new Date(start + r.length * DAY).toISOString().slice(0, 10);
  const [t1, t2, t3] = [...r.tiers].sort((a, b) => a - b) as [number, number, number];
  return {
    policy: {
      id: "P-prop",
      region: "north",
      currency: "EUR",
      sumInsured: r.sumInsured,
      timezone: r.timezone,
      coverageStart,
      coverageEnd,
      payoutMode: r.payoutMode,
      tierPayoutsBps: { tier1: t1, tier2: t2, tier3: t3 },
      periodCapBps: r.periodCapBps,
    },
    events: r.events.map((e) => {
      // On a pooled instant, or near one (a second, or whole minutes, either side).
      const span = (r.length + 3) * DAY;
      const base = start - 1.5 * DAY +
        Math.floor((span * (r.pool[e.pick % r.pool.length]! + 200)) / 1400);
      const ms = e.exact ? base : Math.floor(base / 60_000) * 60_000 + (e.pick % 7) * 1000;
      return {
        id: e.id,
        region: e.region,
        tier: e.tier,
        observedAt: written(ms, e.offset, e.form),
        status: e.retracted && e.pick % 5 === 0 ? "retracted" : "active",
      };
    }),
  };
});

/** SPEC §3 read literally, with the runtime's Intl for local dates: the oracle. */
function specReference(policy: Policy, events: readonly RiskEvent[]): Claim[] {
  const localDate = new Intl.DateTimeFormat("en-CA", {
    timeZone: policy.timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  });
  const relevant = events
    .filter((e) => e.region === policy.region && e.status === "active")
    .map((e) => {
      const at = new Date(e.observedAt).getTime();
      return { e, at, date: localDate.format(at) };
    })
    .filter((x) => x.date >= policy.coverageStart && x.date <= policy.coverageEnd);
  const byDate = new Map<string, typeof relevant>();
  for (const x of relevant) byDate.set(x.date, [...(byDate.get(x.date) ?? []), x]);
  const candidates: { date: string; key: string; tier: Tier; ids: string[]; first: number }[] = [];
  for (const [date, day] of byDate) {
    if (policy.payoutMode === "per_event") {
      for (const x of day) {
        candidates.push({ date, key: x.e.id, tier: x.e.tier, ids: [x.e.id], first: x.at });
      }
    } else {
      const top = day.reduce<Tier>((t, x) => (RANK[x.e.tier] > RANK[t] ? x.e.tier : t), "tier1");
      const atTop = day.filter((x) => x.e.tier === top);
      candidates.push({
        date,
        key: "day",
        tier: top,
        ids: atTop.map((x) => x.e.id).sort(),
        first: Math.min(...atTop.map((x) => x.at)),
      });
    }
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  candidates.sort((a, b) => cmp(a.date, b.date) || a.first - b.first || cmp(a.key, b.key));
  let remaining = policy.periodCapBps;
  return candidates.map((c) => {
    const uncappedBps = policy.tierPayoutsBps[c.tier];
    const payoutBps = Math.min(uncappedBps, remaining);
    remaining -= payoutBps;
    return {
      policyId: policy.id,
      claimDate: c.date,
      claimKey: c.key,
      tier: c.tier,
      eventIds: c.ids,
      uncappedBps,
      payoutBps,
      capped: payoutBps < uncappedBps,
      payoutAmount: Number((BigInt(policy.sumInsured) * BigInt(payoutBps)) / 10_000n),
    };
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

const RUNS = { numRuns: 400 };

test("the calculation equals SPEC §3 read literally (Intl-based oracle)", () => {
  fc.assert(
    fc.property(scenario, ({ policy, events }) => {
      assert.deepEqual(calculatePeriod(policy, events), specReference(policy, events));
    }),
    { seed: 101, ...RUNS },
  );
});

test("order of input events never matters", () => {
  fc.assert(
    fc.property(
      scenario.chain((s) =>
        fc.tuple(fc.constant(s), fc.shuffledSubarray(s.events, { minLength: s.events.length }))
      ),
      ([{ policy, events }, shuffled]) => {
        assert.deepEqual(calculatePeriod(policy, shuffled), calculatePeriod(policy, events));
      },
    ),
    { seed: 202, ...RUNS },
  );
});

test("day by day in any order, re-allocating over stored days, ends equal to the whole period", () => {
  fc.assert(
    fc.property(
      scenario.chain((s) => {
        const dates = [...new Set(calculatePeriod(s.policy, s.events).map((c) => c.claimDate))];
        // Every day with events, some recomputed again later, plus days without events.
        const extra = [s.policy.coverageStart, s.policy.coverageEnd];
        return fc.tuple(
          fc.constant(s),
          fc.shuffledSubarray([...dates, ...dates, ...extra], {
            minLength: dates.length * 2 + extra.length,
          }),
        );
      }),
      ([{ policy, events }, order]) => {
        let stored: AllocatedClaim[] = [];
        for (const date of order) {
          stored = reallocate(policy, stored, date, calculateDayCandidates(policy, date, events));
          // At every step the stored set is a valid allocation in canonical order.
          const used = stored.reduce((n, c) => n + c.payoutBps, 0);
          assert.ok(used <= policy.periodCapBps);
        }
        assert.deepEqual(stored.map(toClaim), calculatePeriod(policy, events));
        assert.deepEqual(stored, calculatePeriodAllocated(policy, events));
      },
    ),
    { seed: 303, ...RUNS },
  );
});

test("caps: sum of payoutBps <= periodCapBps, payoutBps <= uncappedBps, exact amounts", () => {
  fc.assert(
    fc.property(scenario, ({ policy, events }) => {
      const claims = calculatePeriod(policy, events);
      let total = 0;
      for (const c of claims) {
        assert.ok(c.payoutBps >= 0 && c.payoutBps <= c.uncappedBps);
        assert.equal(c.capped, c.payoutBps < c.uncappedBps);
        assert.equal(c.uncappedBps, policy.tierPayoutsBps[c.tier]);
        assert.equal(
          BigInt(c.payoutAmount),
          (BigInt(policy.sumInsured) * BigInt(c.payoutBps)) / 10_000n,
        );
        total += c.payoutBps;
      }
      assert.ok(total <= policy.periodCapBps);
      // The cap is only ever short when it was spent: then nothing is left over.
      if (claims.some((c) => c.capped)) assert.equal(total, policy.periodCapBps);
    }),
    { seed: 404, ...RUNS },
  );
});

test("computing twice equals computing once; inputs are never changed", () => {
  fc.assert(
    fc.property(scenario, ({ policy, events }) => {
      const frozenPolicy = deepFreeze(structuredClone(policy));
      const frozenEvents = deepFreeze(structuredClone(events));
      const once = calculatePeriod(frozenPolicy, frozenEvents);
      assert.deepEqual(calculatePeriod(frozenPolicy, frozenEvents), once);
      const prepared = prepareEvents(frozenEvents);
      assert.deepEqual(calculatePeriod(frozenPolicy, prepared), once);
      assert.deepEqual(calculatePeriod(frozenPolicy, prepared), once);
      assert.deepEqual(frozenEvents, events);
    }),
    { seed: 505, ...RUNS },
  );
});

test("adding an event never lowers the tier of its day", () => {
  const topTiers = (claims: readonly Claim[]) => {
    const top = new Map<string, number>();
    for (const c of claims) top.set(c.claimDate, Math.max(top.get(c.claimDate) ?? 0, RANK[c.tier]));
    return top;
  };
  fc.assert(
    fc.property(scenario, fc.nat(), ({ policy, events }, pick) => {
      if (events.length === 0) return;
      const added = events[pick % events.length]!;
      const without = events.filter((e) => e !== added);
      const before = topTiers(calculatePeriod(policy, without));
      const after = topTiers(calculatePeriod(policy, events));
      for (const [date, rank] of before) {
        assert.ok((after.get(date) ?? 0) >= rank, `${date} fell from rank ${rank}`);
      }
      // The other days keep their tier exactly.
      const addedDays = [...after.keys()].filter((d) => before.get(d) !== after.get(d));
      assert.ok(addedDays.length <= 1);
    }),
    { seed: 606, ...RUNS },
  );
});
