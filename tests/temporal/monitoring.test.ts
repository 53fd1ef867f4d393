/**
 * Every metric the dashboard (monitoring/grafana/dashboards/claims-worker.json) and the alert
 * rules (monitoring/prometheus/claims-alerts.yml) use exists in a live worker's /metrics: a
 * renamed metric breaks this test, not a dashboard panel or an alert nobody notices is silent.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { freePort } from "../../scripts/lib/free-port.ts";
import { dashboardQueries, familyOf, metricNames, rulesText } from "../monitoring/metric-names.ts";
import { useTestDatabase } from "../support/database.ts";
import { useTestRedis } from "../support/redis.ts";
import { useTemporal } from "../support/temporal.ts";
import { after, before, describe, test } from "../support/test.ts";
import { prebuiltWorkflowBundle, workerPool } from "../support/workers.ts";

const database = useTestDatabase("monitoring");
const redis = useTestRedis();
const temporal = useTemporal();

describe("the dashboard's and the alerts' metrics in a live worker", () => {
  const pool = workerPool();
  let port = 0;

  before(async () => {
    port = await freePort();
    await pool.spawn({
      name: "scraped-worker",
      env: {
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_TASK_QUEUE: `monitoring-${process.pid}`,
        METRICS_PORT: String(port),
        METRICS_RUNS_INTERVAL_MS: "500",
      },
      workflowBundle: await prebuiltWorkflowBundle(),
    });
  });

  after(() => pool.stopAll());

  test("every metric named by a dashboard query or an alert rule is exposed", async () => {
    let text = "";
    // The run gauges come with the first read of visibility, half a second after start.
    for (let i = 0; i < 50; i++) {
      text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      if (/^claims_runs_status_refreshed_timestamp_seconds [1-9]/m.test(text)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const types = new Map<string, string>();
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(m[1]!, m[2]!);
    const histograms = new Set([...types].filter(([, t]) => t === "histogram").map(([n]) => n));
    const used = new Set([
      ...dashboardQueries().flatMap((q) => [...metricNames(q)]),
      ...metricNames(rulesText()),
    ]);
    assert.ok(used.size >= 15, [...used].join(", "));
    const missing = [...used].filter((name) => !types.has(familyOf(name, histograms)));
    assert.deepEqual(missing, [], `not exposed by the worker: ${missing.join(", ")}`);
    // The gauges the alerts read have values, not only a TYPE line.
    for (
      const series of [
        /^claims_worker_ready 1$/m,
        /^claims_dependency_up\{dependency="redis"\} 1$/m,
        /^claims_daily_run_last_completed_claim_date_timestamp_seconds 0$/m,
        /^claims_runs_failed\{kind="daily"\} 0$/m,
        /^claims_batch_duration_seconds_bucket\{le="0.05",outcome="ok"\} 0$/m,
      ]
    ) assert.match(text, series);
  });
});
