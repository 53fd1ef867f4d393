/**
 * The per policy-day workflow on a real Temporal dev server, PostgreSQL and Redis, with an
 * in-process worker whose storage port can fail or hold a write (the faults under test).
 */
import assert from "node:assert/strict";
import process from "node:process";
import { Client, Connection } from "@temporalio/client";
import { createCalcStore } from "../../src/calc/store-adapter.ts";
import type { CalcStore } from "../../src/calc/ports.ts";
import { type Config, loadConfig } from "../../src/config.ts";
import { allocateCaps, calculateDayCandidates, toClaim } from "../../src/domain/calculate.ts";
import type { RiskEvent } from "../../src/domain/schemas.ts";
import { createLockBackend } from "../../src/locks/factory.ts";
import type { LockBackend } from "../../src/locks/contract.ts";
import { silentLogger } from "../../src/log.ts";
import { upsertEvents } from "../../src/store/events.ts";
import { storageError } from "../../src/store/storage-errors.ts";
import { recalculatePolicyDays, startPolicyDay } from "../../src/temporal/recalculate.ts";
import { startRerun } from "../../src/temporal/rerun.ts";
import {
  type PolicyDaySummary,
  type RerunInput,
  type RerunSummary,
  WorkflowTypes,
} from "../../src/temporal/shared.ts";
import { useTestDatabase } from "../support/database.ts";
import { useTestRedis } from "../support/redis.ts";
import { useTemporal } from "../support/temporal.ts";
import { after, before, describe, test } from "../support/test.ts";
import { type InProcessWorker, startInProcessWorker } from "../support/workers.ts";
import {
  assertMatchesCalculator,
  type DataSet,
  makeDataSet,
  seedDataSet,
  storedClaims,
} from "./fixtures/claims-data.ts";

let worker: InProcessWorker | undefined;
let connection: Connection | undefined;
let locks: LockBackend | undefined;

const database = useTestDatabase("temporal-policy-day");
const redis = useTestRedis();
const temporal = useTemporal();

const data: DataSet = makeDataSet({
  prefix: "pd",
  policies: 6,
  from: "2025-03-01",
  to: "2025-03-10",
  eventsPerDay: 3,
});
const DAY = "2025-03-04";

/** The faults the storage port of the worker shows, set per test. */
const faults = {
  /** Writes that fail with a transient database error before reaching the database. */
  failWrites: 0,
  failed: 0,
  /** Writes of this policy wait for `release` (a computation caught in the middle). */
  hold: null as null | { policyId: string; reached: () => void; release: Promise<void> },
};

function faultyStore(base: CalcStore): CalcStore {
  return {
    ...base,
    async writePolicyDays(writes, options) {
      if (faults.failWrites > 0) {
        faults.failWrites--;
        faults.failed++;
        throw storageError(
          `writing ${writes.length} policy-days`,
          Object.assign(
            new Error("injected: terminating connection due to administrator command"),
            {
              code: "57P01",
            },
          ),
        );
      }
      const hold = faults.hold;
      if (hold && writes.some((w) => w.policyId === hold.policyId)) {
        faults.hold = null;
        hold.reached();
        await hold.release;
      }
      return await base.writePolicyDays(writes, options);
    },
  };
}

let client: Client;
let config: Config;
const taskQueue = `policy-day-${process.pid}-${Date.now()}`;

// Node 20 runs root-level before hooks concurrently: the fixtures above are only ready inside
// a suite, whose hooks run after the root ones (and whose after hooks run before theirs).
describe("policy-day workflow", () => {
  before(async () => {
    config = loadConfig({
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      METRICS_PORT: "0",
    });
    await seedDataSet(database, data);
    locks = createLockBackend(config);
    worker = await startInProcessWorker({
      config,
      log: silentLogger,
      deps: {
        store: faultyStore(createCalcStore(database.db)),
        locks,
        config: { lockTtlMs: 10_000, chunkSize: 50, contentionBackoffMs: 20 },
      },
    });
    connection = await Connection.connect({ address: temporal.address });
    client = new Client({ connection });
  });

  after(async () => {
    await worker?.stop();
    await locks?.close();
    await connection?.close();
  });

  async function ledgerRow(policyId: string, claimDate: string) {
    const [row] = await database.sql<
      { computations: number; fence_token: bigint; written_by: string }[]
    >`
    select computations, fence_token, written_by from calculation_ledger
    where policy_id = ${policyId} and claim_date = ${claimDate}`;
    return row;
  }

  /** The claims of one day computed alone (no earlier day stored): the whole cap is left. */
  function aloneDayClaims(policyId: string, claimDate: string, events: readonly RiskEvent[]) {
    const policy = data.policies.find((p) => p.id === policyId)!;
    return allocateCaps(policy, calculateDayCandidates(policy, claimDate, events))
      .map(toClaim)
      .map((c) => ({ ...c, eventIds: [...c.eventIds].sort() }))
      .sort((a, b) => (a.claimKey < b.claimKey ? -1 : a.claimKey > b.claimKey ? 1 : 0));
  }

  test("five starts of one policy-day at once attach to one run and write one claim set", async () => {
    const policyId = data.policies[0]!.id;
    const starts = await Promise.all(
      Array.from({ length: 5 }, () => startPolicyDay(client, config, { policyId, claimDate: DAY })),
    );
    assert.equal(new Set(starts.map((s) => s.runId)).size, 1, "all five attached to one run");
    const result = await client.workflow.getHandle(starts[0]!.workflowId)
      .result() as PolicyDaySummary;
    assert.equal(result.status, "computed");
    assert.equal(result.computations, 1);
    const row = await ledgerRow(policyId, DAY);
    assert.equal(row?.computations, 1);
    // No other day of the policy is stored: DAY's claims are allocated as if alone.
    const stored = await storedClaims(database, [policyId]);
    assert.ok(stored.length > 0, "the day has claims");
    assert.deepEqual(stored, aloneDayClaims(policyId, DAY, data.events));
  });

  test("five different reruns of the same policy-day at once: locks serialise them, one claim set", async () => {
    const policyId = data.policies[1]!.id;
    const input: RerunInput = {
      from: DAY,
      to: DAY,
      policyIds: [policyId],
      batchSize: 10,
      batchConcurrency: 1,
      pageSize: 10,
    };
    const handles = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        client.workflow.start(WorkflowTypes.rerun, {
          taskQueue,
          workflowId: `rerun-same-day-${i}-${taskQueue}`,
          args: [input],
        })),
    );
    const results = await Promise.all(handles.map((h) => h.result() as Promise<RerunSummary>));
    for (const r of results) {
      assert.equal(r.totals.policyDays, 1);
      assert.equal(r.totals.failed, 0);
      assert.equal(r.totals.contended, 0, "contention was retried until each got its turn");
    }
    const row = await ledgerRow(policyId, DAY);
    assert.equal(row?.computations, 5, "each rerun computed the day once, one after the other");
    const statuses = results.map((r) => r.totals.computed + r.totals.unchanged + r.totals.stale);
    assert.deepEqual(statuses, [1, 1, 1, 1, 1]);
    assert.equal(
      results.reduce((n, r) => n + r.totals.computed, 0),
      1,
      "the first wrote, the rest found it unchanged",
    );
    const stored = await storedClaims(database, [policyId]);
    assert.ok(stored.length > 0, "the day has claims");
    assert.deepEqual(stored, aloneDayClaims(policyId, DAY, data.events));
  });

  test("a failed first attempt (injected database error) is retried by Temporal and succeeds once", async () => {
    const policyId = data.policies[2]!.id;
    faults.failWrites = 1;
    faults.failed = 0;
    const started = await startPolicyDay(client, config, { policyId, claimDate: DAY });
    const handle = client.workflow.getHandle(started.workflowId);
    const result = await handle.result() as PolicyDaySummary;
    assert.equal(faults.failed, 1, "the fault fired");
    assert.equal(result.status, "computed");
    const history = await handle.fetchHistory();
    const startedEvents = (history.events ?? []).filter((e) =>
      e.activityTaskStartedEventAttributes
    );
    assert.equal(startedEvents.at(-1)?.activityTaskStartedEventAttributes?.attempt, 2);
    const row = await ledgerRow(policyId, DAY);
    assert.equal(row?.computations, 1, "the failed attempt wrote nothing");
    const stored = await storedClaims(database, [policyId]);
    assert.ok(stored.length > 0);
    assert.deepEqual(stored, aloneDayClaims(policyId, DAY, data.events));
  });

  test("late data: a recalculation while a run computes makes it compute once more", async () => {
    const policy = data.policies[3]!;
    let reached!: () => void;
    const isReached = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    faults.hold = { policyId: policy.id, reached, release: new Promise((r) => (release = r)) };

    const late: RiskEvent = {
      id: "pd-late-1",
      region: policy.region,
      tier: "tier3",
      // Noon of DAY on the policy's own clock (Pacific/Auckland, +13:00 in March).
      observedAt: `${DAY}T12:00:00+13:00`,
      status: "active",
    };
    try {
      const first = await recalculatePolicyDays(client, config, [{
        policyId: policy.id,
        claimDate: DAY,
      }]);
      assert.deepEqual(first, { started: 1, attached: 0, batchWorkflowIds: [] });
      await isReached; // the computation has read its events and waits to write

      await upsertEvents(database.db, [late]);
      data.events.push(late); // the data set mirrors the database for the tests after this one
      const second = await recalculatePolicyDays(client, config, [
        { policyId: policy.id, claimDate: DAY },
        { policyId: policy.id, claimDate: DAY }, // duplicates collapse
      ]);
      assert.deepEqual(second, { started: 0, attached: 1, batchWorkflowIds: [] });
    } finally {
      release(); // also when an assertion failed: a held activity would block shutdown
    }

    const handle = client.workflow.getHandle(`claim-calc:${policy.id}:${DAY}`);
    const result = await handle.result() as PolicyDaySummary;
    assert.equal(result.computations, 2, "the open run computed once more");
    const stored = await storedClaims(database, [policy.id]);
    assert.ok(
      stored.some((c) => c.eventIds.includes(late.id)),
      "the late event is in the stored claims",
    );
    assert.deepEqual(stored, aloneDayClaims(policy.id, DAY, data.events));
    const row = await ledgerRow(policy.id, DAY);
    assert.equal(row?.computations, 2);
  });

  test("bad input fails the workflow at once with a message naming the field", async () => {
    const handle = await client.workflow.start(WorkflowTypes.policyDay, {
      taskQueue,
      workflowId: `bad-input-${taskQueue}`,
      args: [{ policyId: "no:colons", claimDate: "2025-02-30" }],
    });
    await assert.rejects(handle.result(), (error: Error) => {
      const cause = (error.cause as { cause?: { type?: string; message?: string } })?.cause;
      assert.equal(cause?.type, "InvalidInput");
      assert.match(cause?.message ?? "", /input\.policyId/);
      assert.match(cause?.message ?? "", /input\.claimDate/);
      return true;
    });
    const unknown = await client.workflow.start(WorkflowTypes.policyDay, {
      taskQueue,
      workflowId: `unknown-policy-${taskQueue}`,
      args: [{ policyId: "no-such-policy", claimDate: DAY }],
    });
    await assert.rejects(unknown.result(), (error: Error) => {
      const cause = (error.cause as { cause?: { type?: string; message?: string } })?.cause;
      assert.equal(cause?.type, "PolicyNotFound");
      assert.match(cause?.message ?? "", /no-such-policy/);
      return true;
    });
  });

  test("a rerun of every day of two policies ends equal to the whole-period calculation", async () => {
    const ids = [data.policies[4]!.id, data.policies[5]!.id];
    const started = await startRerun(client, config, {
      from: "2025-03-01",
      to: "2025-03-10",
      policyIds: ids,
    }, {
      batchSize: 2,
      batchConcurrency: 2,
      pageSize: 2,
    });
    const summary = await client.workflow.getHandle(started.workflowId).result() as RerunSummary;
    assert.equal(summary.totals.policyDays, 20);
    assert.equal(summary.totals.failed + summary.totals.contended, 0);
    await assertMatchesCalculator(database, data, ids);
  });
});
