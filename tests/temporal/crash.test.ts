/**
 * A worker process killed with SIGKILL in the middle of a batch: after one heartbeat timeout
 * Temporal gives the batch to another worker, which resumes after the last checkpoint the dead
 * one heartbeated. The final state is complete and correct, and nothing is duplicated.
 *
 * "In the middle" is made deterministic, not a race against the clock: the test holds a row
 * lock on one policy, so the batch writes every chunk before that policy's and then waits on
 * it, heartbeating its checkpoint, until the worker is killed.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { Client, Connection } from "@temporalio/client";
import { loadConfig } from "../../src/config.ts";
import { startRerun } from "../../src/temporal/rerun.ts";
import type { RerunSummary } from "../../src/temporal/shared.ts";
import { useTestDatabase } from "../support/database.ts";
import { useTestRedis } from "../support/redis.ts";
import { useTemporal } from "../support/temporal.ts";
import { after, before, describe, test } from "../support/test.ts";
import { prebuiltWorkflowBundle, workerPool } from "../support/workers.ts";
import { assertMatchesCalculator, makeDataSet, seedDataSet } from "./fixtures/claims-data.ts";

const database = useTestDatabase("temporal-crash");
const redis = useTestRedis();
const temporal = useTemporal();

const DAY = "2025-07-15";
const POLICIES = 400;
const CHUNK = 10;
/** The batch stalls on the chunk that starts here (a row lock held by the test). */
const STALL_AT = 300;
// One-day coverage: the whole-period calculation is exactly what the rerun of DAY computes.
const data = makeDataSet({
  prefix: "cr",
  policies: POLICIES,
  from: DAY,
  to: DAY,
  eventsPerDay: 4,
  seed: 5,
});
const taskQueue = `crash-${process.pid}-${Date.now()}`;

function env(): Record<string, string> {
  return {
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    CLAIMS_CHUNK_SIZE: String(CHUNK),
    // A short lease: the dead worker's locks free themselves quickly (as a crashed holder's must).
    LOCK_TTL_MS: "3000",
  };
}

async function ledger(): Promise<{ days: number; computations: number }> {
  const [row] = await database.sql<{ days: number; computations: number }[]>`
    select count(*)::int as days, coalesce(sum(computations), 0)::int as computations
    from calculation_ledger where claim_date = ${DAY}`;
  return row ?? { days: 0, computations: 0 };
}

describe("a worker killed in the middle of a batch", () => {
  const pool = workerPool();
  let connection: Connection;

  before(async () => {
    await seedDataSet(database, data);
    connection = await Connection.connect({ address: temporal.address });
  });

  after(async () => {
    await connection?.close();
    await pool.stopAll();
  });

  test("SIGKILL mid-batch: another worker resumes after the last checkpoint; correct, no duplicates", async () => {
    const workflowBundle = await prebuiltWorkflowBundle();
    const workers = await Promise.all([
      pool.spawn({ name: "worker-a", env: env(), workflowBundle }),
      pool.spawn({ name: "worker-b", env: env(), workflowBundle }),
    ]);

    const stallId = [...data.policies.map((p) => p.id)].sort()[STALL_AT]!;
    let unblock!: () => void;
    const unblocked = new Promise<void>((resolve) => (unblock = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holding = database.sql.begin(async (tx) => {
      await tx`select id from policies where id = ${stallId} for update`;
      locked();
      await unblocked;
    });
    await isLocked;

    const client = new Client({ connection });
    const started = await startRerun(client, loadConfig(env()), {
      from: DAY,
      to: DAY,
      policyIds: null,
    }, {
      // One batch of every policy, so the kill lands inside it.
      batchSize: POLICIES,
      batchConcurrency: 1,
      pageSize: POLICIES,
      timeouts: { heartbeatTimeoutMs: 2_000, startToCloseTimeoutMs: 120_000 },
    });
    const handle = client.workflow.getHandle(started.workflowId);

    // Wait until the server holds the checkpoint of every chunk before the stall, then kill the
    // worker running the batch (the pending activity names it).
    const deadline = Date.now() + 60_000;
    let victim: (typeof workers)[number] | undefined;
    let done = 0;
    while (!victim) {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      const batch = pending.find((a) => a.activityType?.name === "calculatePolicyBatch");
      const payload = batch?.heartbeatDetails?.payloads?.[0]?.data;
      const details = payload
        ? JSON.parse(new TextDecoder().decode(payload)) as { checkpoint?: { done?: number } }
        : undefined;
      done = details?.checkpoint?.done ?? 0;
      if (batch && done >= STALL_AT) {
        victim = workers.find((w) => batch.lastWorkerIdentity?.endsWith(`/${w.pid}`));
        assert.ok(victim, `the batch runs on a worker of this test (${batch.lastWorkerIdentity})`);
        await victim.kill();
      } else {
        assert.ok(Date.now() < deadline, `no checkpoint at ${STALL_AT} after 60 s (${done} done)`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.equal(done, STALL_AT, "the batch stalled where the test holds the row lock");
    assert.deepEqual(await ledger(), { days: STALL_AT, computations: STALL_AT });
    unblock();
    await holding;

    const survivor = workers.find((w) => w !== victim)!;
    const summary = await handle.result() as RerunSummary;
    assert.equal(summary.totals.policyDays, POLICIES);
    assert.equal(summary.totals.computed, POLICIES, "every policy-day computed exactly once");
    assert.equal(
      summary.totals.failed + summary.totals.contended,
      0,
      JSON.stringify(summary.problems),
    );

    const resumed = survivor.logs().find((l) =>
      l["msg"] === "batch resumes from its last checkpoint"
    );
    assert.ok(resumed, "the survivor resumed from the dead worker's heartbeat details");
    assert.equal(resumed["done"], STALL_AT);
    assert.deepEqual(
      await ledger(),
      { days: POLICIES, computations: POLICIES },
      "nothing before the checkpoint was computed again",
    );
    await assertMatchesCalculator(database, data);
  });
});
