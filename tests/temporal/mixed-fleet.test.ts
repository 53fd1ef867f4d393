/**
 * A mixed fleet: a Node worker and a Deno worker (`claims worker` on each runtime) poll the
 * same task queue during a rerun of 300 policy-days. Temporal hands work to both, the stored
 * state is exactly the whole-period calculation, and `claims verify` finds nothing off. Which
 * worker ran what is read from Temporal's own record: the identity in each ActivityTaskStarted
 * and WorkflowTaskStarted event of the rerun's history (every run of its continue-as-new chain).
 */
import assert from "node:assert/strict";
import process from "node:process";
import { Client, Connection, type WorkflowHandle } from "@temporalio/client";
import type { RerunSummary } from "../../src/temporal/shared.ts";
import { runClaims } from "../integration/ops/support/cli.ts";
import { useTestDatabase } from "../support/database.ts";
import { useTestRedis } from "../support/redis.ts";
import { useTemporal } from "../support/temporal.ts";
import { after, before, describe, test } from "../support/test.ts";
import { prebuiltWorkflowBundle, workerPool, type WorkerProcess } from "../support/workers.ts";
import { assertMatchesCalculator, makeDataSet, seedDataSet } from "./fixtures/claims-data.ts";

const database = useTestDatabase("temporal-mixed-fleet");
const redis = useTestRedis();
const temporal = useTemporal();

const FROM = "2025-07-01";
const TO = "2025-07-06";
const POLICIES = 50;
const data = makeDataSet({
  prefix: "mf",
  policies: POLICIES,
  from: FROM,
  to: TO,
  eventsPerDay: 4,
  seed: 23,
});
const taskQueue = `mixed-fleet-${process.pid}-${Date.now()}`;

function env(): Record<string, string> {
  return {
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    // Many small batches, few at a time per worker: neither worker can take all the work.
    CLAIMS_BATCH_SIZE: "5",
    CLAIMS_BATCH_CONCURRENCY: "4",
    CLAIMS_PAGE_SIZE: "20",
    CLAIMS_CHUNK_SIZE: "5",
    WORKER_MAX_CONCURRENT_ACTIVITIES: "2",
    METRICS_PORT: "0",
  };
}

const claims = (argv: string[]) => runClaims(argv, env());

/** Identities of the workers that started the activity and workflow tasks of every run. */
async function taskIdentities(client: Client, workflowId: string) {
  const activities = new Map<string, number>();
  const workflowTasks = new Map<string, number>();
  const count = (map: Map<string, number>, identity: string | null | undefined) =>
    map.set(identity ?? "?", (map.get(identity ?? "?") ?? 0) + 1);
  const described = await client.workflow.getHandle(workflowId).describe();
  let runId: string | undefined = described.raw.workflowExecutionInfo?.firstRunId || undefined;
  assert.ok(runId, `${workflowId}: its first run id`);
  let runs = 0;
  while (runId) {
    runs++;
    const history: Awaited<ReturnType<WorkflowHandle["fetchHistory"]>> = await client.workflow
      .getHandle(workflowId, runId).fetchHistory();
    runId = undefined;
    for (const event of history.events ?? []) {
      if (event.activityTaskStartedEventAttributes) {
        count(activities, event.activityTaskStartedEventAttributes.identity);
      }
      if (event.workflowTaskStartedEventAttributes) {
        count(workflowTasks, event.workflowTaskStartedEventAttributes.identity);
      }
      const next: string | null | undefined = event.workflowExecutionContinuedAsNewEventAttributes
        ?.newExecutionRunId;
      if (next) runId = next;
    }
  }
  return { activities, workflowTasks, runs };
}

const identityOf = (w: WorkerProcess) =>
  String(w.logs().find((l) => l["msg"] === "worker running")?.["identity"]);

describe("a mixed fleet: a Node worker and a Deno worker on one task queue", () => {
  const pool = workerPool();
  let connection: Connection;
  let client: Client;

  before(async () => {
    await seedDataSet(database, data);
    const workflowBundle = await prebuiltWorkflowBundle();
    await Promise.all([
      pool.spawn({ name: "node-worker", env: env(), workflowBundle, runtime: "node" }),
      pool.spawn({ name: "deno-worker", env: env(), workflowBundle, runtime: "deno" }),
    ]);
    connection = await Connection.connect({ address: temporal.address });
    client = new Client({ connection });
  });

  after(async () => {
    await connection?.close();
    await pool.stopAll();
  });

  test("a rerun of 300 policy-days: both workers compute, the state is exact, verify passes", async () => {
    const rerun = await claims(["rerun", "--all", "--from", FROM, "--to", TO, "--json"]);
    assert.equal(rerun.code, 0, rerun.stderr);
    const summary = JSON.parse(rerun.stdout) as RerunSummary;
    assert.equal(summary.totals.policyDays, POLICIES * 6, JSON.stringify(summary.totals));
    assert.equal(summary.totals.failed + summary.totals.contended, 0, rerun.stdout);

    await assertMatchesCalculator(database, data);
    const [ledger] = await database.sql<{ days: number }[]>`
      select count(*)::int as days from calculation_ledger`;
    assert.equal(ledger?.days, POLICIES * 6, "every policy-day has its ledger row");

    const verify = await claims(["verify", "--json"]);
    assert.equal(verify.code, 0, `claims verify: ${verify.stdout}${verify.stderr}`);

    const nodeWorker = pool.all().find((w) => w.runtime === "node");
    const denoWorker = pool.all().find((w) => w.runtime === "deno");
    assert.ok(nodeWorker && denoWorker, "one worker on each runtime");
    assert.ok(summary.workflowId, "the summary names the rerun's workflow");
    const seen = await taskIdentities(client, summary.workflowId);
    const activitiesOf = (w: WorkerProcess) => seen.activities.get(identityOf(w)) ?? 0;
    const total = [...seen.activities.values()].reduce((a, b) => a + b, 0);
    const detail = JSON.stringify({
      activities: Object.fromEntries(seen.activities),
      workflowTasks: Object.fromEntries(seen.workflowTasks),
      runs: seen.runs,
    });
    assert.ok(total >= 60, `one activity per batch of 5 policy-days: ${detail}`);
    assert.ok(activitiesOf(nodeWorker) > 0, `the Node worker calculated batches: ${detail}`);
    assert.ok(activitiesOf(denoWorker) > 0, `the Deno worker calculated batches: ${detail}`);
    assert.equal(
      activitiesOf(nodeWorker) + activitiesOf(denoWorker),
      total,
      `no other worker took part: ${detail}`,
    );
  });
});
