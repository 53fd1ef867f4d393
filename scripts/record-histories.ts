/**
 * Records workflow histories for the replay test (tests/temporal/history-replay.test.ts): runs
 * each scenario below on a private dev server with an in-process worker on today's code, then
 * writes every run's history (continue-as-new chains run by run) as binary protobuf into
 * tests/temporal/fixtures/histories/<prefix>-<scenario>-<n>.binpb.
 *
 * Record before changing what a workflow does, and commit the files beside the older ones: the
 * replay test then proves that runs in flight during a rolling deploy still replay.
 *
 * Usage: node --import tsx scripts/record-histories.ts --prefix v2
 */
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import {
  Client,
  Connection,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from "@temporalio/client";
import proto from "@temporalio/proto";
import { loadConfig } from "../src/config.ts";
import { createLockBackend } from "../src/locks/index.ts";
import { claimCalcLockKey } from "../src/locks/keys.ts";
import { silentLogger } from "../src/log.ts";
import { type DailyRunInput, type RerunInput, WorkflowTypes } from "../src/temporal/shared.ts";
import { createTestDatabase, dropTestDatabase } from "../tests/support/database.ts";
import { leaseRedisDatabase } from "../tests/support/redis.ts";
import { prebuiltWorkflowBundle, startInProcessWorker } from "../tests/support/workers.ts";
import { makeDataSet, seedDataSet } from "../tests/temporal/fixtures/claims-data.ts";
import { repoRoot, startTemporalDevServer } from "./lib/temporal-dev-server.ts";

const { values } = parseArgs({ options: { prefix: { type: "string" } } });
const prefix = values.prefix;
if (!prefix || !/^[a-z0-9-]+$/.test(prefix)) {
  console.error("usage: record-histories.ts --prefix <lowercase name, e.g. v2>");
  process.exit(2);
}
const outDir = path.join(repoRoot, "tests/temporal/fixtures/histories");
const { History } = proto.temporal.api.history.v1;

const temporal = await startTemporalDevServer({});
const database = await createTestDatabase("record-histories");
const redis = await leaseRedisDatabase();
const taskQueue = `record-${process.pid}`;
const config = loadConfig({
  DATABASE_URL: database.url,
  REDIS_URL: redis.url,
  TEMPORAL_ADDRESS: temporal.address,
  TEMPORAL_TASK_QUEUE: taskQueue,
  CLAIMS_CHUNK_SIZE: "4",
  METRICS_PORT: "0",
});
const worker = await startInProcessWorker({
  config,
  log: silentLogger,
  workflowBundlePath: await prebuiltWorkflowBundle(),
});
const connection = await Connection.connect({ address: temporal.address });
const client = new Client({ connection });

/** Every run of the chain that started as `handle`, first to last. */
async function writeChain(
  name: string,
  handle: WorkflowHandleWithFirstExecutionRunId,
): Promise<void> {
  await handle.result().catch(() => undefined);
  let runId: string | undefined = handle.firstExecutionRunId ?? undefined;
  for (let n = 0; runId; n++) {
    const run: WorkflowHandle = client.workflow.getHandle(handle.workflowId, runId);
    const history: proto.temporal.api.history.v1.IHistory = await run.fetchHistory();
    const file = path.join(outDir, `${prefix}-${name}-${n}.binpb`);
    fs.writeFileSync(file, History.encode(History.create(history)).finish());
    console.log(`wrote ${path.relative(repoRoot, file)} (${history.events?.length} events)`);
    const last: proto.temporal.api.history.v1.IHistoryEvent | undefined = history.events?.at(-1);
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
}

try {
  const day = "2025-09-10";
  const book = makeDataSet({ prefix: "rh", policies: 45, from: day, to: "2025-09-12", seed: 3 });
  await seedDataSet(database, book);
  const fanOut = { pageSize: 10, batchSize: 4, batchConcurrency: 2 };

  // A daily run over several pages (pipelined: the next page listed while batches run).
  await writeChain(
    "daily-run-pipelined",
    await client.workflow.start(WorkflowTypes.dailyRun, {
      taskQueue,
      workflowId: `${prefix}-daily-run-pipelined`,
      args: [{ ...fanOut, claimDate: day } satisfies DailyRunInput],
    }),
  );

  // The same book another day, continued as new several times.
  await writeChain(
    "daily-run-continued",
    await client.workflow.start(WorkflowTypes.dailyRun, {
      taskQueue,
      workflowId: `${prefix}-daily-run-continued`,
      args: [
        {
          pageSize: 10,
          batchSize: 3,
          batchConcurrency: 3,
          historyEventsLimit: 40,
          claimDate: "2025-09-11",
        } satisfies DailyRunInput,
      ],
    }),
  );

  // Contention: three policy-days locked by another holder for longer than the batch's own
  // contention rounds, so the workflow's later rounds take them.
  const locks = createLockBackend(config);
  const held = await locks.tryAcquireMany(
    ["rh-P0001", "rh-P0017", "rh-P0033"].map((id) => claimCalcLockKey(id, "2025-09-12")),
    { ttlMs: 4_000, autoExtend: false, holder: "record-histories" },
  );
  if (held.size !== 3) throw new Error(`expected to hold 3 locks, got ${held.size}`);
  await writeChain(
    "daily-run-contended",
    await client.workflow.start(WorkflowTypes.dailyRun, {
      taskQueue,
      workflowId: `${prefix}-daily-run-contended`,
      args: [{ ...fanOut, claimDate: "2025-09-12" } satisfies DailyRunInput],
    }),
  );
  await locks.close();

  // A rerun of listed policies over two dates.
  const ids = book.policies.slice(0, 23).map((p) => p.id);
  await writeChain(
    "rerun-ids",
    await client.workflow.start(WorkflowTypes.rerun, {
      taskQueue,
      workflowId: `${prefix}-rerun-ids`,
      args: [
        {
          from: day,
          to: "2025-09-11",
          policyIds: ids,
          pageSize: 7,
          batchSize: 3,
          batchConcurrency: 2,
        } satisfies RerunInput,
      ],
    }),
  );

  // One policy-day.
  await writeChain(
    "policy-day",
    await client.workflow.start(WorkflowTypes.policyDay, {
      taskQueue,
      workflowId: `${prefix}-policy-day`,
      args: [{ policyId: "rh-P0002", claimDate: day }],
    }),
  );
} finally {
  await connection.close();
  await worker.stop();
  await redis.release();
  await database.close();
  await dropTestDatabase(database.name);
  await temporal.stop();
}
