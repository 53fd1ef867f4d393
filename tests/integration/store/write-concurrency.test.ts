/**
 * The write path under concurrency, on separate real connections: racing writers of one
 * policy-day, row-lock serialisation observed in pg_stat_activity, opposite-order batches,
 * and a backend killed in the middle of a write.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { test } from "../../support/test.ts";
import { useTestDatabase } from "../../support/database.ts";
import { calculatePeriod } from "../../../src/domain/calculate.ts";
import { ErrorCodes, hasCode } from "../../../src/errors.ts";
import {
  connectDatabase,
  type Database,
  isTransientStorageError,
  loadLedgerEntry,
  loadPolicyClaims,
  type PolicyDayOutcome,
  type PolicyDayWrite,
  toDomainClaim,
  upsertPolicies,
  writePolicyDay,
  writePolicyDays,
} from "../../../src/store/index.ts";
import { after } from "../../support/test.ts";
import { useDriverCrashGuard } from "../../support/driver-crash-guard.ts";
import { makeEvent, makePolicy, prng, shuffle, writeFor } from "./fixtures/store-fixtures.ts";
import type { RiskEvent } from "../../../src/domain/schemas.ts";

const database = useTestDatabase("store_write_concurrency");
// The kill-in-the-middle test terminates a backend: postgres.js's stray deferred write after
// that is absorbed here exactly as the worker absorbs it.
useDriverCrashGuard();
const opened: Database[] = [];

function connection(name: string, max = 2): Database {
  const db = connectDatabase(database.url, { max, applicationName: name });
  opened.push(db);
  return db;
}

after(async () => {
  await Promise.all(opened.map((db) => db.close()));
});

async function storedAsDomain(policyId: string) {
  return (await loadPolicyClaims(database.db, policyId)).map(toDomainClaim);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

test("two writers of the same policy-day racing on separate connections leave one claim set", async () => {
  const policy = makePolicy("race-1", { payoutMode: "per_event", periodCapBps: 10_000 });
  await upsertPolicies(database.db, [policy]);
  const a = connection("race-a");
  const b = connection("race-b");
  const events: RiskEvent[] = [];
  for (let round = 0; round < 20; round++) {
    events.push(makeEvent(`race-e${round}`, `2025-01-11T${String(round).padStart(2, "0")}:15:00Z`, {
      tier: (["tier1", "tier2", "tier3"] as const)[round % 3]!,
    }));
    const token = BigInt(2 * round + 10);
    // Same inputs, two leases (a zombie and its successor), started together.
    const [first, second] = await Promise.all([
      writePolicyDay(a.db, writeFor(policy, "2025-01-11", events, token, "zombie")),
      writePolicyDay(b.db, writeFor(policy, "2025-01-11", events, token + 1n, "successor")),
    ]);
    assert.ok(["computed", "unchanged", "stale"].includes(first.status));
    assert.notEqual(second.status, "stale");
    const [dupes] = await database.sql<{ n: number }[]>`
      select count(*)::int - count(distinct (claim_date, claim_key))::int as n
      from claims where policy_id = 'race-1'`;
    assert.equal(dupes!.n, 0);
    assert.deepEqual(await storedAsDomain("race-1"), calculatePeriod(policy, events));
    const ledger = await loadLedgerEntry(database.db, "race-1", "2025-01-11");
    assert.equal(ledger?.fenceToken, token + 1n);
    assert.equal(ledger?.writtenBy, "successor");
  }
});

test("FOR UPDATE serialises: a second transaction on the policy waits for the first to commit", async () => {
  const policy = makePolicy("serial-1");
  await upsertPolicies(database.db, [policy]);
  const events = [
    makeEvent("se-5", "2025-01-05T09:00:00Z", { tier: "tier3" }), // 5000 bps of the 6000 cap
    makeEvent("se-10", "2025-01-10T09:00:00Z", { tier: "tier2" }), // 2500, capped to 1000
  ];
  const first = connection("serial-first", 1);
  const second = connection("serial-second", 1);

  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let firstInside!: () => void;
  const firstHolds = new Promise<void>((r) => (firstInside = r));
  const firstWrite = writePolicyDay(first.db, writeFor(policy, "2025-01-05", events, 1n, "first"), {
    beforeCommit: async () => {
      firstInside();
      await released;
    },
  });
  await firstHolds;
  const secondWrite = writePolicyDay(
    second.db,
    writeFor(policy, "2025-01-10", events, 1n, "second"),
  );

  // The database reports the second backend waiting on a lock while the first is open.
  const waiting = await waitFor("the second writer to wait on the row lock", async () => {
    const [row] = await database.sql<
      { wait_event_type: string | null; query: string; observed_at: string }[]
    >`
      select wait_event_type, query, clock_timestamp()::text as observed_at
      from pg_stat_activity
      where datname = current_database() and application_name = 'serial-second'
        and wait_event_type = 'Lock'`;
    return row;
  });
  assert.match(waiting.query, /for update/i);
  release();
  const [a, b] = await Promise.all([firstWrite, secondWrite]);
  assert.equal(a.status, "computed");
  assert.equal(b.status, "computed");

  // Database clocks: first wrote its ledger before the wait was observed, second after it.
  const [order] = await database.sql<{ first_before: boolean; second_after: boolean }[]>`
    select
      (select computed_at from calculation_ledger
        where policy_id = 'serial-1' and claim_date = '2025-01-05') < ${waiting.observed_at}::timestamptz
        as first_before,
      (select computed_at from calculation_ledger
        where policy_id = 'serial-1' and claim_date = '2025-01-10') > ${waiting.observed_at}::timestamptz
        as second_after`;
  assert.deepEqual(order, { first_before: true, second_after: true });
  // And the second computed against the first's committed claim: only 1000 bps were left.
  assert.deepEqual(
    (await storedAsDomain("serial-1")).map((c) => [c.claimDate, c.payoutBps]),
    [["2025-01-05", 5000], ["2025-01-10", 1000]],
  );
  assert.deepEqual(await storedAsDomain("serial-1"), calculatePeriod(policy, events));
});

test("batches touching overlapping policies in opposite orders never deadlock", async () => {
  const policies = Array.from(
    { length: 40 },
    (_, i) => makePolicy(`dl-${String(i).padStart(2, "0")}`, { payoutMode: "per_event" }),
  );
  await upsertPolicies(database.db, policies);
  const writers = [connection("dl-1"), connection("dl-2"), connection("dl-3"), connection("dl-4")];
  const eventsOf = (p: string) => [makeEvent(`${p}-e`, "2025-01-14T10:00:00Z", { tier: "tier2" })];
  const random = prng(7);
  let token = 1n;
  for (let round = 0; round < 15; round++) {
    const forward: PolicyDayWrite[] = policies.map((p) =>
      writeFor(p, "2025-01-14", eventsOf(p.id), token)
    );
    const batches = [
      forward,
      [...forward].reverse(),
      shuffle([...forward], random),
      [...forward].reverse(),
    ];
    token++;
    const results = await Promise.allSettled(
      batches.map((batch, i) => writePolicyDays(writers[i]!.db, batch)),
    );
    for (const r of results) {
      assert.equal(r.status, "fulfilled", r.status === "rejected" ? String(r.reason) : "");
    }
  }
  const [counts] = await database.sql<{ claims: number; ledger: number }[]>`
    select (select count(*)::int from claims where policy_id like 'dl-%') as claims,
      (select count(*)::int from calculation_ledger where policy_id like 'dl-%') as ledger`;
  assert.deepEqual(counts, { claims: 40, ledger: 40 });
});

test("a backend killed in the middle of a write leaves nothing behind; the retry succeeds", async () => {
  const policy = makePolicy("killed-1", { payoutMode: "per_event" });
  await upsertPolicies(database.db, [policy]);
  const events = [
    makeEvent("k-1", "2025-01-18T09:00:00Z", { tier: "tier1" }),
    makeEvent("k-2", "2025-01-18T10:00:00Z", { tier: "tier3" }),
  ];
  const victim = connection("killed-writer", 1);
  const write = writeFor(policy, "2025-01-18", events, 3n);
  let killedPid = 0;
  const failure = await writePolicyDay(victim.db, write, {
    beforeCommit: async (tx) => {
      const [me] = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
      killedPid = me!.pid;
      await database.sql`select pg_terminate_backend(${killedPid})`;
    },
  }).then(() => null, (e: unknown) => e);

  assert.ok(killedPid > 0);
  assert.ok(failure, "the write must fail when its backend is terminated");
  assert.ok(hasCode(failure, ErrorCodes.SERVICE_UNAVAILABLE), String(failure));
  assert.ok(isTransientStorageError(failure));
  const [left] = await database.sql<{ claims: number; ledger: number; audit: number }[]>`
    select (select count(*)::int from claims where policy_id = 'killed-1') as claims,
      (select count(*)::int from calculation_ledger where policy_id = 'killed-1') as ledger,
      (select count(*)::int from claim_audit where policy_id = 'killed-1') as audit`;
  assert.deepEqual(left, { claims: 0, ledger: 0, audit: 0 });

  // The same pool reconnects and the retried write (same lease, same token) goes through. As
  // an activity would, retry transient failures: postgres.js may hand the dead backend's FATAL
  // (57P01) to the first query after the kill.
  let retried: PolicyDayOutcome | undefined;
  for (let attempt = 1; !retried; attempt++) {
    try {
      retried = await writePolicyDay(victim.db, write);
    } catch (error) {
      assert.ok(attempt < 3 && isTransientStorageError(error), String(error));
    }
  }
  assert.equal(retried.status, "computed");
  assert.deepEqual(await storedAsDomain("killed-1"), calculatePeriod(policy, events));
});

test("a writer that cannot get the policy's row lock in time fails transiently and writes nothing", async () => {
  const policy = makePolicy("timeout-1");
  await upsertPolicies(database.db, [policy]);
  const events = [makeEvent("to-1", "2025-01-22T09:00:00Z", { tier: "tier2" })];
  const holder = connection("timeout-holder", 1);
  const waiter = connection("timeout-waiter", 1);
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let holding!: () => void;
  const held = new Promise<void>((r) => (holding = r));
  const first = writePolicyDay(holder.db, writeFor(policy, "2025-01-22", events, 1n), {
    beforeCommit: async () => {
      holding();
      await released;
    },
  });
  await held;
  const started = Date.now();
  const failure = await writePolicyDay(
    waiter.db,
    writeFor(policy, "2025-01-23", events, 1n),
    { lockTimeoutMs: 300 },
  ).then(() => null, (e: unknown) => e);
  release();
  await first;
  assert.ok(Date.now() - started >= 250, "gave up before the lock timeout");
  assert.ok(hasCode(failure, ErrorCodes.STORAGE_FAILED), String(failure));
  assert.equal((failure.cause as { code?: string }).code, "55P03");
  assert.ok(isTransientStorageError(failure));
  assert.equal(await loadLedgerEntry(database.db, "timeout-1", "2025-01-23"), null);
  assert.equal((await loadLedgerEntry(database.db, "timeout-1", "2025-01-22"))?.fenceToken, 1n);
});
