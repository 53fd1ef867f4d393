/**
 * The alert rules pass `promtool check rules`, and `promtool test rules` runs a case for every
 * alert (monitoring/prometheus/claims-alerts.test.yml); the dashboard is valid JSON whose
 * queries name only metrics (their existence in a live worker is tests/temporal/monitoring.test.ts).
 * promtool comes from Debian's `prometheus` package, which scripts/services.sh installs.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "../support/test.ts";
import {
  dashboardQueries,
  metricNames,
  monitoringDir,
  rulesFile,
  rulesText,
} from "./metric-names.ts";

function promtool(args: string[]) {
  const run = spawnSync("promtool", args, {
    cwd: path.join(monitoringDir, "prometheus"),
    encoding: "utf8",
  });
  if (run.error) {
    throw new Error(
      `promtool not found (${run.error.message}); run 'make services' (installs Debian's prometheus)`,
    );
  }
  return run;
}

test("promtool check rules: the alert rules are valid", () => {
  const run = promtool(["check", "rules", rulesFile]);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /SUCCESS: \d+ rules found/);
});

test("promtool test rules: every alert has a case, and they pass", () => {
  const alerts = [...rulesText().matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]!);
  assert.ok(alerts.length >= 6, alerts.join(", "));
  const cases = fs.readFileSync(
    path.join(monitoringDir, "prometheus/claims-alerts.test.yml"),
    "utf8",
  );
  for (const alert of alerts) {
    assert.match(
      cases,
      new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`),
      `${alert} fires in a case`,
    );
  }
  const run = promtool(["test", "rules", "claims-alerts.test.yml"]);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /SUCCESS/);
});

test("the dashboard's queries and the rules name the project's metrics", () => {
  const names = new Set([
    ...dashboardQueries().flatMap((q) => [...metricNames(q)]),
    ...metricNames(rulesText()),
  ]);
  for (
    const wanted of [
      "claims_daily_run_last_completed_claim_date_timestamp_seconds",
      "claims_runs_failed",
      "claims_policy_days_total",
      "claims_lock_contention_total",
      "claims_worker_ready",
      "claims_payouts_minor_units_total",
      "claims_batch_duration_seconds_bucket",
    ]
  ) assert.ok(names.has(wanted), wanted);
  assert.ok(
    !names.has("claims:daily_run_deadline_seconds"),
    "recording rules are not scraped metrics",
  );
});
