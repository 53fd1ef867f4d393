/**
 * The SPEC §2 contracts: defaults, and messages that name the path and the rule for every bad
 * field at once (cross-field rules included, even beside other bad fields). The CLI test runs
 * the full table of rules; this file pins the schema API others call.
 */
import assert from "node:assert/strict";
import { test } from "../../support/test.ts";
import {
  parseCalcInput,
  parseEvent,
  parsePolicy,
  PolicySchema,
  problemsOf,
  RiskEventSchema,
  type ValidationProblem,
} from "../../../src/domain/schemas.ts";

const policy = {
  id: "P.1_a-b",
  region: "Région Sud", // any text of 1-64 characters
  currency: "EUR",
  sumInsured: 1_000_000_000_000,
  coverageStart: "2024-02-29",
  coverageEnd: "2024-02-29",
  payoutMode: "per_event",
  tierPayoutsBps: { tier1: 0, tier2: 0, tier3: 10_000 },
  periodCapBps: 1,
};
const event = { id: "E1", region: "Région Sud", tier: "tier3", observedAt: "2024-02-29T12:00Z" };

const lines = (problems: readonly ValidationProblem[]) =>
  problems.map((p) => `${p.path}: ${p.message}`);

test("valid contracts parse, with SPEC defaults: timezone UTC, status active", () => {
  const p = parsePolicy(policy);
  assert.ok(p.ok);
  assert.deepEqual(p.value, { ...policy, timezone: "UTC" });
  const e = parseEvent(event);
  assert.ok(e.ok);
  assert.deepEqual(e.value, { ...event, status: "active" });
  const full = { ...event, status: "retracted", source: "gauge-7", value: -12.5 };
  assert.deepEqual(RiskEventSchema.parse(full), full);
  assert.equal(
    PolicySchema.parse({ ...policy, timezone: "Asia/Kolkata" }).timezone,
    "Asia/Kolkata",
  );
});

test("the issue's example message, word for word", () => {
  const r = parsePolicy({ ...policy, tierPayoutsBps: { tier1: 100, tier2: 2500, tier3: 2400 } });
  assert.ok(!r.ok);
  assert.deepEqual(lines(r.problems), [
    "policy.tierPayoutsBps.tier3: must be >= tier2 (2500), got 2400",
  ]);
});

test("every bad field is reported in one run, each with its own path", () => {
  const r = parsePolicy({
    id: "bad:id",
    region: "",
    currency: "Eur",
    sumInsured: 0,
    timezone: "+05:30",
    coverageStart: "2025-02-30",
    payoutMode: "weekly",
    tierPayoutsBps: { tier1: 5000, tier2: 4000, tier3: 20_000, tier0: 1 },
    periodCapBps: 10_001,
    extra: true,
  }, "policies[3]");
  assert.ok(!r.ok);
  assert.deepEqual(r.problems.map((p) => p.path), [
    "policies[3].id",
    "policies[3].region",
    "policies[3].currency",
    "policies[3].sumInsured",
    "policies[3].timezone",
    "policies[3].coverageStart",
    "policies[3].coverageEnd",
    "policies[3].payoutMode",
    "policies[3].tierPayoutsBps.tier3",
    "policies[3].tierPayoutsBps.tier0",
    // tier2 < tier1 is checked although tier3 is out of range; tier3 vs tier2 is not
    "policies[3].tierPayoutsBps.tier2",
    "policies[3].periodCapBps",
    "policies[3].extra",
  ]);
  assert.match(r.problems[6]!.message, /^is required: must be a YYYY-MM-DD date$/);
  assert.match(r.problems[10]!.message, /^must be >= tier1 \(5000\), got 4000$/);
});

test("cross-field rules run beside unrelated bad fields", () => {
  const r = parseCalcInput({
    policy: { ...policy, sumInsured: -5, coverageStart: "2025-06-01", coverageEnd: "2025-05-31" },
    events: [{ ...event, tier: "tier9" }, { ...event, observedAt: "yesterday" }, event],
  });
  assert.ok(!r.ok);
  assert.deepEqual(lines(r.problems), [
    "policy.sumInsured: must be an integer amount in minor units from 1 to 1000000000000, got -5",
    "policy.coverageEnd: must be >= coverageStart (2025-06-01), got 2025-05-31",
    'events[0].tier: must be one of tier1, tier2, tier3, got "tier9"',
    "events[1].observedAt: must be an ISO-8601 instant with Z or an offset " +
    '(e.g. 2025-03-30T01:30:00+01:00), got "yesterday"',
    'events[1].id: duplicate event id "E1" (first at events[0])',
    'events[2].id: duplicate event id "E1" (first at events[0])',
  ]);
});

test("messages name the value given, shortened when long, and what is missing", () => {
  const long = "x".repeat(300);
  const r = parseEvent({ ...event, id: long, source: long, region: undefined }, "row 7");
  assert.ok(!r.ok);
  assert.deepEqual(r.problems.map((p) => p.path), ["row 7.id", "row 7.region", "row 7.source"]);
  assert.match(r.problems[0]!.message, /got "x{77}\.\.\."$/);
  assert.equal(r.problems[1]!.message, "is required: must be a string of 1-64 characters");
  assert.match(r.problems[2]!.message, /^must be at most 256 characters/);
  const root = parseCalcInput([]);
  assert.ok(!root.ok);
  assert.deepEqual(lines(root.problems), ["(root): must be a { policy, events } object, got []"]);
});

test("problemsOf splits unknown fields and keeps the zod path for other callers", () => {
  const result = RiskEventSchema.safeParse({ ...event, tierr: "tier2", Value: 1 });
  assert.ok(!result.success);
  assert.deepEqual(lines(problemsOf(result.error, "input")), [
    "input.tierr: unknown field (allowed: id, region, tier, observedAt, status, source, value)",
    "input.Value: unknown field (allowed: id, region, tier, observedAt, status, source, value)",
  ]);
  // The raw zod issue still lists both keys for callers that format issues themselves.
  assert.match(result.error.issues[0]!.message, /^unknown field\(s\) tierr, Value/);
});
