/**
 * SPEC §3 by example. Every expected claim below was worked out by hand from the rules (the
 * comments show the arithmetic), never by running the code under test.
 *
 * A claim is written as one line: `date key tier [eventIds] uncapped->payout amount`, with
 * `capped` appended when payoutBps < uncappedBps.
 */
import assert from "node:assert/strict";
import { test } from "../../support/test.ts";
import {
  allocateCaps,
  calculateDayCandidates,
  calculatePeriod,
  calculatePeriodAllocated,
  calculatePeriods,
  type Candidate,
  type Claim,
  ClaimSchema,
  periodCandidates,
  type Policy,
  prepareEvents,
  reallocate,
  type RiskEvent,
  type Tier,
} from "../../../src/domain/index.ts";

function policy(over: Partial<Policy> = {}): Policy {
  return {
    id: "P",
    region: "north",
    currency: "EUR",
    sumInsured: 1_000_000,
    timezone: "UTC",
    coverageStart: "2025-01-01",
    coverageEnd: "2025-12-31",
    payoutMode: "per_event",
    tierPayoutsBps: { tier1: 1000, tier2: 2500, tier3: 5000 },
    periodCapBps: 10_000,
    ...over,
  };
}

function ev(id: string, observedAt: string, tier: Tier, over: Partial<RiskEvent> = {}): RiskEvent {
  return { id, region: "north", tier, observedAt, status: "active", ...over };
}

function brief(claims: readonly Claim[]): string[] {
  return claims.map((c) =>
    `${c.claimDate} ${c.claimKey} ${c.tier} [${c.eventIds.join(",")}] ` +
    `${c.uncappedBps}->${c.payoutBps} ${c.payoutAmount}${c.capped ? " capped" : ""}`
  );
}

interface Example {
  name: string;
  policy: Policy;
  events: RiskEvent[];
  claims: string[];
}

const examples: Example[] = [
  {
    name: "Europe/Berlin spring forward (23 h day), per_event, around local midnight",
    policy: policy({ timezone: "Europe/Berlin" }),
    events: [
      ev("b1", "2025-03-29T22:59:59Z", "tier1"), // 23:59:59 CET on 03-29
      ev("b2", "2025-03-29T23:00:00Z", "tier2"), // 00:00 CET on 03-30
      ev("b3", "2025-03-30T01:00:00Z", "tier1"), // 03:00 CEST, just after the gap
      ev("b4", "2025-03-30T21:59:59Z", "tier1"), // 23:59:59 CEST, last second of 03-30
      ev("b5", "2025-03-30T22:00:00Z", "tier3"), // 00:00 CEST on 03-31
    ],
    // cap 10000: 1000 + 2500 + 1000 + 1000 = 5500 used, 4500 left for b5's 5000
    claims: [
      "2025-03-29 b1 tier1 [b1] 1000->1000 100000",
      "2025-03-30 b2 tier2 [b2] 2500->2500 250000",
      "2025-03-30 b3 tier1 [b3] 1000->1000 100000",
      "2025-03-30 b4 tier1 [b4] 1000->1000 100000",
      "2025-03-31 b5 tier3 [b5] 5000->4500 450000 capped",
    ],
  },
  {
    name: "Europe/Berlin fall back (25 h day), once_per_day, both 02:30s on one day",
    policy: policy({
      timezone: "Europe/Berlin",
      payoutMode: "once_per_day",
      coverageStart: "2025-10-25",
      coverageEnd: "2025-10-27",
      periodCapBps: 8000,
    }),
    events: [
      ev("f1", "2025-10-25T21:59:59Z", "tier3"), // 23:59:59 CEST on 10-25
      ev("f2", "2025-10-26T00:30:00Z", "tier1"), // 02:30 CEST on 10-26
      ev("f3", "2025-10-26T01:30:00Z", "tier2"), // 02:30 CET on 10-26
      ev("f4", "2025-10-26T22:59:59Z", "tier2"), // 23:59:59 CET on 10-26
      ev("f5", "2025-10-26T23:00:00Z", "tier1"), // 00:00 CET on 10-27
    ],
    // 5000 + 2500 = 7500 of 8000; 500 left for 10-27's 1000
    claims: [
      "2025-10-25 day tier3 [f1] 5000->5000 500000",
      "2025-10-26 day tier2 [f3,f4] 2500->2500 250000",
      "2025-10-27 day tier1 [f5] 1000->500 50000 capped",
    ],
  },
  {
    name: "America/New_York spring forward and fall back, per_event",
    policy: policy({ timezone: "America/New_York" }),
    events: [
      ev("n1", "2025-03-09T04:59:59Z", "tier2"), // 23:59:59 EST on 03-08
      ev("n2", "2025-03-09T05:00:00Z", "tier1"), // 00:00 EST on 03-09
      ev("n3", "2025-03-10T03:59:59Z", "tier1"), // 23:59:59 EDT on 03-09 (a 23 h day)
      ev("n4", "2025-03-10T04:00:00Z", "tier1"), // 00:00 EDT on 03-10
      ev("n5", "2025-11-02T06:30:00Z", "tier1"), // 01:30 EST on 11-02, the second 01:30
      ev("n6", "2025-11-02T05:30:00Z", "tier1"), // 01:30 EDT on 11-02, the first 01:30
      ev("n7", "2025-11-03T04:59:59Z", "tier2"), // 23:59:59 EST on 11-02 (a 25 h day)
    ],
    // 2500 + 1000 + 1000 + 1000 + 1000 = 6500; 3500 left: n5 1000 -> 2500 left, n7 2500
    claims: [
      "2025-03-08 n1 tier2 [n1] 2500->2500 250000",
      "2025-03-09 n2 tier1 [n2] 1000->1000 100000",
      "2025-03-09 n3 tier1 [n3] 1000->1000 100000",
      "2025-03-10 n4 tier1 [n4] 1000->1000 100000",
      "2025-11-02 n6 tier1 [n6] 1000->1000 100000",
      "2025-11-02 n5 tier1 [n5] 1000->1000 100000",
      "2025-11-02 n7 tier2 [n7] 2500->2500 250000",
    ],
  },
  {
    name: "Asia/Kolkata (+05:30): coverage edges of a one-day policy",
    policy: policy({
      timezone: "Asia/Kolkata",
      coverageStart: "2025-06-01",
      coverageEnd: "2025-06-01",
    }),
    events: [
      ev("k1", "2025-05-31T18:29:59.999Z", "tier3"), // 23:59:59.999 IST on 05-31: before
      ev("k2", "2025-05-31T18:30:00Z", "tier1"), // 00:00 IST on 06-01: first instant covered
      ev("k3", "2025-06-01T23:59:59.999+05:30", "tier2"), // last instant covered
      ev("k4", "2025-06-01T18:30:00Z", "tier3"), // 00:00 IST on 06-02: after
    ],
    claims: [
      "2025-06-01 k2 tier1 [k2] 1000->1000 100000",
      "2025-06-01 k3 tier2 [k3] 2500->2500 250000",
    ],
  },
  {
    name: "Pacific/Chatham (+13:45 in summer, +12:45 in winter), once_per_day",
    policy: policy({
      timezone: "Pacific/Chatham",
      payoutMode: "once_per_day",
      coverageStart: "2025-01-10",
      coverageEnd: "2025-06-02",
    }),
    events: [
      ev("c1", "2025-01-10T10:14:59Z", "tier1"), // 23:59:59 +13:45 on 01-10
      ev("c2", "2025-01-10T10:15:00Z", "tier2"), // 00:00 +13:45 on 01-11
      ev("c3", "2025-06-01T11:14:59Z", "tier3"), // 23:59:59 +12:45 on 06-01
      ev("c4", "2025-06-01T11:15:00+00:00", "tier1"), // 00:00 +12:45 on 06-02
      ev("c5", "2025-06-02T11:15:00Z", "tier3"), // 00:00 on 06-03: after coverage
      ev("c0", "2025-01-09T10:14:59Z", "tier3"), // 23:59:59 on 01-09: before coverage
    ],
    // 1000 + 2500 + 5000 = 8500; 1500 left for 06-02's 1000
    claims: [
      "2025-01-10 day tier1 [c1] 1000->1000 100000",
      "2025-01-11 day tier2 [c2] 2500->2500 250000",
      "2025-06-01 day tier3 [c3] 5000->5000 500000",
      "2025-06-02 day tier1 [c4] 1000->1000 100000",
    ],
  },
  {
    name: "clocks turned back a whole day (Alaska, 1867): dates, not instants, lead the order",
    // tzdb America/Juneau: LMT +15:02:19 until 1867-10-19 15:33:32 local (00:31:13Z), then
    // LMT -8:57:41, so local 10-19 is followed by local 10-18 again.
    policy: policy({
      timezone: "America/Juneau",
      coverageStart: "1867-10-18",
      coverageEnd: "1867-10-19",
    }),
    events: [
      ev("j0", "1867-10-18T12:00:00Z", "tier1"), // 03:02:19 +15:02:19 on 10-19
      ev("j1", "1867-10-19T00:00:00Z", "tier1"), // 15:02:19 +15:02:19 on 10-19
      ev("j2", "1867-10-19T01:00:00Z", "tier2"), // 16:02:19 -8:57:41 on 10-18
      ev("j3", "1867-10-19T12:00:00Z", "tier1"), // 03:02:19 -8:57:41 on 10-19
    ],
    claims: [
      "1867-10-18 j2 tier2 [j2] 2500->2500 250000",
      "1867-10-19 j0 tier1 [j0] 1000->1000 100000",
      "1867-10-19 j1 tier1 [j1] 1000->1000 100000",
      "1867-10-19 j3 tier1 [j3] 1000->1000 100000",
    ],
  },
  {
    name: "several events at one instant (written with different offsets): ties broken by id; " +
      "the cap runs out in the middle of a per_event day",
    policy: policy({ periodCapBps: 3000 }),
    events: [
      ev("z", "2025-05-05T12:00:00Z", "tier2"),
      ev("a9", "2025-05-05T12:00:00.000Z", "tier2"),
      ev("a", "2025-05-05T14:00:00+02:00", "tier2"),
      ev("M", "2025-05-05T07:00:00-05:00", "tier2"),
      ev("a10", "2025-05-05T12:00Z", "tier2"),
      ev("late", "2025-05-05T12:00:00.001Z", "tier1"),
      ev("early", "2025-05-05T11:59:59.999Z", "tier1"),
    ],
    // code-unit order: "M" < "a" < "a10" < "a9" < "z"; early takes 1000, M gets the last 2000
    claims: [
      "2025-05-05 early tier1 [early] 1000->1000 100000",
      "2025-05-05 M tier2 [M] 2500->2000 200000 capped",
      "2025-05-05 a tier2 [a] 2500->0 0 capped",
      "2025-05-05 a10 tier2 [a10] 2500->0 0 capped",
      "2025-05-05 a9 tier2 [a9] 2500->0 0 capped",
      "2025-05-05 z tier2 [z] 2500->0 0 capped",
      "2025-05-05 late tier1 [late] 1000->0 0 capped",
    ],
  },
  {
    name: "once_per_day: the top tier's ids in code-unit order; lower tiers left out",
    policy: policy({ payoutMode: "once_per_day" }),
    events: [
      ev("e9", "2025-07-01T20:00:00Z", "tier2"),
      ev("e10", "2025-07-01T21:00:00Z", "tier2"),
      ev("E1", "2025-07-01T22:00:00Z", "tier2"),
      ev("1a", "2025-07-01T23:00:00Z", "tier2"),
      ev("0", "2025-07-01T01:00:00Z", "tier1"),
      ev("x", "2025-07-02T00:00:00Z", "tier1"), // local midnight (UTC): the next day
    ],
    claims: [
      "2025-07-01 day tier2 [1a,E1,e10,e9] 2500->2500 250000",
      "2025-07-02 day tier1 [x] 1000->1000 100000",
    ],
  },
  {
    name: "retracted events and other regions never count",
    policy: policy({ payoutMode: "once_per_day" }),
    events: [
      ev("r1", "2025-08-01T10:00:00Z", "tier3", { status: "retracted" }),
      ev("r2", "2025-08-01T11:00:00Z", "tier1"),
      ev("r3", "2025-08-01T12:00:00Z", "tier3", { region: "south" }),
      ev("r4", "2025-08-02T10:00:00Z", "tier3", { status: "retracted" }), // alone on its day
      ev("r5", "2025-08-03T10:00:00Z", "tier2", { region: "North" }), // regions are exact
    ],
    claims: ["2025-08-01 day tier1 [r2] 1000->1000 100000"],
  },
  {
    name: "zero payouts: a 0 bps tier is a claim (not capped), and claims past the cap get 0",
    policy: policy({ tierPayoutsBps: { tier1: 0, tier2: 0, tier3: 100 }, periodCapBps: 100 }),
    events: [
      ev("z1", "2025-09-01T00:00:00Z", "tier1"),
      ev("z2", "2025-09-01T01:00:00Z", "tier3"),
      ev("z3", "2025-09-01T02:00:00Z", "tier2"),
      ev("z4", "2025-09-02T00:00:00Z", "tier3"),
    ],
    claims: [
      "2025-09-01 z1 tier1 [z1] 0->0 0",
      "2025-09-01 z2 tier3 [z2] 100->100 10000",
      "2025-09-01 z3 tier2 [z3] 0->0 0",
      "2025-09-02 z4 tier3 [z4] 100->0 0 capped",
    ],
  },
  {
    name: "sumInsured near 10^12 at odd basis points: exact floors past 2^53",
    policy: policy({
      sumInsured: 999_999_999_999,
      tierPayoutsBps: { tier1: 1, tier2: 3333, tier3: 9999 },
    }),
    events: [
      ev("m1", "2025-10-01T00:00:00Z", "tier2"),
      ev("m2", "2025-10-01T00:00:01Z", "tier1"),
      ev("m3", "2025-10-02T00:00:00Z", "tier3"),
    ],
    // 999,999,999,999 x 3333 = 3,332,999,999,996,667 -> 333,299,999,999 (.6667 dropped)
    // 999,999,999,999 x 1 -> 99,999,999 (.9999 dropped)
    // 10000 - 3334 = 6666 left: x 6666 = 6,665,999,999,993,334 -> 666,599,999,999
    claims: [
      "2025-10-01 m1 tier2 [m1] 3333->3333 333299999999",
      "2025-10-01 m2 tier1 [m2] 1->1 99999999",
      "2025-10-02 m3 tier3 [m3] 9999->6666 666599999999 capped",
    ],
  },
  {
    name: "sumInsured = 10^12 exactly, the whole cap on one claim",
    policy: policy({
      sumInsured: 1_000_000_000_000,
      tierPayoutsBps: { tier1: 7, tier2: 10_000, tier3: 10_000 },
    }),
    events: [ev("w1", "2025-01-01T00:00:00Z", "tier2"), ev("w2", "2025-01-01T00:00:01Z", "tier1")],
    claims: [
      "2025-01-01 w1 tier2 [w1] 10000->10000 1000000000000",
      "2025-01-01 w2 tier1 [w2] 7->0 0 capped",
    ],
  },
];

for (const example of examples) {
  test(`example: ${example.name}`, () => {
    const claims = calculatePeriod(example.policy, example.events);
    assert.deepEqual(brief(claims), example.claims);
    for (const claim of claims) {
      assert.equal(claim.policyId, example.policy.id);
      assert.deepEqual(Object.keys(claim), [
        "policyId",
        "claimDate",
        "claimKey",
        "tier",
        "eventIds",
        "uncappedBps",
        "payoutBps",
        "capped",
        "payoutAmount",
      ]);
      assert.equal(ClaimSchema.safeParse(claim).success, true);
    }
    // The single-day road gives the same candidates, day by day.
    const days = [...new Set(claims.map((c) => c.claimDate))];
    const dayByDay = days.flatMap((d) => calculateDayCandidates(example.policy, d, example.events));
    assert.deepEqual(
      dayByDay.map((c) => `${c.claimDate} ${c.claimKey} ${c.eventIds.join(",")}`),
      claims.map((c) => `${c.claimDate} ${c.claimKey} ${c.eventIds.join(",")}`),
    );
  });
}

test("reallocate: a day recomputed alone re-allocates the later stored days only", () => {
  const p = policy({ periodCapBps: 6000 });
  const candidate = (date: string, key: string, bps: number, at: string): Candidate => ({
    claimDate: date,
    claimKey: key,
    tier: "tier2",
    eventIds: [key],
    uncappedBps: bps,
    firstObservedAtMs: Date.parse(at),
  });
  const stored = allocateCaps(p, [
    candidate("2025-02-01", "a", 2500, "2025-02-01T10:00:00Z"),
    candidate("2025-02-03", "c", 2500, "2025-02-03T10:00:00Z"),
    candidate("2025-02-04", "d", 2500, "2025-02-04T10:00:00Z"),
  ]);
  // 2500 + 2500 + 1000 (capped): 6000 used
  assert.deepEqual(stored.map((c) => c.payoutBps), [2500, 2500, 1000]);
  // Late data for 02-02: a 2500 claim now comes before c and d.
  const after = reallocate(p, stored, "2025-02-02", [
    candidate("2025-02-02", "b", 2500, "2025-02-02T09:00:00Z"),
  ]);
  assert.deepEqual(after.map((c) => `${c.claimDate} ${c.claimKey} ${c.payoutBps}`), [
    "2025-02-01 a 2500",
    "2025-02-02 b 2500",
    "2025-02-03 c 1000",
    "2025-02-04 d 0",
  ]);
  // Recomputing 02-02 with no events removes its claim and gives the cap back.
  const emptied = reallocate(p, after, "2025-02-02", []);
  assert.deepEqual(emptied.map((c) => `${c.claimKey} ${c.payoutBps}`), [
    "a 2500",
    "c 2500",
    "d 1000",
  ]);
  assert.throws(
    () => reallocate(p, stored, "2025-02-02", [candidate("2025-02-05", "e", 1, "2025-02-05")]),
    /candidate of 2025-02-05 .* as a candidate of 2025-02-02/,
  );
});

test("allocateCaps starts from what earlier days left; never below zero", () => {
  const p = policy();
  const c = (key: string, bps: number): Candidate => ({
    claimDate: "2025-03-01",
    claimKey: key,
    tier: "tier1",
    eventIds: [key],
    uncappedBps: bps,
    firstObservedAtMs: 0,
  });
  assert.deepEqual(allocateCaps(p, [c("a", 1000), c("b", 1000)], 1500).map((x) => x.payoutBps), [
    1000,
    500,
  ]);
  assert.deepEqual(allocateCaps(p, [c("a", 1000)], 0).map((x) => x.payoutBps), [0]);
  assert.deepEqual(allocateCaps(p, [c("a", 1000)], -5).map((x) => x.payoutBps), [0]);
});

test("many policies over one prepared event set: the same claims as one by one", () => {
  const policies = [
    policy({ id: "A", timezone: "Europe/Berlin" }),
    policy({ id: "B", timezone: "Pacific/Chatham", payoutMode: "once_per_day" }),
    policy({ id: "C", region: "south", periodCapBps: 1 }),
    policy({ id: "D", region: "nowhere" }),
  ];
  const events = [
    ev("1", "2025-03-29T23:30:00Z", "tier2"),
    ev("2", "2025-03-30T10:00:00Z", "tier3"),
    ev("3", "2025-03-30T10:00:00Z", "tier1", { region: "south" }),
    ev("4", "2025-03-31T23:59:59Z", "tier1", { status: "retracted" }),
  ];
  const all = calculatePeriods(policies, events);
  assert.deepEqual([...all.keys()], ["A", "B", "C", "D"]);
  for (const p of policies) assert.deepEqual(all.get(p.id), calculatePeriod(p, events));
  // Berlin: 23:30Z on 03-29 is 00:30 CET on 03-30; 10:00Z on 03-30 is 12:00 CEST
  assert.deepEqual(brief(all.get("A")!), [
    "2025-03-30 1 tier2 [1] 2500->2500 250000",
    "2025-03-30 2 tier3 [2] 5000->5000 500000",
  ]);
  // Chatham is +13:45 until 04-06: 13:15 and 23:45 on 03-30, one day at tier3
  assert.deepEqual(brief(all.get("B")!), ["2025-03-30 day tier3 [2] 5000->5000 500000"]);
  // A 1 bps cap: 1,000,000 x 1 / 10,000 = 100
  assert.deepEqual(brief(all.get("C")!), ["2025-03-30 3 tier1 [3] 1000->1 100 capped"]);
  const prepared = prepareEvents(events);
  for (const p of policies) {
    assert.deepEqual(calculatePeriod(p, prepared), calculatePeriod(p, events));
    assert.deepEqual(
      calculatePeriodAllocated(p, prepared).map((c) => c.firstObservedAtMs),
      periodCandidates(p, events).map((c) => c.firstObservedAtMs),
    );
  }
  assert.deepEqual(all.get("D"), []);
  assert.throws(
    () => calculatePeriods([policies[0]!, policies[0]!], events),
    /duplicate policy id "A"/,
  );
});

test("bad event sets are refused, naming the event", () => {
  const p = policy();
  // The same event delivered twice (ids are fully checked at the boundaries: CalcInputSchema,
  // the events table's primary key).
  assert.throws(
    () =>
      calculatePeriod(p, [
        ev("x", "2025-01-01T00:00:00Z", "tier1"),
        ev("y", "2025-01-01T00:00:00Z", "tier1"),
        ev("x", "2025-01-01T01:00:00+01:00", "tier1"),
      ]),
    /duplicate event id "x" in region "north"/,
  );
  assert.throws(
    () => calculatePeriod(p, [ev("bad", "2025-01-01T00:00:00", "tier1")]),
    /event bad: observedAt "2025-01-01T00:00:00" is not an ISO-8601 instant/,
  );
  // Another region's events are not this policy's business, however odd they are.
  assert.deepEqual(calculatePeriod(p, [ev("q", "nonsense", "tier1", { region: "south" })]), []);
});

test("prepared events: per region, active only, (instant, id) order, local days per zone", () => {
  const prepared = prepareEvents([
    ev("b", "2025-01-01T00:00:00Z", "tier1"),
    ev("a", "2025-01-01T01:00:00+01:00", "tier1"), // the same instant: id decides
    ev("c", "2024-12-31T23:59:59Z", "tier1"),
    ev("r", "2024-12-31T00:00:00Z", "tier1", { status: "retracted" }),
    ev("s", "2024-12-30T00:00:00Z", "tier1", { region: "south" }),
  ]);
  const north = prepared.region("north")!;
  assert.deepEqual(north.events.map((e) => e.id), ["c", "a", "b"]);
  assert.deepEqual([...north.instants], [
    Date.parse("2024-12-31T23:59:59Z"),
    Date.parse("2025-01-01T00:00:00Z"),
    Date.parse("2025-01-01T00:00:00Z"),
  ]);
  // 2024-12-31 is day 20088 since 1970-01-01; Kiritimati (+14) is a day ahead of UTC here.
  assert.deepEqual([...north.localDays("UTC").days], [20_088, 20_089, 20_089]);
  assert.deepEqual([...north.localDays("Pacific/Kiritimati").days], [20_089, 20_089, 20_089]);
  assert.equal(north.localDays("UTC").monotonic, true);
  assert.deepEqual(prepared.region("south")!.events.map((e) => e.id), ["s"]);
  assert.equal(prepared.region("west"), undefined);
  // Alaska's clocks went back a whole day in 1867: the days are not monotonic there.
  const alaska = prepareEvents([
    ev("j1", "1867-10-19T00:00:00Z", "tier1"),
    ev("j2", "1867-10-19T01:00:00Z", "tier1"),
  ]).region("north")!;
  assert.deepEqual(alaska.localDays("America/Juneau"), {
    days: Int32Array.from([-37_329, -37_330]), // 1867-10-19, then 1867-10-18
    monotonic: false,
  });
});
