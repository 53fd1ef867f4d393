/**
 * The database decides whether a result is current, not the fencing token: event revisions
 * counted by triggers, read before the events and checked under the policy lock at write
 * time. A paused holder whose token is HIGHER than its successor's (a lock service whose clock
 * ran ahead, a failover that lost the fence key) cannot overwrite the newer computation.
 */
import assert from "node:assert/strict";
import { test } from "../../support/test.ts";
import { useTestDatabase } from "../../support/database.ts";
import { calculatePeriod } from "../../../src/domain/calculate.ts";
import {
  loadPolicyClaims,
  loadPolicyDay,
  toDomainClaim,
  upsertEvents,
  upsertPolicies,
  writePolicyDay,
} from "../../../src/store/index.ts";
import type { PolicyDayWrite } from "../../../src/store/policy-day-types.ts";
import { utcDaysOf } from "../../../src/store/event-revisions.ts";
import {
  countRows,
  ledgerRowsText,
  makeEvent,
  makePolicy,
  writeFor,
} from "./fixtures/store-fixtures.ts";

const database = useTestDatabase("store_inputs_check");

async function revisions(region: string): Promise<Record<string, number>> {
  const rows = await database.sql<{ day: string; revision: string }[]>`
    select day::text, revision::text from event_revisions where region = ${region} order by day`;
  return Object.fromEntries(rows.map((r) => [r.day, Number(r.revision)]));
}

/** What the calculation would write for the policy-day as read now (its basis included). */
async function computedNow(policyId: string, claimDate: string, token: bigint, by: string) {
  const day = await loadPolicyDay(database.db, policyId, claimDate);
  const write: PolicyDayWrite = {
    ...writeFor(day.policy, claimDate, day.events, token, by),
    basis: { policy: day.policy, version: day.policyVersion },
    eventsRevision: day.eventsRevision,
  };
  return write;
}

test("the triggers count every change of events per region and UTC day, old and new days alike", async () => {
  await upsertEvents(database.db, [
    makeEvent("rv-1", "2025-01-03T23:30:00Z", { region: "rv" }),
    makeEvent("rv-2", "2025-01-04T00:30:00Z", { region: "rv" }),
  ]);
  assert.deepEqual(await revisions("rv"), { "2025-01-03": 1, "2025-01-04": 1 });
  // The same events again change nothing (the import's upsert skips unchanged rows).
  await upsertEvents(database.db, [makeEvent("rv-1", "2025-01-03T23:30:00Z", { region: "rv" })]);
  assert.deepEqual(await revisions("rv"), { "2025-01-03": 1, "2025-01-04": 1 });
  // A correction that moves an event to another day counts on both days.
  await upsertEvents(database.db, [makeEvent("rv-1", "2025-01-05T01:00:00Z", { region: "rv" })]);
  assert.deepEqual(await revisions("rv"), { "2025-01-03": 2, "2025-01-04": 1, "2025-01-05": 1 });
  await database.sql`delete from risk_events where id = 'rv-2'`;
  assert.deepEqual(await revisions("rv"), { "2025-01-03": 2, "2025-01-04": 2, "2025-01-05": 1 });
});

test("a local day spans the UTC days it touches (one to three)", () => {
  assert.deepEqual(utcDaysOf({ startMs: Date.UTC(2025, 0, 3), endMs: Date.UTC(2025, 0, 4) }), [
    "2025-01-03",
  ]);
  // Pacific/Kiritimati (UTC+14): 2025-01-03 local is 2025-01-02T10:00Z .. 2025-01-03T10:00Z.
  assert.deepEqual(
    utcDaysOf({ startMs: Date.UTC(2025, 0, 2, 10), endMs: Date.UTC(2025, 0, 3, 10) }),
    ["2025-01-02", "2025-01-03"],
  );
  assert.deepEqual(
    utcDaysOf({ startMs: Date.UTC(2025, 0, 2, 23, 30), endMs: Date.UTC(2025, 0, 4, 0, 30) }),
    ["2025-01-02", "2025-01-03", "2025-01-04"],
  );
});

test("a paused holder with a HIGHER token cannot overwrite a newer computation: refused, inputs_changed", async () => {
  const policy = makePolicy("skew-1", { region: "skew", timezone: "Pacific/Kiritimati" });
  await upsertPolicies(database.db, [policy]);
  await upsertEvents(database.db, [
    makeEvent("sk-1", "2025-01-09T12:00:00Z", { region: "skew", tier: "tier1" }),
  ]);
  // Holder A reads its inputs (token from a clock 10 s ahead), then pauses.
  const paused = await computedNow(policy.id, "2025-01-10", 1_000_010_000_000n, "zombie");
  // A late event arrives in the same local day (UTC+14: the 10th starts 2025-01-09T10:00Z).
  await upsertEvents(database.db, [
    makeEvent("sk-2", "2025-01-09T20:00:00Z", { region: "skew", tier: "tier3" }),
  ]);
  // Holder B, after a failover to a server whose clock is behind: a LOWER token, newer inputs.
  const fresh = await computedNow(policy.id, "2025-01-10", 1_000_000_000_000n, "successor");
  assert.notEqual(fresh.eventsRevision, paused.eventsRevision);
  assert.equal((await writePolicyDay(database.db, fresh)).status, "computed");
  const ledger = await ledgerRowsText(database.sql, policy.id);

  // A resumes and writes: its token is higher, but what it computed is not current.
  const late = await writePolicyDay(database.db, paused);
  assert.deepEqual([late.status, late.refusal], ["refused", "inputs_changed"]);
  assert.deepEqual(await ledgerRowsText(database.sql, policy.id), ledger, "nothing overwritten");
  const stored = (await loadPolicyClaims(database.db, policy.id)).map(toDomainClaim);
  const events = (await loadPolicyDay(database.db, policy.id, "2025-01-10")).events;
  assert.deepEqual(stored, calculatePeriod(policy, events), "the newer computation stands");
  assert.equal(stored[0]?.tier, "tier3");
  const [refusal] = await database.sql<{ reason: string; written_by: string }[]>`
    select reason, written_by from write_refusals where policy_id = ${policy.id}`;
  assert.deepEqual(refusal, { reason: "inputs_changed", written_by: "zombie" });

  // Recomputed from a fresh read, A's next write is current and accepted.
  const again = await computedNow(policy.id, "2025-01-10", 1_000_010_000_001n, "zombie");
  assert.equal((await writePolicyDay(database.db, again)).status, "unchanged");
  assert.equal(await countRows(database.sql, "write_refusals"), 1);
});

test("events outside the day's window do not refuse its write", async () => {
  const policy = makePolicy("window-1", { region: "win" });
  await upsertPolicies(database.db, [policy]);
  const write = await computedNow(policy.id, "2025-01-12", 5n, "w");
  // Another region, and the same region two days later: neither is the 12th's input.
  await upsertEvents(database.db, [
    makeEvent("win-x", "2025-01-12T06:00:00Z", { region: "elsewhere" }),
    makeEvent("win-y", "2025-01-14T06:00:00Z", { region: "win" }),
  ]);
  assert.equal((await writePolicyDay(database.db, write)).status, "computed");
});
