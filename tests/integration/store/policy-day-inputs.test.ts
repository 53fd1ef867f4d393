/**
 * What a computation reads: one policy-day's inputs on its own local day (DST included), the
 * batch form of the daily run, and keyset pages of the policies covering a date.
 */
import assert from "node:assert/strict";
import { test } from "../../support/test.ts";
import { useTestDatabase } from "../../support/database.ts";
import { localDateOf } from "../../../src/domain/calendar.ts";
import { instantMs, type RiskEvent } from "../../../src/domain/schemas.ts";
import { ErrorCodes, hasCode } from "../../../src/errors.ts";
import {
  listCoveringPolicyIds,
  listCoveringPolicyIdsAmong,
  loadPolicyDay,
  loadPolicyDays,
  upsertEvents,
  upsertPolicies,
} from "../../../src/store/index.ts";
import { makeEvent, makePolicy, prng } from "./fixtures/store-fixtures.ts";

const database = useTestDatabase("store_inputs");

const ids = (events: readonly RiskEvent[]) => events.map((e) => e.id);

test("a policy-day's events are those of its region in its own local day, DST included", async () => {
  const berlin = makePolicy("in-berlin", {
    timezone: "Europe/Berlin",
    coverageStart: "2025-03-01",
    coverageEnd: "2025-03-31",
  });
  await upsertPolicies(database.db, [berlin]);
  await upsertEvents(database.db, [
    makeEvent("b-before", "2025-03-29T22:59:59.999Z"), // 23:59:59.999 CET on the 29th
    makeEvent("b-first", "2025-03-29T23:00:00.000Z"), // 00:00 CET on the 30th
    makeEvent("b-retracted", "2025-03-30T10:00:00Z", { status: "retracted" }),
    makeEvent("b-other-region", "2025-03-30T10:00:00Z", { region: "south" }),
    makeEvent("b-last", "2025-03-30T21:59:59.999Z"), // 23:59:59.999 CEST: the day had 23 hours
    makeEvent("b-after", "2025-03-30T22:00:00.000Z"),
  ]);
  const day = await loadPolicyDay(database.db, "in-berlin", "2025-03-30");
  assert.deepEqual(day.policy, berlin);
  assert.deepEqual(ids(day.events), ["b-first", "b-retracted", "b-last"]);
  assert.equal(day.window.endMs - day.window.startMs, 23 * 3_600_000);
  assert.deepEqual(day.events[1], {
    id: "b-retracted",
    region: "north",
    tier: "tier1",
    observedAt: "2025-03-30T10:00:00.000Z",
    status: "retracted",
  });
});

test("loading a policy-day names what is wrong: missing policy, date outside coverage, bad date", async () => {
  await upsertPolicies(database.db, [makePolicy("in-jan")]);
  await assert.rejects(
    loadPolicyDay(database.db, "in-nobody", "2025-01-05"),
    (e: unknown) => hasCode(e, ErrorCodes.POLICY_NOT_FOUND) && /in-nobody/.test(e.message),
  );
  await assert.rejects(
    loadPolicyDay(database.db, "in-jan", "2025-02-01"),
    (e: unknown) => hasCode(e, ErrorCodes.OUT_OF_COVERAGE) && /2025-02-01/.test(e.message),
  );
  await assert.rejects(
    loadPolicyDay(database.db, "in-jan", "2025-02-30"),
    (e: unknown) => hasCode(e, ErrorCodes.INPUT_INVALID) && /claimDate/.test(e.message),
  );
});

test("the batch form gives every policy the events of its own local day, as one-by-one loads do", async () => {
  const zones = [
    "UTC",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Asia/Kolkata",
    "America/Santiago",
  ];
  const regions = ["r1", "r2", "r3"];
  const policies = Array.from(
    { length: 30 },
    (_, i) =>
      makePolicy(`batch-${String(i).padStart(2, "0")}`, {
        region: regions[i % regions.length]!,
        timezone: zones[i % zones.length]!,
        coverageStart: i === 29 ? "2025-05-01" : "2025-04-01",
        coverageEnd: "2025-05-31",
      }),
  );
  await upsertPolicies(database.db, policies);
  const random = prng(42);
  const origin = Date.parse("2025-04-04T00:00:00Z");
  const events = Array.from({ length: 400 }, (_, i) =>
    makeEvent(
      `batch-e${i}`,
      new Date(origin + Math.floor(random() * 4 * 86_400_000)).toISOString(),
      { region: regions[Math.floor(random() * 4)] ?? "elsewhere" },
    ));
  await upsertEvents(database.db, events);

  const wanted = [...policies.map((p) => p.id).reverse(), "batch-missing"];
  const batch = await loadPolicyDays(database.db, "2025-04-05", wanted);
  assert.deepEqual(batch.missing, ["batch-missing"]);
  assert.deepEqual(batch.outOfCoverage, ["batch-29"]);
  assert.deepEqual(batch.days.map((d) => d.policy.id), policies.slice(0, 29).map((p) => p.id));
  let seen = 0;
  for (const day of batch.days) {
    const expected = events
      .filter((e) =>
        e.region === day.policy.region &&
        localDateOf(instantMs(e.observedAt), day.policy.timezone) === "2025-04-05"
      )
      .sort((a, b) => instantMs(a.observedAt) - instantMs(b.observedAt) || (a.id < b.id ? -1 : 1));
    assert.deepEqual(ids(day.events), ids(expected), day.policy.id);
    assert.deepEqual(day, await loadPolicyDay(database.db, day.policy.id, "2025-04-05"));
    seen += day.events.length;
  }
  assert.ok(seen > 50, `only ${seen} events matched: the test data is too thin`);
});

test("keyset pages of the policies covering a date come in code-unit id order", async () => {
  const names = ["Zeta", "alpha", "Alpha", "a.1", "a-1", "a_1", "A0", "0zero", "9nine", "b"];
  const policies = names.flatMap((n, i) => [
    makePolicy(`pg-${n}`, { coverageStart: "2025-06-01", coverageEnd: "2025-06-30" }),
    makePolicy(`pg-${n}-late`, {
      coverageStart: i % 2 === 0 ? "2025-06-16" : "2025-06-15",
      coverageEnd: "2025-07-31",
    }),
  ]);
  await upsertPolicies(database.db, policies);
  const covering = policies
    .filter((p) => p.coverageStart <= "2025-06-15" && p.coverageEnd >= "2025-06-15")
    .map((p) => p.id)
    .sort();

  const paged: string[] = [];
  let afterId: string | null = null;
  for (;;) {
    const page: string[] = await listCoveringPolicyIds(database.db, {
      date: "2025-06-15",
      afterId,
      limit: 4,
    });
    paged.push(...page.filter((id) => id.startsWith("pg-")));
    if (page.length < 4) break;
    afterId = page[page.length - 1]!;
  }
  assert.deepEqual(paged, covering);

  const among = ["pg-b", "pg-Zeta-late", "pg-alpha-late", "pg-missing", "pg-0zero", "pg-a.1"];
  const first = await listCoveringPolicyIdsAmong(database.db, among, {
    date: "2025-06-15",
    limit: 2,
  });
  const rest = await listCoveringPolicyIdsAmong(database.db, among, {
    date: "2025-06-15",
    afterId: first[first.length - 1]!,
    limit: 10,
  });
  assert.deepEqual(first.length, 2);
  assert.deepEqual([...first, ...rest], covering.filter((id) => among.includes(id)));
  assert.deepEqual([...first, ...rest], ["pg-0zero", "pg-a.1", "pg-alpha-late", "pg-b"]);
  await assert.rejects(
    listCoveringPolicyIds(database.db, { date: "2025-06-15", limit: 0 }),
    (e: unknown) => hasCode(e, ErrorCodes.INPUT_INVALID) && /limit/.test(e.message),
  );
});
