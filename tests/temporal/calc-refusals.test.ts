/**
 * "Stale" is verified, never assumed (calculatePolicyDays on real PostgreSQL and Redis): a
 * write refused because the ledger holds a higher token from another computation is computed
 * again under a token raised above the ledger's, so a token from a clock that ran ahead can
 * never keep a new event's claim out. Contended days left at the end name their lock's holder
 * and when its lease runs out.
 */
import assert from "node:assert/strict";
import { calculatePolicyDays, type PolicyDaysDeps } from "../../src/calc/policy-days.ts";
import type { CalcStore } from "../../src/calc/ports.ts";
import { createCalcStore } from "../../src/calc/store-adapter.ts";
import { loadConfig } from "../../src/config.ts";
import { calculatePeriod } from "../../src/domain/calculate.ts";
import type { LockBackend } from "../../src/locks/contract.ts";
import { createLockBackend } from "../../src/locks/factory.ts";
import { claimCalcLockKey } from "../../src/locks/keys.ts";
import { upsertEvents } from "../../src/store/events.ts";
import { loadPolicyClaims, toDomainClaim } from "../../src/store/index.ts";
import { useTestDatabase } from "../support/database.ts";
import { useTestRedis } from "../support/redis.ts";
import { after, before, describe, test } from "../support/test.ts";
import { makeDataSet, seedDataSet } from "./fixtures/claims-data.ts";

const database = useTestDatabase("calc-refusals");
const redis = useTestRedis();

const DAY = "2025-10-02";
const data = makeDataSet({ prefix: "cr", policies: 6, from: DAY, to: DAY, eventsPerDay: 0 });

describe("refused writes are computed again; stale is verified", () => {
  let locks: LockBackend;
  let store: CalcStore;
  const deps = (extra: Partial<PolicyDaysDeps> = {}): PolicyDaysDeps => ({
    store,
    locks,
    lockTtlMs: 5_000,
    sleep: () => Promise.resolve(),
    ...extra,
  });

  before(async () => {
    await seedDataSet(database, data);
    locks = createLockBackend(loadConfig({ REDIS_URL: redis.url, DATABASE_URL: database.url }));
    store = createCalcStore(database.db);
  });

  after(async () => {
    await locks?.close();
  });

  test("a ledger token from a clock an hour ahead: the new event's claim still arrives", async () => {
    const policy = data.policies[0]!;
    const first = await calculatePolicyDays(deps(), {
      date: DAY,
      policyIds: [policy.id],
      writtenBy: "wf/daily",
      contentionRetries: 0,
    });
    assert.equal(first.totals.computed, 1);
    // As the audit did: the ledger row gets a token from a clock one hour ahead.
    const future = BigInt(Date.now() + 3_600_000) * 1000n;
    await database.sql`update calculation_ledger set fence_token = ${future.toString()}
      where policy_id = ${policy.id} and claim_date = ${DAY}`;
    // A late event of that day, then its recalculation (the single policy-day path: no
    // contention rounds).
    const events = [{
      id: "cr-late-1",
      region: policy.region,
      tier: "tier3" as const,
      observedAt: `${DAY}T12:00:00.000Z`,
      status: "active" as const,
    }];
    assert.equal(policy.timezone, "UTC");
    await upsertEvents(database.db, events);
    const result = await calculatePolicyDays(deps(), {
      date: DAY,
      policyIds: [policy.id],
      writtenBy: "wf/recalc",
      contentionRetries: 0,
    });
    assert.equal(result.totals.computed, 1, JSON.stringify(result.problems));
    assert.equal(result.totals.stale + result.totals.contended, 0);
    const stored = (await loadPolicyClaims(database.db, policy.id)).map(toDomainClaim);
    assert.deepEqual(stored, calculatePeriod(policy, events), "the late event's claim arrived");
    assert.equal(stored.length, 1);
    const [ledger] = await database.sql<{ fence_token: string; written_by: string }[]>`
      select fence_token::text, written_by from calculation_ledger
      where policy_id = ${policy.id} and claim_date = ${DAY}`;
    assert.ok(BigInt(ledger!.fence_token) > future, "written under a token above the ledger's");
    assert.equal(ledger!.written_by, "wf/recalc");
    const refusals = await database.sql<{ reason: string; ledger_fence_token: string }[]>`
      select reason, ledger_fence_token::text from write_refusals where policy_id = ${policy.id}`;
    assert.deepEqual([...refusals], [{
      reason: "stale_token",
      ledger_fence_token: future.toString(),
    }]);
    // The lock service remembers the raised token: the next holder's is higher still.
    const next = await locks.tryAcquire(claimCalcLockKey(policy.id, DAY));
    assert.ok(next && next.fencingToken > BigInt(ledger!.fence_token));
    await next.release();
  });

  test("the same inputs under a lower token are verified stale: nothing is computed again", async () => {
    const policy = data.policies[1]!;
    await calculatePolicyDays(deps(), {
      date: DAY,
      policyIds: [policy.id],
      writtenBy: "wf/a",
      contentionRetries: 0,
    });
    const future = BigInt(Date.now() + 3_600_000) * 1000n;
    await database.sql`update calculation_ledger set fence_token = ${future.toString()}
      where policy_id = ${policy.id} and claim_date = ${DAY}`;
    const again = await calculatePolicyDays(deps(), {
      date: DAY,
      policyIds: [policy.id],
      writtenBy: "wf/b",
      contentionRetries: 0,
    });
    assert.equal(again.totals.stale, 1);
    const [ledger] = await database.sql<{ fence_token: string; written_by: string }[]>`
      select fence_token::text, written_by from calculation_ledger
      where policy_id = ${policy.id} and claim_date = ${DAY}`;
    assert.deepEqual(ledger, { fence_token: future.toString(), written_by: "wf/a" });
    assert.equal(
      (await database.sql`select 1 from write_refusals where policy_id = ${policy.id}`).length,
      0,
    );
  });

  test("a day still locked after every round names the holder and when its lease runs out", async () => {
    const policy = data.policies[2]!;
    const held = await locks.tryAcquire(claimCalcLockKey(policy.id, DAY), {
      ttlMs: 60_000,
      autoExtend: false,
      holder: "host-x/4242/claims-daily/1",
    });
    assert.ok(held);
    try {
      const result = await calculatePolicyDays(deps(), {
        date: DAY,
        policyIds: [policy.id, data.policies[3]!.id],
        writtenBy: "wf/c",
        contentionRetries: 1,
      });
      assert.deepEqual(result.contendedIds, [policy.id]);
      assert.ok(
        result.retryAfterMs !== null && result.retryAfterMs > 50_000 &&
          result.retryAfterMs <= 60_000,
        `retryAfterMs ${result.retryAfterMs}`,
      );
      const [problem] = result.problems;
      assert.equal(problem?.type, "LockContended");
      assert.match(
        problem!.message,
        /held by host-x\/4242\/claims-daily\/1; its lease runs out in \d+ s/,
      );
    } finally {
      await held.release();
    }
  });
});
