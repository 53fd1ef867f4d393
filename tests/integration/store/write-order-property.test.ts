/**
 * SPEC §3's guarantee on the real database: the days of a policy computed in any order, on 8
 * concurrent connections, in batches mixing policies, with early computations that saw only
 * part of the events and zombies coming back late, end exactly equal to the whole-period
 * calculation once every day has been computed after its last event arrived.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { after, test } from "../../support/test.ts";
import { useTestDatabase } from "../../support/database.ts";
import { addDays, datesInRange } from "../../../src/domain/calendar.ts";
import { calculatePeriod } from "../../../src/domain/calculate.ts";
import type { Policy, RiskEvent, Tier } from "../../../src/domain/schemas.ts";
import {
  connectDatabase,
  type Database,
  loadPolicyClaims,
  loadPolicyLedger,
  type PolicyDayWrite,
  toDomainClaim,
  upsertPolicies,
  writePolicyDays,
} from "../../../src/store/index.ts";
import { prng, shuffle, writeFor } from "./fixtures/store-fixtures.ts";

const database = useTestDatabase("store_write_order");
const CONNECTIONS = 8;
let connections: Database[] = [];

after(async () => {
  await Promise.all(connections.map((c) => c.close()));
});

const ZONES = [
  "UTC",
  "Europe/Berlin", // DST starts 2025-03-30: a 23-hour day
  "America/Santiago", // DST ends 2025-04-06: a 25-hour day
  "Asia/Kolkata", // +05:30
  "Pacific/Chatham", // +13:45, DST ends 2025-04-06
  "Pacific/Pago_Pago", // -11:00
] as const;
const TIERS: readonly Tier[] = ["tier1", "tier2", "tier3"];
const FIRST_START = "2025-03-24";

const policyShape = fc.record({
  payoutMode: fc.constantFrom("once_per_day" as const, "per_event" as const),
  tiers: fc.tuple(
    fc.integer({ min: 0, max: 10_000 }),
    fc.integer({ min: 0, max: 10_000 }),
    fc.integer({ min: 0, max: 10_000 }),
  ).map((t) => t.sort((a, b) => a - b)),
  periodCapBps: fc.integer({ min: 1, max: 10_000 }),
  sumInsured: fc.integer({ min: 1, max: 1_000_000_000_000 }),
  timezone: fc.constantFrom(...ZONES),
  startOffset: fc.integer({ min: 0, max: 14 }),
  days: fc.integer({ min: 1, max: 7 }),
  events: fc.array(
    fc.record({
      // Minutes from a day before coverage to two days after: edges of the local days too.
      minute: fc.integer({ min: 0, max: 11 * 24 * 60 }),
      second: fc.integer({ min: 0, max: 59_999 }),
      tier: fc.constantFrom(...TIERS),
      otherRegion: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
      retracted: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      // The event arrives late: early computations of its day do not see it.
      late: fc.boolean(),
    }),
    { maxLength: 14 },
  ),
});

let runNo = 0;

type PolicyShape = typeof policyShape extends fc.Arbitrary<infer T> ? T : never;

function build(shape: PolicyShape, id: string) {
  const coverageStart = addDays(FIRST_START, shape.startOffset);
  const policy: Policy = {
    id,
    region: "coast",
    currency: "USD",
    sumInsured: shape.sumInsured,
    timezone: shape.timezone,
    coverageStart,
    coverageEnd: addDays(coverageStart, shape.days - 1),
    payoutMode: shape.payoutMode,
    tierPayoutsBps: { tier1: shape.tiers[0]!, tier2: shape.tiers[1]!, tier3: shape.tiers[2]! },
    periodCapBps: shape.periodCapBps,
  };
  const origin = Date.parse(`${addDays(coverageStart, -1)}T00:00:00Z`);
  const events = shape.events.map((e, i): RiskEvent & { late: boolean } => ({
    id: `${id}-e${i}`,
    region: e.otherRegion ? "inland" : "coast",
    tier: e.tier,
    observedAt: new Date(origin + e.minute * 60_000 + e.second).toISOString(),
    status: e.retracted ? "retracted" : "active",
    late: e.late,
  }));
  return { policy, events };
}

test("days computed in random order on 8 connections equal the whole-period calculation", {
  timeout: 90_000,
}, async () => {
  connections = Array.from(
    { length: CONNECTIONS },
    (_, i) => connectDatabase(database.url, { max: 1, applicationName: `order-${i}` }),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(policyShape, { minLength: 1, maxLength: 4 }),
      fc.integer(),
      async (shapes, seed) => {
        runNo++;
        const random = prng(seed);
        const built = shapes.map((s, i) => build(s, `run${runNo}-p${i}`));
        await upsertPolicies(database.db, built.map((b) => b.policy));

        const tasks: PolicyDayWrite[] = [];
        for (const { policy, events } of built) {
          const all = events.map(({ late: _late, ...e }) => e);
          const early = events.filter((e) => !e.late).map(({ late: _late, ...e }) => e);
          for (const date of datesInRange(policy.coverageStart, policy.coverageEnd)) {
            // Tokens per policy-day: the early lease, a zombie of it, then the final lease.
            tasks.push(writeFor(policy, date, early, 10n, "early"));
            if (random() < 0.5) tasks.push(writeFor(policy, date, early.slice(1), 9n, "zombie"));
            tasks.push(writeFor(policy, date, all, 20n, "final"));
          }
        }
        shuffle(tasks, random);
        // Batches of 1-3 writes (mixing policies and days), fixed up front for reproducibility.
        const batches: PolicyDayWrite[][] = [];
        for (let i = 0; i < tasks.length;) {
          const size = 1 + Math.floor(random() * 3);
          batches.push(tasks.slice(i, i + size));
          i += size;
        }
        await Promise.all(connections.map(async (connection) => {
          for (let batch = batches.shift(); batch; batch = batches.shift()) {
            await writePolicyDays(connection.db, batch);
          }
        }));

        for (const { policy, events } of built) {
          const all = events.map(({ late: _late, ...e }) => e);
          const stored = (await loadPolicyClaims(database.db, policy.id)).map(toDomainClaim);
          assert.deepEqual(stored, calculatePeriod(policy, all), `policy ${policy.id}`);
          // Every day has its ledger row, written by the final lease, with totals that match
          // its claims after every re-allocation.
          const ledger = await loadPolicyLedger(database.db, policy.id);
          assert.deepEqual(
            ledger.map((l) => [
              l.claimDate,
              l.fenceToken,
              l.claimsCount,
              l.cappedCount,
              l.payoutBpsTotal,
              l.payoutAmountTotal,
            ]),
            datesInRange(policy.coverageStart, policy.coverageEnd).map((d) => {
              const day = stored.filter((c) => c.claimDate === d);
              return [
                d,
                20n,
                day.length,
                day.filter((c) => c.capped).length,
                day.reduce((sum, c) => sum + c.payoutBps, 0),
                day.reduce((sum, c) => sum + BigInt(c.payoutAmount), 0n),
              ];
            }),
          );
          const spent = stored.reduce((sum, c) => sum + c.payoutBps, 0);
          assert.ok(spent <= policy.periodCapBps);
        }
      },
    ),
    { numRuns: 25 },
  );
});
