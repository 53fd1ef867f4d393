/**
 * The daily run over more policies than one small history holds: with a tiny page size and
 * history limit it continues as new several times, carrying its cursor and totals, and still
 * computes every policy-day once with correct totals. Progress is queryable while it runs.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { Client, Connection } from "@temporalio/client";
import { Worker } from "@temporalio/worker";
import { loadConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/log.ts";
import {
  type DailyRunInput,
  type DailyRunProgress,
  dailyRunProgressQuery,
  type DailyRunSummary,
  WorkflowTypes,
} from "../../src/temporal/shared.ts";
import { useTestDatabase } from "../support/database.ts";
import { useTestRedis } from "../support/redis.ts";
import { useTemporal } from "../support/temporal.ts";
import { after, before, describe, test } from "../support/test.ts";
import {
  type InProcessWorker,
  prebuiltWorkflowBundle,
  startInProcessWorker,
} from "../support/workers.ts";
import {
  assertMatchesCalculator,
  makeDataSet,
  seedDataSet,
  storedClaims,
} from "./fixtures/claims-data.ts";

const database = useTestDatabase("temporal-daily-run");
const redis = useTestRedis();
const temporal = useTemporal();

const DAY = "2025-08-20";
const POLICIES = 150;
const data = makeDataSet({
  prefix: "dr",
  policies: POLICIES,
  from: DAY,
  to: DAY,
  eventsPerDay: 3,
  seed: 9,
});
const taskQueue = `daily-run-${process.pid}-${Date.now()}`;

describe("the daily run", () => {
  let worker: InProcessWorker | undefined;
  let connection: Connection;
  let client: Client;

  before(async () => {
    await seedDataSet(database, data);
    // Policies that do not cover DAY: the run must not touch them.
    await seedDataSet(
      database,
      makeDataSet({ prefix: "dx", policies: 7, from: "2025-08-21", to: "2025-08-30" }),
    );
    const config = loadConfig({
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      CLAIMS_CHUNK_SIZE: "4",
      METRICS_PORT: "0",
    });
    worker = await startInProcessWorker({
      config,
      log: silentLogger,
      workflowBundlePath: await prebuiltWorkflowBundle(),
    });
    connection = await Connection.connect({ address: temporal.address });
    client = new Client({ connection });
  });

  after(async () => {
    await worker?.stop();
    await connection?.close();
  });

  test("continues as new with cursor and totals; every policy-day once; totals correct", async () => {
    const input: DailyRunInput = {
      claimDate: DAY,
      pageSize: 10,
      batchSize: 4,
      batchConcurrency: 2,
      historyEventsLimit: 60,
    };
    const handle = await client.workflow.start(WorkflowTypes.dailyRun, {
      taskQueue,
      workflowId: `daily-run-${taskQueue}`,
      args: [input],
    });
    const seen: DailyRunProgress[] = [];
    let finished = false;
    const polling = (async () => {
      while (!finished) {
        try {
          seen.push(await handle.query(dailyRunProgressQuery));
        } catch {
          // between runs of the chain, or already closed
        }
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    const summary = await handle.result() as DailyRunSummary;
    finished = true;
    await polling;

    assert.equal(summary.claimDate, DAY);
    assert.equal(summary.nominalTime, null, "a manual start names its date");
    assert.ok(summary.continuedAsNew >= 2, `continued as new ${summary.continuedAsNew} times`);
    assert.equal(summary.totals.policyDays, POLICIES);
    assert.equal(summary.totals.computed, POLICIES);
    assert.equal(summary.totals.failed + summary.totals.contended + summary.totals.skipped, 0);

    const stored = await assertMatchesCalculator(database, data);
    assert.equal(summary.totals.claims, stored.length);
    assert.equal(summary.totals.cappedClaims, stored.filter((c) => c.capped).length);
    // Every policy of the book pays in EUR: one currency, summed exactly, never mixed.
    assert.deepEqual(summary.totals.payouts, {
      EUR: stored.reduce((sum, c) => sum + BigInt(c.payoutAmount), 0n).toString(),
    });
    const [ledger] = await database.sql<{ days: number; once: number }[]>`
      select count(*)::int as days, count(*) filter (where computations = 1)::int as once
      from calculation_ledger`;
    assert.deepEqual(ledger, { days: POLICIES, once: POLICIES }, "each policy-day computed once");
    assert.deepEqual(await storedClaims(database, ["dx-P0000", "dx-P0001"]), []);

    assert.ok(seen.length > 0, "progress answered while the run was going");
    for (const p of seen) {
      assert.equal(p.claimDate, DAY);
      assert.ok(p.totals.policyDays <= POLICIES);
    }
    const last = await client.workflow.getHandle(handle.workflowId).fetchHistory();
    assert.ok(
      (last.events ?? []).length <= 120,
      "the last run of the chain kept a short history",
    );

    // Determinism: the first run (fresh start) and the last (carried state) replay cleanly.
    const first = await client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId)
      .fetchHistory();
    const workflowBundle = { codePath: await prebuiltWorkflowBundle() };
    await Worker.runReplayHistory({ workflowBundle }, first);
    await Worker.runReplayHistory({ workflowBundle }, last);

    // Pipelined pages: the second page is listed while the first page's batches still run; pages
    // are local activities (markers in the history), never queued activity tasks.
    const events = first.events ?? [];
    const scheduled = events.flatMap((e) => {
      const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
      return name ? [name] : [];
    });
    assert.ok(scheduled.length > 0 && scheduled.every((name) => name === "calculatePolicyBatch"));
    const firstDone = events.findIndex((e) => e.activityTaskCompletedEventAttributes);
    const pagesBefore = events.slice(0, firstDone).filter((e) =>
      e.markerRecordedEventAttributes?.markerName === "core_local_activity"
    );
    assert.ok(pagesBefore.length >= 2, "the next page was listed before the first batch finished");
  });

  test("a run that is neither scheduled nor given a date fails, naming claimDate", async () => {
    const handle = await client.workflow.start(WorkflowTypes.dailyRun, {
      taskQueue,
      workflowId: `daily-run-no-date-${taskQueue}`,
      args: [{ pageSize: 10, batchSize: 4, batchConcurrency: 2 } satisfies DailyRunInput],
    });
    await assert.rejects(handle.result(), (error: Error) => {
      const cause = error.cause as { type?: string; message?: string } | undefined;
      assert.equal(cause?.type, "InvalidInput");
      assert.match(cause?.message ?? "", /^claimDate: /);
      return true;
    });
  });
});
