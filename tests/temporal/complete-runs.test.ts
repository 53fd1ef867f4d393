/**
 * No policy-day left behind. A worker is SIGKILLed in the middle of a daily run and of a rerun
 * at once, while a second worker runs; nobody touches anything afterwards. The dead worker's
 * locks outlive every retry the batch makes on its own: the workflows retry those days until
 * the locks run out, and both runs end complete (every policy-day computed once more, the
 * ledger full, `verify` clean). Once with LOCK_TTL_MS 10 s (heartbeat 5 s), once with the
 * defaults (120 s, 30 s).
 *
 * And the other way a run ends: a lock held by a live holder past the deadline fails the run
 * loudly (PolicyDaysIncomplete), naming the count and the holder; a scheduled run that failed
 * so is retried by its schedule, with the claim date of its nominal time, and completes.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { Client, Connection } from "@temporalio/client";
import { Redis } from "ioredis";
import { loadConfig } from "../../src/config.ts";
import { createLockBackend } from "../../src/locks/factory.ts";
import { claimCalcLockKey } from "../../src/locks/keys.ts";
import { silentLogger } from "../../src/log.ts";
import { addDays } from "../../src/domain/calendar.ts";
import { startRerun } from "../../src/temporal/rerun.ts";
import {
  type DailyRunInput,
  type DailyRunSummary,
  INCOMPLETE_FAILURE_TYPE,
  type RerunSummary,
  WorkflowTypes,
} from "../../src/temporal/shared.ts";
import { verifyStore } from "../../src/verify/verify-store.ts";
import { useTestDatabase } from "../support/database.ts";
import { useTestRedis } from "../support/redis.ts";
import { useTemporal } from "../support/temporal.ts";
import { after, before, describe, test } from "../support/test.ts";
import {
  prebuiltWorkflowBundle,
  startInProcessWorker,
  workerPool,
  type WorkerProcess,
} from "../support/workers.ts";
import { makeDataSet, seedDataSet } from "./fixtures/claims-data.ts";

const database = useTestDatabase("temporal-complete-runs");
const redis = useTestRedis();
const temporal = useTemporal();

const POLICIES = 1_500;
const FROM = "2025-11-01";
const TO = "2025-11-04";
const data = makeDataSet({ prefix: "cx", policies: POLICIES, from: FROM, to: TO, seed: 11 });

const fanOut = {
  pageSize: 500,
  batchSize: 300,
  batchConcurrency: 2,
};

function env(taskQueue: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    // Small chunks: a batch holds a chunk's locks (and the next one's) nearly all the time.
    CLAIMS_CHUNK_SIZE: "25",
    ...extra,
  };
}

async function ledgerDays(date: string): Promise<number> {
  const [row] = await database.sql<{ n: number }[]>`
    select count(*)::int as n from calculation_ledger where claim_date = ${date}`;
  return row!.n;
}

/** Redis locks whose holder names the process (`host/pid/…`). */
async function locksHeldBy(pid: number): Promise<string[]> {
  const client = new Redis(redis.url);
  try {
    const keys = await client.keys("lock:claim_calc:*");
    const values = keys.length ? await client.mget(...keys) : [];
    return keys.filter((_, i) => (values[i] ?? "").includes(`/${pid}/`));
  } finally {
    client.disconnect();
  }
}

/** The failure a run ended with, from its history (a retried run has no result of its own). */
async function failureOf(
  handle: { fetchHistory(): Promise<{ events?: unknown[] | null }>; workflowId: string },
): Promise<{ type: string | undefined; message: string; details: unknown }> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const history = await handle.fetchHistory();
    const last = history.events?.at(-1) as {
      workflowExecutionFailedEventAttributes?: {
        failure?: {
          message?: string;
          applicationFailureInfo?: {
            type?: string;
            details?: { payloads?: { data?: Uint8Array }[] };
          };
        };
      };
    } | undefined;
    const failure = last?.workflowExecutionFailedEventAttributes?.failure;
    if (failure) {
      const data = failure.applicationFailureInfo?.details?.payloads?.[0]?.data;
      return {
        type: failure.applicationFailureInfo?.type,
        message: failure.message ?? "",
        details: data ? JSON.parse(new TextDecoder().decode(data)) : undefined,
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${handle.workflowId}: no failure in its history after 60 s`);
}

describe("runs complete after a worker crash, or fail loudly", () => {
  const pool = workerPool();
  let connection: Connection;
  let client: Client;

  before(async () => {
    await seedDataSet(database, data);
    connection = await Connection.connect({ address: temporal.address });
    client = new Client({ connection });
  });

  after(async () => {
    await connection?.close();
    await pool.stopAll();
  });

  async function crashMidRuns(
    label: string,
    dailyDate: string,
    rerunDate: string,
    settings: { lockTtlMs?: number; heartbeatTimeoutMs?: number },
  ): Promise<void> {
    const taskQueue = `complete-${label}-${process.pid}-${Date.now()}`;
    const extra: Record<string, string> = {};
    if (settings.lockTtlMs) extra["LOCK_TTL_MS"] = String(settings.lockTtlMs);
    if (settings.heartbeatTimeoutMs) {
      extra["CLAIMS_HEARTBEAT_TIMEOUT_MS"] = String(settings.heartbeatTimeoutMs);
    }
    const config = loadConfig(env(taskQueue, extra));
    const workflowBundle = await prebuiltWorkflowBundle();
    const workers: WorkerProcess[] = await Promise.all([
      pool.spawn({ name: `${label}-a`, env: env(taskQueue, extra), workflowBundle }),
      pool.spawn({ name: `${label}-b`, env: env(taskQueue, extra), workflowBundle }),
    ]);
    const timeouts = {
      heartbeatTimeoutMs: config.worker.heartbeatTimeoutMs,
      startToCloseTimeoutMs: 15 * 60_000,
    };
    const daily = await client.workflow.start(WorkflowTypes.dailyRun, {
      taskQueue,
      workflowId: `complete-daily-${label}-${process.pid}`,
      args: [{ ...fanOut, timeouts, claimDate: dailyDate } satisfies DailyRunInput],
    });
    const rerun = await startRerun(client, config, {
      from: rerunDate,
      to: rerunDate,
      policyIds: null,
    }, { ...fanOut, timeouts });

    // Mid-run: the first batch of the daily run has heartbeated a checkpoint, so the worker
    // running it holds locks of the chunk it works on. Kill that worker.
    let victim: WorkerProcess | undefined;
    const deadline = Date.now() + 120_000;
    while (!victim) {
      assert.ok(Date.now() < deadline, "no daily-run batch in progress after 120 s");
      const pending = (await daily.describe()).raw.pendingActivities ?? [];
      const batch = pending.find((a) =>
        a.activityType?.name === "calculatePolicyBatch" && a.heartbeatDetails?.payloads?.length
      );
      if (batch) victim = workers.find((w) => batch.lastWorkerIdentity?.endsWith(`/${w.pid}`));
      if (!victim) await new Promise((r) => setTimeout(r, 50));
    }
    await victim.kill();
    const orphaned = await locksHeldBy(victim.pid);
    assert.ok(orphaned.length > 0, "the dead worker left locks behind, which block the retry");
    const done = await ledgerDays(dailyDate);
    assert.ok(done < POLICIES, `killed mid-run (${done} of ${POLICIES} days done)`);

    const [dailySummary, rerunSummary] = await Promise.all([
      daily.result() as Promise<DailyRunSummary>,
      client.workflow.getHandle(rerun.workflowId).result() as Promise<RerunSummary>,
    ]);
    for (
      const [what, totals, problems] of [
        ["daily run", dailySummary.totals, dailySummary.problems],
        ["rerun", rerunSummary.totals, rerunSummary.problems],
      ] as const
    ) {
      assert.equal(totals.policyDays, POLICIES, `${what}: every policy-day counted once`);
      assert.equal(totals.contended + totals.failed, 0, `${what}: ${JSON.stringify(problems)}`);
      assert.equal(totals.computed + totals.unchanged + totals.stale, POLICIES);
    }
    assert.equal(await ledgerDays(dailyDate), POLICIES);
    assert.equal(await ledgerDays(rerunDate), POLICIES);
    for (const key of orphaned) {
      assert.ok(!(await locksHeldBy(victim.pid)).includes(key), `${key} ran out`);
    }
    const range = dailyDate < rerunDate
      ? { from: dailyDate, to: rerunDate }
      : { from: rerunDate, to: dailyDate };
    const verified = await verifyStore(database.sql, { range });
    assert.ok(verified.ok, JSON.stringify(verified.listed.slice(0, 5)));
  }

  test("SIGKILL mid-daily-run and mid-rerun at LOCK_TTL_MS 10 s: both complete on their own", {
    timeout: 240_000,
  }, async () => {
    await crashMidRuns("ttl10", FROM, addDays(FROM, 1), {
      lockTtlMs: 10_000,
      heartbeatTimeoutMs: 5_000,
    });
  });

  test(
    "SIGKILL mid-daily-run and mid-rerun at the default TTL (120 s): both complete on their own",
    {
      timeout: 420_000,
    },
    async () => {
      await crashMidRuns("default", addDays(FROM, 2), addDays(FROM, 3), {});
    },
  );

  test("a lock held past the deadline fails the run loudly; its schedule retries it to completion", async () => {
    const taskQueue = `complete-deadline-${process.pid}-${Date.now()}`;
    // A book covering yesterday (UTC): a triggered scheduled run computes that claim date.
    const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);
    const book = makeDataSet({ prefix: "cy", policies: 30, from: yesterday, to: yesterday });
    await seedDataSet(database, book);
    const config = loadConfig(env(taskQueue));
    const worker = await startInProcessWorker({
      config,
      log: silentLogger,
      workflowBundlePath: await prebuiltWorkflowBundle(),
    });
    const locks = createLockBackend(config);
    const victimId = book.policies[7]!.id;
    const held = await locks.tryAcquire(claimCalcLockKey(victimId, yesterday), {
      ttlMs: 120_000,
      holder: "host-y/777/another-run/1",
    });
    assert.ok(held);
    const scheduleId = `complete-deadline-${process.pid}`;
    try {
      // The product's schedule action, with a short deadline and quick retries for the test.
      const schedule = await client.schedule.create({
        scheduleId,
        spec: { calendars: [{ hour: 13, minute: 0 }] },
        action: {
          type: "startWorkflow",
          workflowType: WorkflowTypes.dailyRun,
          workflowId: scheduleId,
          taskQueue,
          args: [{ ...fanOut, contentionDeadlineMs: 3_000 } satisfies DailyRunInput],
          retry: { initialInterval: "2 seconds", backoffCoefficient: 1, maximumAttempts: 2 },
        },
        state: { paused: true },
      });
      await schedule.trigger();
      let runId: string | undefined;
      const wait = Date.now() + 60_000;
      while (!runId) {
        assert.ok(Date.now() < wait, "the triggered run never started");
        runId = (await schedule.describe()).info.recentActions.at(-1)?.action.workflow
          .firstExecutionRunId;
        if (!runId) await new Promise((r) => setTimeout(r, 100));
      }
      const workflowId = (await schedule.describe()).info.recentActions.at(-1)!.action.workflow
        .workflowId;
      // The first attempt: the held day is retried until the deadline, then the run fails
      // (and the schedule's retry policy starts the next attempt: read the first from history).
      const first = client.workflow.getHandle(workflowId, runId, { followRuns: false });
      const failure = await failureOf(first);
      assert.equal(failure.type, INCOMPLETE_FAILURE_TYPE);
      assert.match(
        failure.message,
        new RegExp(`daily run of ${yesterday} left 1 of 30 policy-days`),
      );
      assert.match(failure.message, /host-y\/777\/another-run\/1/);
      const summary = failure.details as DailyRunSummary;
      assert.equal(summary.totals.contended, 1);
      assert.equal(summary.totals.computed, 29);
      // The other holder finishes; the schedule's retry of the run completes the date.
      await held.release();
      const final = await client.workflow.getHandle(workflowId).result() as DailyRunSummary;
      assert.equal(final.claimDate, yesterday, "the retried run keeps its nominal time's date");
      assert.equal(final.totals.contended + final.totals.failed, 0);
      assert.equal(await ledgerDays(yesterday), 30);
    } finally {
      await client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
      await locks.close();
      await worker.stop();
    }
  });
});
