/**
 * Runs you can see: a backfill through the schedule with `--wait` (plain lines off a terminal,
 * a count that never goes backwards, exit 0 once every run completed), the search attributes
 * the runs carry (ClaimDate from the nominal time, RunKind backfill / daily / rerun), `claims
 * runs` listing them with kind, claim dates, state, progress and a UI link, and the worker's run
 * gauges read from visibility (the last completed claim date for the missed-run alert).
 */
import assert from "node:assert/strict";
import process from "node:process";
import { Client, Connection } from "@temporalio/client";
import { CLAIM_DATE, RUN_KIND } from "../../src/temporal/search-attributes.ts";
import type { RunView } from "../../src/temporal/runs.ts";
import { freePort } from "../../scripts/lib/free-port.ts";
import { runClaims, runClaimsProcess } from "../integration/ops/support/cli.ts";
import { useTestDatabase } from "../support/database.ts";
import { useTestRedis } from "../support/redis.ts";
import { useTemporal } from "../support/temporal.ts";
import { after, before, describe, test } from "../support/test.ts";
import { prebuiltWorkflowBundle, workerPool } from "../support/workers.ts";
import { makeDataSet, seedDataSet } from "./fixtures/claims-data.ts";

const database = useTestDatabase("temporal-runs");
const redis = useTestRedis();
const temporal = useTemporal();

const taskQueue = `runs-${process.pid}-${Date.now()}`;
const scheduleId = `claims-daily-runs-${process.pid}-${Date.now()}`;
const FROM = "2025-06-01";
const TO = "2025-06-03";
const data = makeDataSet({
  prefix: "ru",
  policies: 12,
  from: FROM,
  to: TO,
  eventsPerDay: 2,
  seed: 5,
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    TEMPORAL_UI_URL: "http://ui.example:8233",
    SCHEDULE_ID: scheduleId,
    CLAIMS_BATCH_SIZE: "3",
    CLAIMS_PAGE_SIZE: "4",
    METRICS_PORT: "0",
    ...extra,
  };
}

const claims = (argv: string[], extra: Record<string, string> = {}) =>
  runClaims(argv, env({ LOG_LEVEL: "warn", ...extra }));

describe("runs you can see", () => {
  const pool = workerPool();
  let connection: Connection;
  let client: Client;
  let metricsPort = 0;

  before(async () => {
    await seedDataSet(database, data);
    metricsPort = await freePort();
    await pool.spawn({
      name: "runs-worker",
      env: env({ METRICS_PORT: String(metricsPort), METRICS_RUNS_INTERVAL_MS: "500" }),
      workflowBundle: await prebuiltWorkflowBundle(),
    });
    connection = await Connection.connect({ address: temporal.address });
    client = new Client({ connection });
    const ensured = await claims(["schedule", "ensure"]);
    assert.equal(ensured.code, 0, ensured.stderr);
  });

  after(async () => {
    await claims(["schedule", "delete"]).catch(() => undefined);
    await connection?.close();
    await pool.stopAll();
  });

  test("schedule backfill --wait: plain lines, a count that never goes backwards, exit 0", async () => {
    const run = await runClaimsProcess(
      ["schedule", "backfill", "--from", FROM, "--to", TO, "--wait"],
      { ...process.env as Record<string, string>, ...env({ LOG_LEVEL: "warn" }) },
      180_000,
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const lines = run.stdout.trim().split("\n");
    assert.match(lines[0]!, /backfill of 3 claim date\(s\) 2025-06-01 to 2025-06-03 started/);
    const progress = lines.filter((l) => /runs completed/.test(l));
    assert.ok(progress.length >= 1, run.stdout);
    assert.ok(
      !run.stdout.includes("\r") && !run.stdout.includes("\x1b"),
      "no terminal codes in a pipe",
    );
    const counts = progress.map((l) =>
      Number(/; ([\d,]+)\/36 policy-days/.exec(l)?.[1]?.replaceAll(",", ""))
    );
    for (let i = 1; i < counts.length; i++) {
      assert.ok(counts[i]! >= counts[i - 1]!, progress.join("\n"));
    }
    assert.match(
      progress.at(-1)!,
      /^3\/3 runs completed; 36\/36 policy-days \(100%\).*, done in \d+/,
    );
  });

  test("the backfilled runs carry ClaimDate (from the nominal time) and RunKind=backfill", async () => {
    const listed = [];
    for await (
      const r of client.workflow.list({ query: `TemporalScheduledById = '${scheduleId}'` })
    ) listed.push(r);
    assert.equal(listed.length, 3);
    assert.deepEqual(listed.map((r) => r.typedSearchAttributes.get(CLAIM_DATE)).sort(), [
      "2025-06-01",
      "2025-06-02",
      "2025-06-03",
    ]);
    assert.deepEqual(
      new Set(listed.map((r) => r.typedSearchAttributes.get(RUN_KIND))),
      new Set(["backfill"]),
    );
  });

  test("the run gauge after a backfill of old dates: the latest claim date completed lately", async () => {
    const want = Date.parse(`${TO}T00:00:00Z`) / 1000;
    let text = "";
    for (let i = 0; i < 50; i++) {
      text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      if (text.includes(`claims_daily_run_last_completed_claim_date_timestamp_seconds ${want}`)) {
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(
      text,
      new RegExp(`^claims_daily_run_last_completed_claim_date_timestamp_seconds ${want}$`, "m"),
    );
  });

  test("a run the schedule starts on time is RunKind=daily, its ClaimDate yesterday", async () => {
    const triggered = await claims(["schedule", "trigger"]);
    assert.equal(triggered.code, 0, triggered.stderr);
    const handle = client.schedule.getHandle(scheduleId);
    let workflowId: string | undefined;
    for (let i = 0; i < 100 && !workflowId; i++) {
      const recent = (await handle.describe()).info.recentActions;
      workflowId = recent.map((a) => a.action.workflow.workflowId).find((id) =>
        !/2025-06-0/.test(id)
      );
      if (!workflowId) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(workflowId, "the triggered run");
    await client.workflow.getHandle(workflowId).result();
    const described = await client.workflow.getHandle(workflowId).describe();
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    assert.equal(described.typedSearchAttributes.get(RUN_KIND), "daily");
    assert.equal(described.typedSearchAttributes.get(CLAIM_DATE), yesterday);
  });

  test("claims runs: kind, claim dates, state, progress and UI link; --date and --running filter", async () => {
    const all = await claims(["runs", "--json"]);
    assert.equal(all.code, 0, all.stderr);
    const runs = (JSON.parse(all.stdout) as { runs: RunView[] }).runs;
    const backfills = runs.filter((r) => r.kind === "backfill");
    assert.equal(backfills.length, 3, JSON.stringify(runs, null, 2));
    for (const r of backfills) {
      assert.equal(r.state, "Completed");
      assert.equal(r.claimDates?.from, r.claimDates?.to);
      assert.equal(
        r.url,
        `http://ui.example:8233/namespaces/default/workflows/${
          encodeURIComponent(r.workflowId)
        }/${r.runId}/history`,
      );
    }
    const oneDay = await claims(["runs", "--date", "2025-06-02", "--json"]);
    const dated = (JSON.parse(oneDay.stdout) as { runs: RunView[] }).runs;
    assert.deepEqual(dated.map((r) => r.claimDates), [{ from: "2025-06-02", to: "2025-06-02" }]);

    // A rerun on a task queue no worker polls stays running, and says it has no answer.
    const idle = `${taskQueue}-idle`;
    const started = await claims(["rerun", "--all", "--from", FROM, "--to", TO, "--no-wait"], {
      TEMPORAL_TASK_QUEUE: idle,
    });
    assert.equal(started.code, 0, started.stderr);
    try {
      const running = await claims(["runs", "--running", "--json"], { TEMPORAL_TASK_QUEUE: idle });
      const [rerun, ...others] = (JSON.parse(running.stdout) as { runs: RunView[] }).runs;
      assert.equal(others.length, 0);
      assert.equal(rerun?.kind, "rerun");
      assert.deepEqual(rerun?.claimDates, { from: FROM, to: TO });
      assert.equal(rerun?.state, "Running");
      assert.equal(rerun?.progress, null);
      const text = await claims(["runs", "--running", "--date", "2025-06-02"], {
        TEMPORAL_TASK_QUEUE: idle,
      });
      assert.match(text.stdout, /^kind +claim dates +state +progress/);
      assert.match(text.stdout, /\nrerun +2025-06-01\.\.2025-06-03 +Running +\(no answer\) /);
      const none = await claims(["runs", "--running", "--date", "2025-07-01"], {
        TEMPORAL_TASK_QUEUE: idle,
      });
      assert.equal(none.stdout, "no runs\n");
    } finally {
      const id = /rerun (\S+) started/.exec(started.stdout)?.[1];
      if (id) await client.workflow.getHandle(id).terminate("test over");
    }
  });

  test("the worker's run gauges: the last claim date whose daily run completed, and when", async () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const want = Date.parse(`${yesterday}T00:00:00Z`) / 1000;
    let text = "";
    for (let i = 0; i < 50; i++) {
      text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      if (text.includes(`claims_daily_run_last_completed_claim_date_timestamp_seconds ${want}`)) {
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(
      text,
      new RegExp(`^claims_daily_run_last_completed_claim_date_timestamp_seconds ${want}$`, "m"),
    );
    const at = Number(/^claims_daily_run_last_completed_timestamp_seconds (\S+)$/m.exec(text)?.[1]);
    assert.ok(Math.abs(at - Date.now() / 1000) < 600, `completed ${at}`);
    assert.match(text, /^claims_runs_failed\{kind="daily"\} 0$/m);
  });
});
