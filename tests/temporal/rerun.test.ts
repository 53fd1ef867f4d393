/**
 * Reruns through three real worker processes (`claims worker`), and the `claims rerun` command:
 * concurrent reruns of the same policy-days never duplicate a claim and end equal to the
 * whole-period calculation; the same rerun started twice is one workflow; exit codes.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { Client, Connection } from "@temporalio/client";
import { runCli } from "../../src/cli/program.ts";
import type { CliIO } from "../../src/cli/io.ts";
import { type Config, loadConfig } from "../../src/config.ts";
import { MetricNames } from "../../src/metrics/claims-metrics.ts";
import { rerunIdOf, startRerun } from "../../src/temporal/rerun.ts";
import type { RerunSummary } from "../../src/temporal/shared.ts";
import { freePort } from "../../scripts/lib/free-port.ts";
import { useTestDatabase } from "../support/database.ts";
import { useTestRedis } from "../support/redis.ts";
import { useTemporal } from "../support/temporal.ts";
import { after, before, describe, test } from "../support/test.ts";
import { prebuiltWorkflowBundle, workerPool } from "../support/workers.ts";
import { assertMatchesCalculator, makeDataSet, seedDataSet } from "./fixtures/claims-data.ts";

const database = useTestDatabase("temporal-rerun");
const redis = useTestRedis();
const temporal = useTemporal();

const FROM = "2025-05-01";
const TO = "2025-05-06";
const data = makeDataSet({
  prefix: "rr",
  policies: 10,
  from: FROM,
  to: TO,
  eventsPerDay: 3,
  seed: 11,
});
const ids = data.policies.map((p) => p.id);
const taskQueue = `rerun-${process.pid}-${Date.now()}`;

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    CLAIMS_BATCH_SIZE: "3",
    CLAIMS_BATCH_CONCURRENCY: "3",
    CLAIMS_PAGE_SIZE: "6",
    CLAIMS_CHUNK_SIZE: "2",
    METRICS_PORT: "0",
    ...extra,
  };
}

/** `claims …` in this process, with its own output buffers and environment. */
async function claims(argv: string[], extraEnv: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: env(extraEnv),
    cwd: process.cwd(),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

describe("reruns across worker processes", () => {
  const pool = workerPool();
  let connection: Connection;
  let client: Client;
  let config: Config;
  let metricsPort = 0;

  before(async () => {
    await seedDataSet(database, data);
    config = loadConfig(env());
    metricsPort = await freePort();
    const workflowBundle = await prebuiltWorkflowBundle();
    await Promise.all([
      pool.spawn({
        name: "worker-1",
        env: env({ METRICS_PORT: String(metricsPort) }),
        workflowBundle,
      }),
      pool.spawn({ name: "worker-2", env: env(), workflowBundle }),
      pool.spawn({ name: "worker-3", env: env(), workflowBundle }),
    ]);
    connection = await Connection.connect({ address: temporal.address });
    client = new Client({ connection });
  });

  after(async () => {
    await connection?.close();
    await pool.stopAll();
  });

  test("10 policies x 3 workers, three reruns of the same days at once: no duplicates, whole-period result", async () => {
    const overrides = { batchSize: 3, batchConcurrency: 3, pageSize: 6 };
    const started = await Promise.all([
      startRerun(client, config, { from: FROM, to: TO, policyIds: null }, overrides),
      startRerun(client, config, { from: FROM, to: TO, policyIds: ids }, overrides),
      // A day outside every coverage in front: another workflow id, the same policy-days.
      startRerun(client, config, { from: "2025-04-30", to: TO, policyIds: null }, overrides),
    ]);
    assert.equal(new Set(started.map((s) => s.workflowId)).size, 3);
    const results = await Promise.all(
      started.map((s) => client.workflow.getHandle(s.workflowId).result() as Promise<RerunSummary>),
    );
    for (const r of results) {
      assert.equal(r.totals.policyDays, 60, JSON.stringify(r.totals));
      assert.equal(r.totals.failed, 0, JSON.stringify(r.problems));
      assert.equal(r.totals.contended, 0, JSON.stringify(r.problems));
      assert.equal(r.totals.computed + r.totals.unchanged + r.totals.stale, 60);
    }
    assert.deepEqual(results[2]!.dateTotals["2025-04-30"]?.policyDays, 0);
    await assertMatchesCalculator(database, data);
    const [ledger] = await database.sql<{ days: number; computations: number }[]>`
      select count(*)::int as days, sum(computations)::int as computations from calculation_ledger`;
    assert.equal(ledger?.days, 60, "every policy-day has its ledger row");
    assert.ok((ledger?.computations ?? 0) >= 180, "each rerun computed every policy-day");
    const busy = pool.all().filter((w) => w.logs().some((l) => l["msg"] === "batch calculated"));
    assert.ok(busy.length >= 2, `work spread over worker processes (${busy.length} did some)`);
  });

  test("starting the same rerun twice attaches to one workflow", async () => {
    // A queue no worker polls: the rerun stays open for as long as the test needs.
    const idle = { ...config, temporal: { ...config.temporal, taskQueue: `${taskQueue}-idle` } };
    const request = { from: FROM, to: TO, policyIds: [ids[3]!, ids[1]!] };
    const [a, b] = await Promise.all([
      startRerun(client, idle, request),
      startRerun(client, idle, { ...request, policyIds: [ids[1]!, ids[3]!, ids[3]!] }),
    ]);
    assert.equal(a!.workflowId, b!.workflowId, "the id depends on the set of ids, not their order");
    assert.deepEqual([a!.attached, b!.attached].sort(), [false, true]);
    assert.equal(a!.runId, b!.runId);

    const cli = await claims(
      [
        "rerun",
        "--policy",
        ids[1]!,
        "--policy",
        ids[3]!,
        "--from",
        FROM,
        "--to",
        TO,
        "--no-wait",
        "--json",
      ],
      { TEMPORAL_TASK_QUEUE: `${taskQueue}-idle` },
    );
    assert.equal(cli.code, 0, cli.stderr);
    const out = JSON.parse(cli.stdout) as { workflowId: string; attached: boolean; runId: string };
    assert.equal(out.workflowId, rerunIdOf(request));
    assert.equal(out.attached, true);
    assert.equal(out.runId, a!.runId);
    await client.workflow.getHandle(a!.workflowId).terminate("test done");
  });

  test("claims rerun --json waits and prints the summary; exit 0", async () => {
    const cli = await claims([
      "rerun",
      "--policy",
      `${ids[0]},${ids[5]}`,
      "--from",
      FROM,
      "--to",
      "2025-05-02",
      "--json",
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    const summary = JSON.parse(cli.stdout) as RerunSummary;
    assert.equal(
      summary.workflowId,
      rerunIdOf({ from: FROM, to: "2025-05-02", policyIds: [ids[0]!, ids[5]!] }),
    );
    assert.equal(summary.totals.policyDays, 4);
    assert.equal(summary.totals.failed + summary.totals.contended, 0);
    assert.equal(summary.dates, 2);
    assert.deepEqual(Object.keys(summary.dateTotals), [FROM, "2025-05-02"]);
  });

  test("claims rerun: exit 2 for bad flags and unknown policies, 3 when Temporal is unreachable", async () => {
    const bad: [string[], RegExp][] = [
      [
        ["rerun", "--all", "--from", "2025-05-03", "--to", "2025-05-01"],
        /--from 2025-05-03 is after --to/,
      ],
      [
        ["rerun", "--all", "--from", "2025-02-30", "--to", "2025-03-01"],
        /--from must be an existing/,
      ],
      [["rerun", "--all", "--from", "2015-01-01", "--to", "2025-12-31"], /at most 3653/],
      [["rerun", "--from", FROM, "--to", TO], /--policy ID\.\.\. .* or --all/],
      [["rerun", "--all", "--policy", ids[0]!, "--from", FROM, "--to", TO], /not both/],
      [["rerun", "--policy", "bad:id", "--from", FROM, "--to", TO], /--policy must be ids/],
      [
        ["rerun", "--policy", ids[0]!, "--policy", "ghost-1", "--from", FROM, "--to", TO],
        /unknown policy id "ghost-1"/,
      ],
    ];
    for (const [argv, message] of bad) {
      const r = await claims(argv);
      assert.equal(r.code, 2, `${argv.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const unreachable = await claims(
      ["rerun", "--all", "--from", FROM, "--to", TO, "--json"],
      { TEMPORAL_ADDRESS: "127.0.0.1:1" },
    );
    assert.equal(unreachable.code, 3, unreachable.stderr);
    assert.match(unreachable.stderr, /cannot reach Temporal at 127\.0\.0\.1:1/);
  });

  test("the metrics endpoint serves the project's metrics and Temporal's; health and readiness answer", async () => {
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(response.status, 200);
    const text = await response.text();
    for (const name of Object.values(MetricNames)) {
      const type = name.endsWith("_total")
        ? "counter"
        : name.endsWith("_duration_seconds")
        ? "histogram"
        : "gauge";
      assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, "m"));
    }
    assert.match(text, /^claims_build_info\{version="[^"]+",runtime="(node|deno) [^"]+"/m);
    assert.match(text, /^process_resident_memory_bytes \d+/m);
    assert.match(text, /^claims_worker_ready 1$/m);
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status, 200);
    const ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
    const report = await ready.json() as { ready: boolean; dependencies: Record<string, unknown> };
    assert.equal(ready.status, 200, JSON.stringify(report));
    assert.deepEqual(Object.keys(report.dependencies).sort(), ["postgres", "redis", "temporal"]);
    const worker1 = pool.all().find((w) => w.name === "worker-1")!;
    const batches = worker1.logs().filter((l) => l["msg"] === "batch calculated").length;
    if (batches > 0) {
      const line = new RegExp(
        `^${MetricNames.POLICY_DAYS}\\{status="(computed|unchanged|stale)"\\} [1-9]`,
        "m",
      );
      assert.match(text, line, "worker-1 calculated batches: its counters moved");
    }
    assert.match(text, /^temporal_(worker_task_slots_available|long_request|num_pollers)/m);
  });
});
