/**
 * The calculation core without Temporal (`calculatePolicyDays`), on real PostgreSQL and Redis:
 * contention rounds, checkpoints and resumption, lost leases, per policy-day problems, input
 * validation and the metrics it reports.
 */
import assert from "node:assert/strict";
import {
  calculatePolicyDays,
  type PolicyDaysCheckpoint,
  type PolicyDaysDeps,
} from "../../src/calc/policy-days.ts";
import type { CalcStore } from "../../src/calc/ports.ts";
import { inputsHash } from "../../src/calc/inputs-hash.ts";
import { createCalcStore } from "../../src/calc/store-adapter.ts";
import { loadConfig } from "../../src/config.ts";
import { ClaimsError } from "../../src/errors.ts";
import type { LockBackend } from "../../src/locks/contract.ts";
import { createLockBackend } from "../../src/locks/factory.ts";
import { claimCalcLockKey } from "../../src/locks/keys.ts";
import { createClaimsMetrics, MetricNames } from "../../src/metrics/claims-metrics.ts";
import { metricValue, Registry } from "../../src/metrics/registry.ts";
import { useTestDatabase } from "../support/database.ts";
import { useTestRedis } from "../support/redis.ts";
import { after, before, describe, test } from "../support/test.ts";
import { assertMatchesCalculator, makeDataSet, seedDataSet } from "./fixtures/claims-data.ts";

const database = useTestDatabase("calc-core");
const redis = useTestRedis();

const DAY = "2025-09-10";
const data = makeDataSet({ prefix: "cc", policies: 40, from: DAY, to: DAY, eventsPerDay: 3 });
const ids = data.policies.map((p) => p.id);

describe("calculatePolicyDays", () => {
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
    locks = createLockBackend(
      loadConfig({ REDIS_URL: redis.url, DATABASE_URL: database.url }),
    );
    store = createCalcStore(database.db);
  });

  after(async () => {
    await locks?.close();
  });

  async function ledger(policyIds: readonly string[] = ids) {
    return await database.sql<{ policy_id: string; computations: number; written_by: string }[]>`
      select policy_id, computations, written_by from calculation_ledger
      where claim_date = ${DAY} and policy_id = any(${policyIds as string[]}) order by policy_id`;
  }

  test("input errors name the field", async () => {
    await assert.rejects(
      calculatePolicyDays(deps(), { date: "2025-02-30", policyIds: ids, writtenBy: "t" }),
      (e: ClaimsError) => e.code === "INPUT_INVALID" && /^date: /.test(e.message),
    );
    await assert.rejects(
      calculatePolicyDays(deps(), { date: DAY, policyIds: ["ok", "a:b"], writtenBy: "t" }),
      (e: ClaimsError) => e.code === "INPUT_INVALID" && /^policyIds\[1\]: /.test(e.message),
    );
    assert.equal((await ledger()).length, 0, "nothing written");
  });

  test("a crash after two chunks resumes from the checkpoint: nothing computed twice", async () => {
    const part = ids.slice(0, 20);
    const checkpoints: PolicyDaysCheckpoint[] = [];
    await assert.rejects(
      calculatePolicyDays(deps(), {
        date: DAY,
        policyIds: [...part].reverse(), // any order: the core sorts
        writtenBy: "wf/run-1",
        chunkSize: 5,
        onProgress: (cp) => {
          checkpoints.push(cp);
          if (checkpoints.length === 2) throw new Error("worker died");
        },
      }),
      /worker died/,
    );
    assert.equal(checkpoints.at(-1)?.done, 10);
    assert.equal((await ledger(part)).length, 10, "two chunks were written before the crash");
    const result = await calculatePolicyDays(deps(), {
      date: DAY,
      policyIds: part,
      writtenBy: "wf/run-1",
      chunkSize: 5,
      resume: checkpoints.at(-1)!,
    });
    assert.equal(result.items.length, 10, "only the rest was computed");
    assert.equal(result.totals.policyDays, 20, "totals include the work before the crash");
    assert.equal(result.totals.computed, 20);
    const rows = await ledger(part);
    assert.equal(rows.length, 20);
    assert.ok(rows.every((r) => r.computations === 1 && r.written_by === "wf/run-1"));
  });

  test("a held lock: contended at first, computed in a later round once it is free", async () => {
    const id = ids[20]!;
    const held = await locks.tryAcquire(claimCalcLockKey(id, DAY), { ttlMs: 5_000 });
    assert.ok(held);
    const rounds: number[] = [];
    const result = await calculatePolicyDays(
      deps({
        sleep: async () => {
          await held.release(); // the other calculation finishes during the backoff
        },
      }),
      {
        date: DAY,
        policyIds: ids.slice(20, 30),
        writtenBy: "wf/run-2",
        chunkSize: 4,
        contentionRetries: 2,
        onProgress: (cp) => void rounds.push(cp.round),
      },
    );
    assert.deepEqual([...new Set(rounds)], [0, 1]);
    assert.equal(result.totals.computed, 10);
    assert.equal(result.totals.contended, 0);
    assert.deepEqual(result.contendedIds, []);
  });

  test("a lock held throughout: reported contended with its key, nothing written for it", async () => {
    const id = ids[30]!;
    const key = claimCalcLockKey(id, DAY);
    const held = await locks.tryAcquire(key, { ttlMs: 5_000 });
    assert.ok(held);
    const metrics = createClaimsMetrics(new Registry());
    try {
      const result = await calculatePolicyDays(deps({ observer: metrics }), {
        date: DAY,
        policyIds: [id, ids[31]!],
        writtenBy: "wf/run-3",
        contentionRetries: 2,
      });
      assert.deepEqual(result.contendedIds, [id]);
      assert.equal(result.totals.contended, 1);
      assert.equal(result.totals.computed, 1);
      assert.deepEqual(result.problems.map((p) => [p.policyId, p.type]), [[id, "LockContended"]]);
      assert.match(result.problems[0]!.message, new RegExp(key));
      assert.equal((await ledger([id])).length, 0);
      assert.equal(
        await metricValue(metrics.registry, MetricNames.LOCK_CONTENTION),
        3,
        "three rounds refused",
      );
      assert.equal(
        await metricValue(metrics.registry, MetricNames.POLICY_DAYS, { status: "contended" }),
        1,
      );
      assert.equal(
        await metricValue(metrics.registry, MetricNames.POLICY_DAYS, { status: "computed" }),
        1,
      );
      assert.ok(
        await metricValue(metrics.registry, MetricNames.CLAIMS_WRITTEN, { action: "insert" }) >= 1,
      );
      assert.equal(
        await metricValue(metrics.registry, MetricNames.PROBLEMS, {
          status: "contended",
          type: "LockContended",
        }),
        1,
      );
      // Three rounds, each one chunk: its lock acquisition, and for the held day its write.
      assert.equal(await metricValue(metrics.registry, `${MetricNames.LOCK_ACQUISITION}_count`), 3);
      assert.equal(await metricValue(metrics.registry, `${MetricNames.CHUNK_DURATION}_count`), 3);
      assert.ok(await metricValue(metrics.registry, `${MetricNames.WRITE_TRANSACTION}_count`) >= 1);
    } finally {
      await held.release();
    }
  });

  test("a lease lost before the write: the day is not written by the loser", async () => {
    const id = ids[32]!;
    const key = claimCalcLockKey(id, DAY);
    const stealing: CalcStore = {
      ...store,
      async loadPolicyDays(date, policyIds) {
        const batch = await store.loadPolicyDays(date, policyIds);
        // Someone else's acquisition after an expiry: the key now holds another value.
        await redis.redis.set(key, "someone-else", "PX", 5_000);
        // The lease keeper notices at its next extension (every third of the TTL).
        await new Promise((r) => setTimeout(r, 1_000));
        return batch;
      },
    };
    const result = await calculatePolicyDays(deps({ store: stealing, lockTtlMs: 300 }), {
      date: DAY,
      policyIds: [id],
      writtenBy: "wf/run-4",
      contentionRetries: 0,
    });
    assert.equal(result.items[0]?.status, "contended");
    assert.equal(result.items[0]?.problem?.type, "LeaseLost");
    assert.equal((await ledger([id])).length, 0);
    assert.equal(
      await redis.redis.get(key),
      "someone-else",
      "the other holder's lock is untouched",
    );
    await redis.redis.del(key);
  });

  test("a policy changed between the read and the write: nothing written from the old one, computed again from the new one", async () => {
    const id = ids[34]!;
    const current = () =>
      database.sql<{ policy_id: string; inputs_hash: string }[]>`
        select policy_id, inputs_hash from calculation_ledger
        where claim_date = ${DAY} and policy_id = ${id}`;
    let reads = 0;
    const reimporting: CalcStore = {
      ...store,
      async loadPolicyDays(date, policyIds) {
        const batch = await store.loadPolicyDays(date, policyIds);
        // A re-import lands after the first read: the computed result is for the old policy.
        if (reads++ === 0) {
          await database.sql`update policies set sum_insured = sum_insured + 1 where id = ${id}`;
        }
        return batch;
      },
    };
    try {
      const result = await calculatePolicyDays(deps({ store: reimporting }), {
        date: DAY,
        policyIds: [id, ids[35]!],
        writtenBy: "wf/run-5",
        contentionRetries: 1,
      });
      assert.equal(reads, 2, "the chunk was read again in the next round");
      assert.equal(result.totals.computed, 2);
      assert.equal(result.totals.contended, 0);
      const fresh = (await store.loadPolicyDays(DAY, [id])).days[0]!;
      assert.equal(fresh.policy.sumInsured, data.policies[34]!.sumInsured + 1);
      const [row] = await current();
      assert.equal(row?.inputs_hash, inputsHash(fresh.policy, fresh.events));

      // Changed on every read: reported as contended with its cause once the rounds run out.
      const always: CalcStore = {
        ...store,
        async loadPolicyDays(date, policyIds) {
          const batch = await store.loadPolicyDays(date, policyIds);
          await database.sql`update policies set sum_insured = sum_insured + 1 where id = ${id}`;
          return batch;
        },
      };
      const before = await current();
      const refused = await calculatePolicyDays(deps({ store: always }), {
        date: DAY,
        policyIds: [id],
        writtenBy: "wf/run-6",
        contentionRetries: 1,
      });
      assert.deepEqual(refused.contendedIds, [id]);
      assert.equal(refused.items[0]?.problem?.type, "PolicyChanged");
      assert.match(refused.items[0]!.problem!.message, /changed after the calculation read it/);
      assert.deepEqual(await current(), before, "nothing written from a changed policy");
    } finally {
      await database.sql`update policies set sum_insured = ${data.policies[34]!.sumInsured}
        where id = ${id}`;
    }
  });

  test("unknown policies fail, policies not covering the date are skipped", async () => {
    const result = await calculatePolicyDays(deps(), {
      date: "2025-09-11",
      policyIds: [ids[33]!, "cc-ghost"],
      writtenBy: "manual",
    });
    const byId = new Map(result.items.map((i) => [i.policyId, i]));
    assert.equal(byId.get("cc-ghost")?.status, "failed");
    assert.equal(byId.get("cc-ghost")?.problem?.type, "PolicyNotFound");
    assert.equal(byId.get(ids[33]!)?.status, "skipped");
    assert.equal(byId.get(ids[33]!)?.problem?.type, "OutOfCoverage");
    assert.equal(result.totals.failed, 1);
    assert.equal(result.totals.skipped, 1);
  });

  test("every policy-day computed, some twice: the claims equal the whole-period calculation", async () => {
    const result = await calculatePolicyDays(deps(), {
      date: DAY,
      policyIds: ids,
      writtenBy: "manual",
      chunkSize: 7,
    });
    assert.equal(result.totals.policyDays, ids.length);
    assert.equal(
      result.totals.failed + result.totals.contended,
      0,
      JSON.stringify(result.problems),
    );
    assert.ok(
      result.totals.unchanged >= 20,
      "days computed before with the same inputs are unchanged",
    );
    const stored = await assertMatchesCalculator(database, data);
    assert.equal(result.totals.claims, stored.length);
  });
});
