/**
 * Bulk idempotent upserts of policies and events: counts of inserted, updated and unchanged
 * rows, no write at all for identical rows, previous versions of changed events.
 */
import assert from "node:assert/strict";
import { test } from "../../support/test.ts";
import { useTestDatabase } from "../../support/database.ts";
import {
  parseEvent,
  parsePolicy,
  type Policy,
  type RiskEvent,
} from "../../../src/domain/schemas.ts";
import { ErrorCodes, hasCode } from "../../../src/errors.ts";
import { loadPolicy, upsertEvents, upsertPolicies } from "../../../src/store/index.ts";
import { makeEvent, makePolicy } from "./fixtures/store-fixtures.ts";

const database = useTestDatabase("store_upserts");

/** What an import reads from a file: JSON text, validated by the domain schemas. */
function parsedPolicies(json: string): Policy[] {
  return (JSON.parse(json) as unknown[]).map((raw, i) => {
    const parsed = parsePolicy(raw, `[${i}]`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    return parsed.value;
  });
}

function parsedEvents(json: string): RiskEvent[] {
  return (JSON.parse(json) as unknown[]).map((raw, i) => {
    const parsed = parseEvent(raw, `[${i}]`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    return parsed.value;
  });
}

async function tableText(table: "policies" | "risk_events", prefix: string): Promise<string[]> {
  const rows = await database.sql<{ row: string }[]>`
    select t::text as row from ${database.sql(table)} t where t.id like ${prefix + "%"}
    order by t.id`;
  return rows.map((r) => r.row);
}

test("policies: the same file twice inserts once, then reports every row unchanged", async () => {
  const file = JSON.stringify([
    makePolicy("up-p3"),
    makePolicy("up-p1", { timezone: "Asia/Kolkata", sumInsured: 1_000_000_000_000 }),
    { ...makePolicy("up-p2"), timezone: undefined }, // defaulted to UTC by the schema
  ]);
  const first = await upsertPolicies(database.db, parsedPolicies(file), { chunkSize: 2 });
  assert.deepEqual(first, {
    inserted: 3,
    updated: 0,
    unchanged: 0,
    insertedIds: ["up-p1", "up-p2", "up-p3"],
    updatedIds: [],
  });
  const stored = await tableText("policies", "up-p");

  const second = await upsertPolicies(database.db, parsedPolicies(file), { chunkSize: 2 });
  assert.deepEqual(second, {
    inserted: 0,
    updated: 0,
    unchanged: 3,
    insertedIds: [],
    updatedIds: [],
  });
  // Not even a new row version: updated_at and every other column are as they were.
  assert.deepEqual(await tableText("policies", "up-p"), stored);
  assert.deepEqual(await loadPolicy(database.db, "up-p1"), parsedPolicies(file)[1]);
});

test("policies: a changed row is updated, the others stay unchanged", async () => {
  await upsertPolicies(database.db, [makePolicy("ch-a"), makePolicy("ch-b"), makePolicy("ch-c")]);
  const before = await tableText("policies", "ch-");
  const result = await upsertPolicies(database.db, [
    makePolicy("ch-a"),
    makePolicy("ch-b", { tierPayoutsBps: { tier1: 1000, tier2: 2500, tier3: 5001 } }),
    makePolicy("ch-c"),
    makePolicy("ch-d"),
  ]);
  assert.deepEqual(result, {
    inserted: 1,
    updated: 1,
    unchanged: 2,
    insertedIds: ["ch-d"],
    updatedIds: ["ch-b"],
  });
  const after = await tableText("policies", "ch-");
  assert.equal(after[0], before[0]);
  assert.notEqual(after[1], before[1]);
  assert.equal(after[2], before[2]);
  const [times] = await database.sql<{ created_before_updated: boolean }[]>`
    select created_at < updated_at as created_before_updated from policies where id = 'ch-b'`;
  assert.equal(times?.created_before_updated, true);
  assert.equal((await loadPolicy(database.db, "ch-b"))?.tierPayoutsBps.tier3, 5001);
});

test("duplicate ids in one upsert are refused before anything is written", async () => {
  await assert.rejects(
    upsertPolicies(database.db, [makePolicy("dup-1"), makePolicy("dup-2"), makePolicy("dup-1")]),
    (e: unknown) =>
      hasCode(e, ErrorCodes.INPUT_INVALID) && /"dup-1" at rows 0 and 2/.test(e.message),
  );
  assert.equal(await loadPolicy(database.db, "dup-2"), null);
  await assert.rejects(
    upsertEvents(database.db, [
      makeEvent("dup-e", "2025-01-01T00:00:00Z"),
      makeEvent("dup-e", "2025-01-02T00:00:00Z"),
    ]),
    (e: unknown) => hasCode(e, ErrorCodes.INPUT_INVALID),
  );
});

test("a constraint violation rolls back the whole upsert and keeps the database error as cause", async () => {
  const bad = { ...makePolicy("cv-2"), periodCapBps: 0 }; // bypasses the schema on purpose
  await assert.rejects(
    upsertPolicies(database.db, [makePolicy("cv-1"), bad], { chunkSize: 1 }),
    (e: unknown) =>
      hasCode(e, ErrorCodes.STORAGE_FAILED) && /policies_cap_range/.test(e.message) &&
      (e.cause as { code?: string }).code === "23514",
  );
  assert.equal(await loadPolicy(database.db, "cv-1"), null);
});

test("events: the same file twice reports all unchanged; changes come with the previous version", async () => {
  const file = JSON.stringify([
    { id: "ev-1", region: "north", tier: "tier1", observedAt: "2025-01-05T10:00:00+05:30" },
    {
      id: "ev-2",
      region: "north",
      tier: "tier2",
      observedAt: "2025-01-05T23:59:59.999Z",
      source: 'gauge 7 "east", {quoted}',
      value: 0.1,
    },
    {
      id: "ev-3",
      region: "south",
      tier: "tier3",
      observedAt: "2025-01-06T00:00:00Z",
      status: "retracted",
    },
  ]);
  const first = await upsertEvents(database.db, parsedEvents(file));
  assert.deepEqual([first.inserted, first.updated, first.unchanged], [3, 0, 0]);
  assert.deepEqual(first.changes.map((c) => [c.event.id, c.previous]), [
    ["ev-1", null],
    ["ev-2", null],
    ["ev-3", null],
  ]);
  // Instants come back in UTC at ms precision, whatever offset the file used.
  assert.equal(first.changes[0]!.event.observedAt, "2025-01-05T04:30:00.000Z");
  const stored = await tableText("risk_events", "ev-");

  const second = await upsertEvents(database.db, parsedEvents(file));
  assert.deepEqual(second, { inserted: 0, updated: 0, unchanged: 3, changes: [] });
  assert.deepEqual(await tableText("risk_events", "ev-"), stored);

  // The same instant written differently is the same event.
  const sameInstant = await upsertEvents(database.db, [
    makeEvent("ev-1", "2025-01-05T04:30:00.000Z", { tier: "tier1" }),
  ]);
  assert.equal(sameInstant.unchanged, 1);

  const corrected = parsedEvents(file).map((e) =>
    e.id === "ev-1" ? { ...e, observedAt: "2025-01-04T22:00:00Z", region: "south" } : e
  );
  corrected.push(makeEvent("ev-4", "2025-01-07T00:00:00Z"));
  const third = await upsertEvents(database.db, corrected);
  assert.deepEqual([third.inserted, third.updated, third.unchanged], [1, 1, 2]);
  assert.deepEqual(third.changes, [
    {
      event: {
        id: "ev-1",
        region: "south",
        tier: "tier1",
        observedAt: "2025-01-04T22:00:00.000Z",
        status: "active",
      },
      previous: {
        id: "ev-1",
        region: "north",
        tier: "tier1",
        observedAt: "2025-01-05T04:30:00.000Z",
        status: "active",
      },
    },
    {
      event: {
        id: "ev-4",
        region: "north",
        tier: "tier1",
        observedAt: "2025-01-07T00:00:00.000Z",
        status: "active",
      },
      previous: null,
    },
  ]);

  // Retracting an event is a change; its previous version is the active one.
  const retract = await upsertEvents(database.db, [{ ...corrected[1]!, status: "retracted" }]);
  assert.equal(retract.updated, 1);
  assert.equal(retract.changes[0]!.previous?.status, "active");
  assert.equal(retract.changes[0]!.previous?.value, 0.1);
  assert.equal(retract.changes[0]!.previous?.source, 'gauge 7 "east", {quoted}');
  assert.equal(retract.changes[0]!.event.status, "retracted");
});

test("events: thousands of rows go in chunks, and concurrent overlapping upserts both succeed", async () => {
  const many = Array.from(
    { length: 2500 },
    (_, i) =>
      makeEvent(
        `bulk-${String(i).padStart(5, "0")}`,
        new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
      ),
  );
  const first = await upsertEvents(database.db, many);
  assert.deepEqual([first.inserted, first.updated, first.unchanged], [2500, 0, 0]);

  const a = many.map((e, i) => (i % 2 === 0 ? { ...e, tier: "tier2" as const } : e));
  const b = many.map((e, i) => (i % 3 === 0 ? { ...e, tier: "tier3" as const } : e)).reverse();
  const [ra, rb] = await Promise.all([upsertEvents(database.db, a), upsertEvents(database.db, b)]);
  // Serialised: each saw the other's result or the original as the previous version.
  for (const result of [ra, rb]) {
    assert.equal(result.inserted, 0);
    assert.equal(result.updated + result.unchanged, 2500);
    for (const change of result.changes) assert.notEqual(change.previous, null);
  }
  const [count] = await database.sql<{ n: number }[]>`
    select count(*)::int as n from risk_events where id like 'bulk-%'`;
  assert.equal(count?.n, 2500);
});
