/**
 * The fenced write path on the real database: claims, ledger and audit after each write,
 * re-allocation of later days, unchanged reruns, stale fences, whole-call failures, rollback.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { test } from "../../support/test.ts";
import { useTestDatabase } from "../../support/database.ts";
import { calculatePeriod } from "../../../src/domain/calculate.ts";
import { ClaimsError, ErrorCodes, hasCode } from "../../../src/errors.ts";
import {
  assertNotStale,
  loadLedgerEntry,
  loadPolicyClaims,
  loadVersionedPolicies,
  toDomainClaim,
  upsertPolicies,
  writePolicyDay,
  writePolicyDays,
} from "../../../src/store/index.ts";
import {
  auditRowsText,
  claimRowsText,
  countRows,
  ledgerRowsText,
  makeEvent,
  makePolicy,
  writeFor,
} from "./fixtures/store-fixtures.ts";

const database = useTestDatabase("store_write");

interface AuditView {
  claim_date: string;
  claim_key: string;
  action: string;
  reason: string;
  computed_date: string;
  old_payout_bps: number | null;
  new_payout_bps: number | null;
  fence_token: bigint;
  written_by: string;
}

async function auditOf(policyId: string): Promise<AuditView[]> {
  return await database.sql<AuditView[]>`
    select claim_date::text, claim_key, action, reason, computed_date::text, old_payout_bps,
      new_payout_bps, fence_token, written_by
    from claim_audit where policy_id = ${policyId} order by id`;
}

async function storedAsDomain(policyId: string) {
  return (await loadPolicyClaims(database.db, policyId)).map(toDomainClaim);
}

test("a day computed after a later one re-allocates the later day's cap, audited as such", async () => {
  const policy = makePolicy("realloc-1");
  await upsertPolicies(database.db, [policy]);
  const events = [
    makeEvent("r1-e5", "2025-01-05T08:00:00Z", { tier: "tier3" }),
    makeEvent("r1-e10", "2025-01-10T08:00:00Z", { tier: "tier2" }),
  ];

  const first = await writePolicyDay(
    database.db,
    writeFor(policy, "2025-01-10", events, 7n, "wf/1"),
  );
  assert.deepEqual(first, {
    policyId: "realloc-1",
    claimDate: "2025-01-10",
    status: "computed",
    claims: 1,
    cappedClaims: 0,
    payoutAmount: 250_000n,
    currency: "EUR",
    changes: { inserted: 1, updated: 0, deleted: 0 },
    ledgerFenceToken: 7n,
  });
  const day10Before = await loadLedgerEntry(database.db, "realloc-1", "2025-01-10");

  const second = await writePolicyDay(
    database.db,
    writeFor(policy, "2025-01-05", events, 3n, "wf/2"),
  );
  assert.equal(second.status, "computed");
  assert.equal(second.payoutAmount, 500_000n);
  assert.deepEqual(second.changes, { inserted: 1, updated: 1, deleted: 0 });

  // Stored state equals the whole-period calculation (5000 bps, then 1000 of the 6000 cap).
  assert.deepEqual(await storedAsDomain("realloc-1"), calculatePeriod(policy, events));
  const audit = await auditOf("realloc-1");
  assert.deepEqual(audit.map((a) => [a.claim_date, a.action, a.reason, a.computed_date]), [
    ["2025-01-10", "insert", "computed", "2025-01-10"],
    ["2025-01-05", "insert", "computed", "2025-01-05"],
    ["2025-01-10", "update", "reallocated", "2025-01-05"],
  ]);
  assert.deepEqual(audit.map((a) => [a.old_payout_bps, a.new_payout_bps, a.fence_token]), [
    [null, 2500, 7n],
    [null, 5000, 3n],
    [2500, 1000, 3n],
  ]);
  assert.equal(audit[2]!.written_by, "wf/2");

  // The re-allocated day's ledger row follows its claims but keeps its provenance.
  const day10 = await loadLedgerEntry(database.db, "realloc-1", "2025-01-10");
  assert.ok(day10 && day10Before);
  assert.equal(day10.payoutAmountTotal, 100_000n);
  assert.equal(day10.payoutBpsTotal, 1000);
  assert.equal(day10.cappedCount, 1);
  assert.equal(day10.fenceToken, 7n);
  assert.equal(day10.writtenBy, "wf/1");
  assert.equal(day10.computations, 1);
  assert.equal(day10.computedAt.getTime(), day10Before.computedAt.getTime());
  assert.ok(day10.changedAt.getTime() > day10Before.changedAt.getTime());
  const day5 = await loadLedgerEntry(database.db, "realloc-1", "2025-01-05");
  assert.equal(day5?.fenceToken, 3n);
  assert.equal(day5?.eventsCount, 2);
  assert.equal(day5?.claimsCount, 1);
  assert.equal(day5?.calculatorVersion.length !== 0, true);
});

test("a rerun with unchanged inputs changes no claim and no audit row and reports unchanged", async () => {
  const policy = makePolicy("rerun-1", { payoutMode: "per_event" });
  await upsertPolicies(database.db, [policy]);
  const events = [
    makeEvent("rr-a", "2025-01-03T01:00:00Z", { tier: "tier2" }),
    makeEvent("rr-b", "2025-01-03T02:00:00Z", { tier: "tier3" }),
    makeEvent("rr-c", "2025-01-04T02:00:00Z", { tier: "tier1" }),
  ];
  for (const date of ["2025-01-03", "2025-01-04"]) {
    await writePolicyDay(database.db, writeFor(policy, date, events, 10n));
  }
  const claimsBefore = await claimRowsText(database.sql, "rerun-1");
  const auditBefore = await auditRowsText(database.sql);
  const ledgerBefore = await loadLedgerEntry(database.db, "rerun-1", "2025-01-03");
  assert.equal(claimsBefore.length, 3);

  const outcomes = await writePolicyDays(database.db, [
    writeFor(policy, "2025-01-03", events, 11n, "rerun"),
    writeFor(policy, "2025-01-04", events, 11n, "rerun"),
  ]);
  assert.deepEqual(outcomes.map((o) => [o.status, o.changes]), [
    ["unchanged", { inserted: 0, updated: 0, deleted: 0 }],
    ["unchanged", { inserted: 0, updated: 0, deleted: 0 }],
  ]);
  assert.deepEqual(await claimRowsText(database.sql, "rerun-1"), claimsBefore);
  assert.deepEqual(await auditRowsText(database.sql), auditBefore);
  const ledgerAfter = await loadLedgerEntry(database.db, "rerun-1", "2025-01-03");
  assert.ok(ledgerAfter && ledgerBefore);
  assert.equal(ledgerAfter.fenceToken, 11n);
  assert.equal(ledgerAfter.writtenBy, "rerun");
  assert.equal(ledgerAfter.computations, 2);
  assert.ok(ledgerAfter.computedAt.getTime() >= ledgerBefore.computedAt.getTime());
  assert.equal(ledgerAfter.changedAt.getTime(), ledgerBefore.changedAt.getTime());
});

test("a stale fencing token is refused and changes nothing; an equal token is accepted", async () => {
  const policy = makePolicy("stale-1");
  await upsertPolicies(database.db, [policy]);
  const events = [makeEvent("st-1", "2025-01-07T12:00:00Z", { tier: "tier2" })];
  await writePolicyDay(database.db, writeFor(policy, "2025-01-07", events, 100n, "lease-100"));
  const claims = await claimRowsText(database.sql, "stale-1");
  const audit = await auditRowsText(database.sql);
  const ledger = await ledgerRowsText(database.sql, "stale-1");

  // An older lease that saw a different world (the event as tier3) comes back late: refused
  // (the ledger holds another computation), recorded as such, and nothing else changes.
  const late = writeFor(policy, "2025-01-07", [{ ...events[0]!, tier: "tier3" }], 99n, "lease-99");
  const outcome = await writePolicyDay(database.db, late);
  assert.deepEqual(outcome, {
    policyId: "stale-1",
    claimDate: "2025-01-07",
    status: "refused",
    claims: 1,
    cappedClaims: 0,
    payoutAmount: 250_000n,
    currency: "EUR",
    changes: { inserted: 0, updated: 0, deleted: 0 },
    ledgerFenceToken: 100n,
    refusal: "stale_token",
  });
  assert.deepEqual(await claimRowsText(database.sql, "stale-1"), claims);
  assert.deepEqual(await auditRowsText(database.sql), audit);
  assert.deepEqual(await ledgerRowsText(database.sql, "stale-1"), ledger);
  const [refusal] = await database.sql<Record<string, unknown>[]>`
    select reason, fence_token::text, ledger_fence_token::text, inputs_hash, ledger_inputs_hash,
      written_by
    from write_refusals where policy_id = 'stale-1'`;
  assert.deepEqual(refusal, {
    reason: "stale_token",
    fence_token: "99",
    ledger_fence_token: "100",
    inputs_hash: late.inputsHash,
    ledger_inputs_hash: (await loadLedgerEntry(database.db, "stale-1", "2025-01-07"))?.inputsHash,
    written_by: "lease-99",
  });

  // An older lease that saw the same world: verified stale, the ledger holds its computation.
  const same = await writePolicyDay(
    database.db,
    writeFor(policy, "2025-01-07", events, 98n, "lease-98"),
  );
  assert.equal(same.status, "stale");
  assert.equal(same.refusal, undefined);
  assert.deepEqual(await claimRowsText(database.sql, "stale-1"), claims);
  assert.deepEqual(await ledgerRowsText(database.sql, "stale-1"), ledger);
  assert.equal(
    await countRows(database.sql, "write_refusals"),
    1,
    "a verified stale is no refusal",
  );
  assert.throws(
    () => assertNotStale(same),
    (e: unknown) => hasCode(e, ErrorCodes.STALE_FENCE) && /token 100/.test(e.message),
  );

  // The same lease retrying (equal token) is applied.
  const retry = await writePolicyDay(
    database.db,
    writeFor(policy, "2025-01-07", [{ ...events[0]!, tier: "tier3" }], 100n, "lease-100"),
  );
  assert.equal(retry.status, "computed");
  assert.equal(retry.payoutAmount, 500_000n);
  assert.doesNotThrow(() => assertNotStale(retry));
});

test("claims a recomputation no longer produces are removed and the rest re-allocated", async () => {
  const policy = makePolicy("remove-1", { payoutMode: "per_event", periodCapBps: 3000 });
  await upsertPolicies(database.db, [policy]);
  const events = [
    makeEvent("rm-a", "2025-01-02T01:00:00Z", { tier: "tier2" }),
    makeEvent("rm-b", "2025-01-02T03:00:00Z", { tier: "tier1" }),
    makeEvent("rm-c", "2025-01-09T03:00:00Z", { tier: "tier2" }),
  ];
  await writePolicyDays(database.db, [
    writeFor(policy, "2025-01-02", events, 1n),
    writeFor(policy, "2025-01-09", events, 1n),
  ]);
  // 2500 + 500 (capped) + 0 (capped): the cap is spent on the 2nd.
  assert.deepEqual((await storedAsDomain("remove-1")).map((c) => c.payoutBps), [2500, 500, 0]);

  // rm-a is retracted: the 2nd keeps only rm-b and the 9th gets what is left of the cap.
  const corrected = events.map((e) => e.id === "rm-a" ? { ...e, status: "retracted" as const } : e);
  const outcome = await writePolicyDay(database.db, writeFor(policy, "2025-01-02", corrected, 2n));
  assert.deepEqual(outcome.changes, { inserted: 0, updated: 2, deleted: 1 });
  assert.equal(outcome.claims, 1);
  assert.deepEqual(await storedAsDomain("remove-1"), calculatePeriod(policy, corrected));
  const audit = await auditOf("remove-1");
  assert.deepEqual(audit.slice(3).map((a) => [a.claim_key, a.action, a.reason]), [
    ["rm-b", "update", "computed"],
    ["rm-c", "update", "reallocated"],
    ["rm-a", "delete", "removed"],
  ]);
  const day9 = await loadLedgerEntry(database.db, "remove-1", "2025-01-09");
  assert.equal(day9?.payoutBpsTotal, 2000);
  assert.equal(day9?.cappedCount, 1);
});

test("several writes of one policy in one call equal the same writes made one by one", async () => {
  const batched = makePolicy("multi-a", { periodCapBps: 4000 });
  const single = makePolicy("multi-b", { periodCapBps: 4000 });
  await upsertPolicies(database.db, [batched, single]);
  const eventsFor = (p: string) => [
    makeEvent(`${p}-1`, "2025-01-04T10:00:00Z", { tier: "tier2" }),
    makeEvent(`${p}-2`, "2025-01-06T10:00:00Z", { tier: "tier3" }),
    makeEvent(`${p}-3`, "2025-01-08T10:00:00Z", { tier: "tier1" }),
  ];
  const plan = (policy: typeof batched) => {
    const all = eventsFor(policy.id);
    return [
      writeFor(policy, "2025-01-08", all, 1n),
      writeFor(policy, "2025-01-06", all.slice(0, 1), 1n), // saw nothing yet on the 6th
      writeFor(policy, "2025-01-04", all, 1n),
      writeFor(policy, "2025-01-06", all, 2n), // the late event arrives
      writeFor(policy, "2025-01-06", all.slice(0, 1), 1n), // a zombie of the first lease
    ];
  };
  const outcomes = await writePolicyDays(database.db, plan(batched));
  assert.deepEqual(outcomes.map((o) => o.status), [
    "computed",
    "computed",
    "computed",
    "computed",
    "refused", // the zombie saw fewer events than the ledger's computation: not the same
  ]);
  for (const write of plan(single)) await writePolicyDay(database.db, write);

  const a = await storedAsDomain("multi-a");
  const b = await storedAsDomain("multi-b");
  assert.deepEqual(a, calculatePeriod(batched, eventsFor("multi-a")));
  assert.deepEqual(
    a.map(({ policyId: _p, eventIds: _e, ...rest }) => rest),
    b.map(({ policyId: _p, eventIds: _e, ...rest }) => rest),
  );
  const auditCount = async (id: string) =>
    (await database.sql`select 1 from claim_audit where policy_id = ${id}`).length;
  assert.equal(await auditCount("multi-a"), await auditCount("multi-b"));
});

test("a write for a missing policy or a date outside coverage fails the whole call", async () => {
  const policy = makePolicy("whole-1");
  await upsertPolicies(database.db, [policy]);
  const events = [makeEvent("wh-1", "2025-01-15T00:00:00Z", { tier: "tier3" })];
  const good = writeFor(policy, "2025-01-15", events, 1n);
  const before = await Promise.all([
    countRows(database.sql, "claims"),
    countRows(database.sql, "calculation_ledger"),
    countRows(database.sql, "claim_audit"),
  ]);

  await assert.rejects(
    writePolicyDays(database.db, [good, { ...good, policyId: "no-such-policy" }]),
    (e: unknown) => hasCode(e, ErrorCodes.POLICY_NOT_FOUND) && /no-such-policy/.test(e.message),
  );
  await assert.rejects(
    writePolicyDays(database.db, [good, writeFor(policy, "2025-02-01", events, 1n)]),
    (e: unknown) =>
      hasCode(e, ErrorCodes.OUT_OF_COVERAGE) && /2025-02-01/.test(e.message) &&
      /2025-01-01 to 2025-01-31/.test(e.message),
  );
  await assert.rejects(
    writePolicyDays(database.db, [
      good,
      { ...good, candidates: [{ ...good.candidates[0]!, claimDate: "2025-01-16" }] },
    ]),
    (e: unknown) =>
      hasCode(e, ErrorCodes.INPUT_INVALID) && /writes\[1\]/.test(e.message) &&
      /candidates\[0\]\.claimDate/.test(e.message),
  );
  await assert.rejects(
    writePolicyDays(database.db, [{ ...good, fenceToken: 5 as unknown as bigint }]),
    (e: unknown) => hasCode(e, ErrorCodes.INPUT_INVALID) && /fenceToken/.test(e.message),
  );
  const after = await Promise.all([
    countRows(database.sql, "claims"),
    countRows(database.sql, "calculation_ledger"),
    countRows(database.sql, "claim_audit"),
  ]);
  assert.deepEqual(after, before);
});

test("a transaction rolled back after the claims were written leaves nothing; a second writer succeeds", async () => {
  const policy = makePolicy("rollback-1");
  await upsertPolicies(database.db, [policy]);
  const events = [makeEvent("rb-1", "2025-01-20T00:00:00Z", { tier: "tier2" })];
  const write = writeFor(policy, "2025-01-20", events, 5n);
  let sawClaimInside = false;
  await assert.rejects(
    writePolicyDay(database.db, write, {
      beforeCommit: async (tx) => {
        // The claim is there inside the transaction …
        const rows = await tx.execute<{ n: number }>(
          sql`select count(*)::int as n from claims where policy_id = 'rollback-1'`,
        );
        sawClaimInside = rows[0]?.n === 1;
        throw new Error("injected failure after the writes");
      },
    }),
    (e: unknown) => e instanceof ClaimsError && /injected failure/.test(e.message),
  );
  assert.ok(sawClaimInside);
  // … and gone after the rollback, with its ledger and audit rows.
  assert.deepEqual(await claimRowsText(database.sql, "rollback-1"), []);
  assert.equal(await loadLedgerEntry(database.db, "rollback-1", "2025-01-20"), null);
  assert.equal(
    (await database.sql`select 1 from claim_audit where policy_id = 'rollback-1'`).length,
    0,
  );

  const second = await writePolicyDay(database.db, writeFor(policy, "2025-01-20", events, 4n));
  assert.equal(second.status, "computed");
  assert.deepEqual(await storedAsDomain("rollback-1"), calculatePeriod(policy, events));
});

test("a lost lease (aborted signal) rolls the write back with LOCK_LOST", async () => {
  const policy = makePolicy("lease-lost-1");
  await upsertPolicies(database.db, [policy]);
  const events = [makeEvent("ll-1", "2025-01-21T00:00:00Z", { tier: "tier1" })];
  const controller = new AbortController();
  await assert.rejects(
    writePolicyDay(database.db, writeFor(policy, "2025-01-21", events, 1n), {
      signal: controller.signal,
      beforeCommit: () => controller.abort(new Error("lease expired")),
    }),
    (e: unknown) => hasCode(e, ErrorCodes.LOCK_LOST),
  );
  assert.deepEqual(await claimRowsText(database.sql, "lease-lost-1"), []);
  assert.equal(await loadLedgerEntry(database.db, "lease-lost-1", "2025-01-21"), null);
});

test("a day without events is recorded in the ledger with zero claims", async () => {
  const policy = makePolicy("quiet-1", { timezone: "Pacific/Kiritimati" });
  await upsertPolicies(database.db, [policy]);
  const outcome = await writePolicyDay(database.db, writeFor(policy, "2025-01-12", [], 1n));
  assert.deepEqual([outcome.status, outcome.claims, outcome.payoutAmount], ["computed", 0, 0n]);
  const again = await writePolicyDay(database.db, writeFor(policy, "2025-01-12", [], 2n));
  assert.equal(again.status, "unchanged");
  const ledger = await loadLedgerEntry(database.db, "quiet-1", "2025-01-12");
  assert.deepEqual(
    [ledger?.claimsCount, ledger?.eventsCount, ledger?.computations, ledger?.fenceToken],
    [0, 0, 2, 2n],
  );
});

test("a write that brings the policy it read is checked by row version: a policy changed since is refused (policy_changed) and writes nothing", async () => {
  const policy = makePolicy("basis-1");
  await upsertPolicies(database.db, [policy]);
  const events = [makeEvent("b1-e3", "2025-01-03T08:00:00Z", { tier: "tier3" })];
  const [read] = [...(await loadVersionedPolicies(database.db, [policy.id])).values()];
  assert.ok(read && /^[0-9]+$/.test(read.version));
  assert.deepEqual(read.policy, policy);

  // Current version: written as without a basis, and the version is unchanged by the row lock.
  const first = await writePolicyDay(database.db, {
    ...writeFor(policy, "2025-01-03", events, 1n),
    basis: read,
  });
  assert.equal(first.status, "computed");
  const [after] = [...(await loadVersionedPolicies(database.db, [policy.id])).values()];
  assert.equal(after!.version, read.version, "a row lock must not change the version");

  // A re-import changes the row: the write computed from the old one is refused.
  const changed = { ...policy, sumInsured: 2_000_000 };
  await upsertPolicies(database.db, [changed]);
  const before = await ledgerRowsText(database.sql, policy.id);
  const claimsBefore = await claimRowsText(database.sql, policy.id);
  const refused = await writePolicyDay(database.db, {
    ...writeFor(policy, "2025-01-04", events, 2n),
    basis: read,
  });
  assert.deepEqual([refused.status, refused.refusal], ["refused", "policy_changed"]);
  assert.deepEqual(await ledgerRowsText(database.sql, policy.id), before);
  assert.deepEqual(await claimRowsText(database.sql, policy.id), claimsBefore);

  // A write without a basis reads the new policy under the lock: the cap follows it.
  const fresh = await writePolicyDay(database.db, writeFor(changed, "2025-01-04", events, 3n));
  assert.equal(fresh.status, "computed");
});

test("a malformed basis is INPUT_INVALID naming the field", async () => {
  const policy = makePolicy("basis-2");
  await upsertPolicies(database.db, [policy]);
  const write = writeFor(policy, "2025-01-03", [], 1n);
  await assert.rejects(
    writePolicyDay(database.db, { ...write, basis: { policy: makePolicy("other"), version: "1" } }),
    /basis\.policy\.id/,
  );
  await assert.rejects(
    writePolicyDay(database.db, { ...write, basis: { policy, version: "x1" } }),
    /basis\.version/,
  );
  await assert.rejects(
    writePolicyDays(database.db, [
      { ...write, basis: { policy, version: "1" } },
      { ...writeFor(policy, "2025-01-04", [], 1n), basis: { policy, version: "2" } },
    ]),
    /writes\[1\].*basis\.version/,
  );
});

test("a recomputation caused by a policy amendment records policy_amended as the audit reason", async () => {
  const policy = makePolicy("amend-1", { payoutMode: "per_event", periodCapBps: 6000 });
  await upsertPolicies(database.db, [policy]);
  const events = [
    makeEvent("am-a", "2025-01-02T01:00:00Z", { tier: "tier2" }),
    makeEvent("am-b", "2025-01-05T01:00:00Z", { tier: "tier3" }),
  ];
  await writePolicyDay(database.db, writeFor(policy, "2025-01-02", events, 1n));
  await writePolicyDay(database.db, writeFor(policy, "2025-01-05", events, 1n));
  // Sum insured doubled and a lower cap: the 2nd's claim changes, the 5th is re-allocated.
  const amended = { ...policy, sumInsured: 2_000_000, periodCapBps: 3000 };
  await upsertPolicies(database.db, [amended]);
  await writePolicyDay(database.db, {
    ...writeFor(amended, "2025-01-02", events, 2n),
    cause: "policy_amended",
  });
  const audit = await auditOf("amend-1");
  assert.deepEqual(audit.slice(2).map((a) => [a.claim_date, a.action, a.reason]), [
    ["2025-01-02", "update", "policy_amended"],
    ["2025-01-05", "update", "reallocated"],
  ]);
  await assert.rejects(
    writePolicyDay(database.db, {
      ...writeFor(amended, "2025-01-05", events, 3n),
      cause: "because" as "policy_amended",
    }),
    /cause must be "policy_amended" or absent/,
  );
});
