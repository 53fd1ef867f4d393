/**
 * The pure parts of the orchestration: inputs hash, canonical JSON, totals, id paging of the
 * fan-out, the daily run's date rule and the schedule's nominal times, rerun ids, progress
 * line and the Prometheus text. Tables for edge cases, fast-check for the laws.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { canonicalJson } from "../../src/calc/canonical-json.ts";
import { inputsHash } from "../../src/calc/inputs-hash.ts";
import {
  itemProblem,
  itemsProblems,
  itemsTotals,
  itemTotals,
  type PolicyDayItem,
} from "../../src/calc/policy-day-items.ts";
import {
  addTotals,
  appendProblems,
  emptyTotals,
  MAX_PROBLEMS,
  type Totals,
  totalsOf,
} from "../../src/calc/totals.ts";
import { loadConfig } from "../../src/config.ts";
import { compareIds } from "../../src/domain/calculate.ts";
import type { Policy, RiskEvent } from "../../src/domain/schemas.ts";
import { metricValue, Registry } from "../../src/metrics/registry.ts";
import { createClaimsMetrics, MetricNames } from "../../src/metrics/claims-metrics.ts";
import { renderProgressLine } from "../../src/temporal/progress.ts";
import { rerunIdOf, rerunSelector } from "../../src/temporal/rerun.ts";
import { nominalTimesByClaimDate } from "../../src/temporal/schedule.ts";
import {
  claimDateOfNominalTime,
  nominalDayOfClaimDate,
  policyDayWorkflowId,
} from "../../src/temporal/shared.ts";
import { test } from "../support/test.ts";
import { chunk, pageOfList } from "../../workflows/paging.ts";

const policy: Policy = {
  id: "P-1",
  region: "alpine",
  currency: "EUR",
  sumInsured: 1_000_000,
  timezone: "Europe/Berlin",
  coverageStart: "2025-01-01",
  coverageEnd: "2025-12-31",
  payoutMode: "per_event",
  tierPayoutsBps: { tier1: 100, tier2: 200, tier3: 300 },
  periodCapBps: 1000,
};

const event = (id: string, tier: RiskEvent["tier"] = "tier1"): RiskEvent => ({
  id,
  region: "alpine",
  tier,
  observedAt: "2025-03-01T10:00:00Z",
  status: "active",
});

test("canonical JSON sorts keys at every level and drops undefined members", () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: "x" } }),
    '{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}',
  );
  assert.equal(canonicalJson({ a: undefined, b: null }), '{"b":null}');
  assert.equal(canonicalJson(12n), "12");
  assert.throws(() => canonicalJson({ x: Number.NaN }), /no JSON form/);
  assert.throws(() => canonicalJson({ f: () => 1 }), /function/);
});

test("canonical JSON: the same text as its definition, for any JSON value", () => {
  // The definition, written for clarity (the implementation is written for speed): stored
  // ledger hashes were made from exactly this text, so the two must never differ.
  const reference = (value: unknown): string => {
    if (value === null || typeof value !== "object") return JSON.stringify(value);
    if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
    const entries = Object.entries(value).filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(",")}}`;
  };
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      assert.equal(canonicalJson(value), reference(value));
    }),
    { seed: 20251202, numRuns: 1000 },
  );
  // Integer-like keys: JavaScript lists them first, canonical order does not.
  assert.equal(canonicalJson({ "0": false, "": null, b: [] }), '{"":null,"0":false,"b":[]}');
});

test("inputs hash: sha256 of the canonical JSON of the policy and its sorted events, any shape", () => {
  // Its definition; the implementation writes a policy's text out field by field.
  const definition = (p: unknown, events: readonly RiskEvent[]) =>
    createHash("sha256").update(
      canonicalJson({ policy: p, events: [...events].sort((a, b) => compareIds(a.id, b.id)) }),
      "utf8",
    ).digest("hex");
  const text = fc.string({ unit: "binary", maxLength: 12 });
  const amount = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
  const policies = fc.record({
    id: text,
    region: text,
    currency: text,
    sumInsured: amount,
    timezone: text,
    coverageStart: text,
    coverageEnd: text,
    payoutMode: text,
    tierPayoutsBps: fc.record({ tier1: amount, tier2: amount, tier3: amount }),
    periodCapBps: amount,
  });
  // Other shapes too: a member missing, undefined or extra, tiers of another shape.
  const shapes = fc.oneof(
    policies,
    policies.chain((p) =>
      fc.oneof(
        fc.constant({ ...p, extra: "x" }),
        fc.constant({ ...p, region: undefined }),
        fc.constant({ ...p, tierPayoutsBps: { ...p.tierPayoutsBps, tier4: 1 } }),
        fc.constant(Object.fromEntries(Object.entries(p).slice(1))),
      )
    ),
  );
  const dayEvents = fc.uniqueArray(fc.constantFrom("E1", "E2", "E10", "e1", "E3"), {
    maxLength: 4,
  }).map((ids) => ids.map((id) => event(id)));
  fc.assert(
    fc.property(shapes, dayEvents, (p, events) => {
      assert.equal(inputsHash(p as Policy, events), definition(p, events));
    }),
    { seed: 20251202, numRuns: 1000 },
  );
});

test("inputs hash: independent of event order and key order, sensitive to any content", () => {
  const events = ["E3", "E1", "E2", "E10"].map((id) => event(id));
  const base = inputsHash(policy, events);
  assert.match(base, /^[0-9a-f]{64}$/);
  fc.assert(
    fc.property(fc.shuffledSubarray(events, { minLength: 4, maxLength: 4 }), (shuffled) => {
      assert.equal(inputsHash(policy, shuffled), base);
    }),
  );
  const reordered = Object.fromEntries(Object.entries(policy).reverse()) as Policy;
  assert.equal(inputsHash(reordered, events), base);
  assert.notEqual(inputsHash(policy, [...events.slice(1), event("E3", "tier2")]), base);
  assert.notEqual(inputsHash({ ...policy, periodCapBps: 999 }, events), base);
  assert.notEqual(inputsHash(policy, events.slice(1)), base);
  assert.notEqual(inputsHash(policy, []), base);
});

const totalsArb: fc.Arbitrary<Totals> = fc.record({
  policyDays: fc.nat(1000),
  computed: fc.nat(1000),
  unchanged: fc.nat(1000),
  stale: fc.nat(1000),
  skipped: fc.nat(1000),
  contended: fc.nat(1000),
  failed: fc.nat(1000),
  claims: fc.nat(1000),
  cappedClaims: fc.nat(1000),
  payouts: fc.dictionary(
    fc.constantFrom("EUR", "JPY", "KWD", "USD"),
    fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String),
  ),
}).map((t) => ({ ...t, payouts: { ...t.payouts } })); // fast-check builds null-prototype objects

test("totals add exactly (money beyond 2^53 included), associatively and commutatively", () => {
  fc.assert(
    fc.property(totalsArb, totalsArb, totalsArb, (a, b, c) => {
      assert.deepEqual(addTotals(addTotals(a, b), c), addTotals(a, addTotals(b, c)));
      assert.deepEqual(addTotals(a, b), addTotals(b, a));
      assert.deepEqual(addTotals(a, emptyTotals()), addTotals(emptyTotals(), a));
      // Per currency: each currency's sum is its own, no other currency's minor units in it.
      const sum = addTotals(a, b);
      for (const currency of new Set([...Object.keys(a.payouts), ...Object.keys(b.payouts)])) {
        assert.equal(
          sum.payouts[currency],
          (BigInt(a.payouts[currency] ?? 0) + BigInt(b.payouts[currency] ?? 0)).toString(),
        );
      }
      assert.deepEqual(Object.keys(sum.payouts), Object.keys(sum.payouts).sort());
    }),
  );
  const big = totalsOf("computed", 1, 0, { currency: "JPY", amount: 9_007_199_254_740_993n });
  const usd = totalsOf("computed", 1, 0, { currency: "USD", amount: 5n });
  assert.deepEqual(addTotals(addTotals(big, big), usd).payouts, {
    JPY: "18014398509481986",
    USD: "5",
  });
  // Totals of a run started before per-currency payouts carry one mixed sum: never added to
  // any currency, counted as unknown instead.
  const legacy = {
    ...emptyTotals(),
    policyDays: 3,
    computed: 3,
    payoutAmount: "700",
  } as unknown as Totals;
  delete (legacy as Partial<Totals>).payouts;
  assert.deepEqual(addTotals(usd, legacy).payouts, { USD: "5" });
  assert.equal(addTotals(usd, legacy).payoutsUnknown, 3);
  assert.deepEqual(totalsOf("contended"), { ...emptyTotals(), policyDays: 1, contended: 1 });
});

test("a chunk's totals and problems in one pass equal the item-by-item sums", () => {
  const statuses = ["computed", "unchanged", "stale", "skipped", "contended", "failed"] as const;
  const item = fc.record({
    policyId: fc.constantFrom("P1", "P2", "P3"),
    status: fc.constantFrom(...statuses),
    claims: fc.nat(5),
    cappedClaims: fc.nat(5),
    payoutAmount: fc.bigInt({ min: 0n, max: 2n ** 60n }),
    currency: fc.constantFrom("EUR", "JPY", null),
  }).map((i): PolicyDayItem => ({
    ...i,
    claimDate: "2025-01-01",
    fenceToken: null,
    inputsHash: null,
    changes: { inserted: 0, updated: 0, deleted: 0 },
    ...(i.status === "failed" ? { problem: { type: "X", message: "m" } } : {}),
  }));
  fc.assert(
    fc.property(fc.array(item, { maxLength: 40 }), (items) => {
      assert.deepEqual(
        itemsTotals(items),
        items.map(itemTotals).reduce(addTotals, emptyTotals()),
      );
      assert.deepEqual(itemsProblems(items), items.flatMap(itemProblem));
    }),
  );
});

test("problems are kept up to MAX_PROBLEMS", () => {
  const p = (i: number) => ({
    policyId: `P${i}`,
    claimDate: "2025-01-01",
    status: "failed" as const,
    type: "X",
    message: "m",
  });
  const many = Array.from({ length: MAX_PROBLEMS + 5 }, (_, i) => p(i));
  assert.equal(appendProblems([], many).length, MAX_PROBLEMS);
  assert.equal(appendProblems(many.slice(0, MAX_PROBLEMS), [p(999)]).length, MAX_PROBLEMS);
  assert.deepEqual(appendProblems([p(1)], [p(2)]).map((x) => x.policyId), ["P1", "P2"]);
});

test("paging an explicit id list visits every id once, in order, for any page size", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,6}$/), { maxLength: 60 }),
      fc.integer({ min: 1, max: 25 }),
      (raw, limit) => {
        const ids = [...raw].sort();
        const seen: string[] = [];
        let after: string | null = null;
        for (let pages = 0; pages <= ids.length + 1; pages++) {
          const page = pageOfList(ids, after, limit);
          assert.ok(page.ids.length <= limit);
          seen.push(...page.ids);
          if (page.next === null) break;
          assert.equal(page.next, page.ids.at(-1));
          after = page.next;
        }
        assert.deepEqual(seen, ids);
      },
    ),
  );
  // A cursor that is not in the list (the keyset rule: strictly greater).
  assert.deepEqual(pageOfList(["a", "c", "e"], "b", 5), { ids: ["c", "e"], next: null });
  assert.deepEqual(pageOfList(["a", "c", "e"], "e", 5), { ids: [], next: null });
  assert.deepEqual(pageOfList([], null, 5), { ids: [], next: null });
  assert.deepEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  assert.throws(() => chunk([1], 0), /chunk size/);
});

test("the daily run's date: D = UTC date of the nominal time - 1 day", () => {
  const cases: [string, string][] = [
    ["2025-03-02T13:00:00Z", "2025-03-01"],
    ["2025-03-02T00:00:00Z", "2025-03-01"],
    ["2025-03-02T23:59:59.999Z", "2025-03-01"],
    ["2025-01-01T13:00:00Z", "2024-12-31"],
    ["2024-03-01T13:00:00Z", "2024-02-29"],
  ];
  for (const [nominal, date] of cases) {
    assert.equal(claimDateOfNominalTime(new Date(nominal)), date, nominal);
  }
  const day = nominalDayOfClaimDate("2024-02-28");
  assert.equal(day.start.toISOString(), "2024-02-29T00:00:00.000Z");
  assert.equal(day.end.toISOString(), "2024-03-01T00:00:00.000Z");
});

test("nominal times per claim date: one each in UTC; DST near midnight UTC gives none or two", () => {
  const utc = loadConfig({ SCHEDULE_TIME: "13:00", SCHEDULE_TIMEZONE: "UTC" });
  const times = nominalTimesByClaimDate(utc, "2025-03-01", "2025-03-31");
  assert.equal(times.size, 31);
  for (const [date, list] of times) {
    assert.deepEqual(list.map((t) => t.toISOString()), [
      `${nominalDayOfClaimDate(date).start.toISOString().slice(0, 10)}T13:00:00.000Z`,
    ]);
  }
  // 19:30 New York is 00:30 UTC in winter and 23:30 UTC in summer.
  const ny = loadConfig({ SCHEDULE_TIME: "19:30", SCHEDULE_TIMEZONE: "America/New_York" });
  const spring = nominalTimesByClaimDate(ny, "2025-03-06", "2025-03-10");
  assert.equal(spring.get("2025-03-08")?.length, 2, "DST start: two runs for one claim date");
  const autumn = nominalTimesByClaimDate(ny, "2025-10-30", "2025-11-03");
  assert.equal(autumn.get("2025-11-01"), undefined, "DST end: a claim date without a run");
  assert.equal(autumn.get("2025-11-02")?.length, 1);
});

test("rerun ids derive from the parameters: the set of ids, not their order or repeats", () => {
  assert.equal(rerunSelector(null), "all");
  assert.equal(rerunSelector(["b", "a", "a"]), rerunSelector(["a", "b"]));
  assert.notEqual(rerunSelector(["a", "b"]), rerunSelector(["a", "c"]));
  assert.match(rerunSelector(["a"]), /^[0-9a-f]{16}$/);
  assert.equal(
    rerunIdOf({ from: "2025-01-01", to: "2025-01-31", policyIds: null }),
    "claims-rerun:2025-01-01:2025-01-31:all",
  );
  assert.equal(policyDayWorkflowId("P-1", "2025-01-02"), "claim-calc:P-1:2025-01-02");
});

test("the progress line shows the fraction done and what is not computed", () => {
  const line = renderProgressLine({
    from: "2025-01-01",
    to: "2025-01-10",
    dates: 10,
    datesDone: 5,
    currentDate: "2025-01-06",
    policyDaysDone: 50,
    policyDaysTotal: 100,
    totals: { ...emptyTotals(), policyDays: 50, failed: 2 },
    continuedAsNew: 0,
  }, 100);
  assert.match(
    line,
    /^\[#+\.+\] {2}50% 5\/10 dates \(at 2025-01-06\) 50\/100 policy-days, 2 not computed$/,
  );
  assert.ok(line.length <= 100);
});

test("the claims metrics: statuses, problems by type, payouts per currency never summed across", async () => {
  const metrics = createClaimsMetrics(new Registry());
  const item = (
    policyId: string,
    status: PolicyDayItem["status"],
    currency: string | null,
    payoutAmount: bigint,
    problem?: { type: string; message: string },
  ): PolicyDayItem => ({
    policyId,
    claimDate: "2025-01-01",
    status,
    claims: 1,
    cappedClaims: 0,
    payoutAmount,
    currency,
    fenceToken: 1n,
    inputsHash: null,
    changes: { inserted: 1, updated: 0, deleted: 0 },
    ...(problem ? { problem } : {}),
  });
  metrics.policyDays([
    item("a", "computed", "EUR", 1_000n),
    item("b", "computed", "EUR", 2_500n),
    item("c", "computed", "JPY", 700n),
    item("d", "unchanged", "USD", 9_999n), // unchanged: no payout flows
    item("e", "failed", null, 0n, { type: "PolicyNotFound", message: "gone" }),
    item("f", "contended", null, 0n, { type: "LockContended", message: "held" }),
  ]);
  metrics.writeRefused?.("stale_token");
  metrics.batch?.(0.2, "ok");
  const value = (name: string, labels: Record<string, string> = {}) =>
    metricValue(metrics.registry, name, labels);
  assert.equal(await value(MetricNames.PAYOUTS, { currency: "EUR" }), 3_500);
  assert.equal(await value(MetricNames.PAYOUTS, { currency: "JPY" }), 700);
  assert.equal(await value(MetricNames.PAYOUTS, { currency: "USD" }), 0);
  assert.equal(await value(MetricNames.POLICY_DAYS, { status: "computed" }), 3);
  assert.equal(await value(MetricNames.PROBLEMS, { status: "failed", type: "PolicyNotFound" }), 1);
  assert.equal(
    await value(MetricNames.PROBLEMS, { status: "contended", type: "LockContended" }),
    1,
  );
  assert.equal(await value(MetricNames.WRITE_REFUSALS, { reason: "stale_token" }), 1);
  assert.equal(await value(MetricNames.CLAIMS_WRITTEN, { action: "insert" }), 6);
  assert.equal(await value(`${MetricNames.BATCH_DURATION}_count`, { outcome: "ok" }), 1);
  const text = await metrics.registry.metrics();
  // One series per currency, never one across them; every status shows before it happens.
  assert.match(text, /^claims_payouts_minor_units_total\{currency="EUR"\} 3500$/m);
  assert.doesNotMatch(text, /^claims_payouts_minor_units_total \d/m);
  assert.match(text, /^claims_policy_days_total\{status="stale"\} 0$/m);
  assert.match(text, /^# TYPE claims_batch_duration_seconds histogram$/m);
});
