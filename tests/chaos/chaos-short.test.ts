/**
 * The short chaos run inside `make test`: 3 worker processes, a mixed fleet (2 on Node, 1 on
 * Deno; the driver runs on Node), compute a small book through the daily runs, overlapping
 * reruns and a late import while 2 workers are SIGKILLed,
 * the run's own Redis is restarted, the workers' PostgreSQL backends are terminated and one
 * worker is SIGSTOPped past its lock TTL. The run checks the final state itself (exit 0 only
 * when every check passed); this test also reads the report and, independently, the kept
 * database: no duplicate on the natural key, and a ledger row for every policy-day.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import type { ChaosReport } from "../../scripts/chaos/report.ts";
import { adminDatabaseUrl } from "../../scripts/chaos/services.ts";
import { repoRoot } from "../../scripts/lib/temporal-dev-server.ts";
import { connectSql } from "../../src/store/connection.ts";
import { describe, test } from "../support/test.ts";

const SEED = "20250327";

function runChaos(reportDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "scripts/chaos/run.ts",
        "--profile",
        "short",
        "--seed",
        SEED,
        "--runtime",
        "mixed",
        "--report-dir",
        reportDir,
        "--keep",
      ],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, output }));
  });
}

describe("chaos, short profile", () => {
  test("converges under kills, a Redis restart, backend terminations and a SIGSTOP", {
    timeout: 280_000,
  }, async () => {
    const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), "chaos-short-"));
    const started = Date.now();
    const { code, output } = await runChaos(reportDir);
    const seconds = (Date.now() - started) / 1000;
    const files = fs.readdirSync(reportDir).filter((f) => /^chaos-short-.*\.json$/.test(f));
    assert.equal(files.length, 1, `one report in ${reportDir}:\n${output}`);
    const report = JSON.parse(
      fs.readFileSync(path.join(reportDir, files[0]!), "utf8"),
    ) as ChaosReport;
    const sql = connectSql(
      adminDatabaseUrl.replace(/\/[^/]*$/, `/${report.database}`),
      { max: 1, applicationName: "claims-tests" },
    );
    let passed = false;
    try {
      assert.equal(code, 0, `the chaos run failed after ${seconds.toFixed(0)} s:\n${output}`);
      assert.equal(report.verdict, "pass");
      assert.deepEqual(report.settings.workerRuntimes, ["node", "deno", "node"]);
      assert.deepEqual(
        report.checks.map((c) => [c.name, c.ok]),
        [
          ["ledger-complete", true],
          ["matches-whole-period", true],
          ["verify-command", true],
          ["no-duplicates", true],
          ["cap-invariant", true],
          ["audit-replays", true],
          ["no-locks-held", true],
        ],
      );
      assert.deepEqual(report.faultCounts, {
        "kill": 2,
        "redis-restart": 1,
        "pg-terminate": 1,
        "sigstop": 1,
        "temporal-restart": 0,
      });
      for (const fault of report.faults) {
        assert.ok(fault.recoveredAt !== null, `${fault.kind} recovered`);
        assert.ok(Date.parse(fault.at) >= Date.parse(report.timing.workloadStartedAt));
      }
      const sigstop = report.faults.find((f) => f.kind === "sigstop")!;
      assert.ok(
        Date.parse(sigstop.recoveredAt!) - Date.parse(sigstop.at) > report.settings.lockTtlMs,
        "the SIGSTOP outlasted the lock TTL",
      );
      assert.ok(report.workload.workflows.length >= 5, "daily runs and reruns ran");
      assert.ok(report.workload.lateImports.length >= 1, "late events were imported");

      // The final state, read here and not taken from the report.
      const duplicates = await sql<{ n: number }[]>`
        select count(*)::int as n from (
          select 1 from claims group by policy_id, claim_date, claim_key having count(*) > 1
        ) d`;
      assert.equal(duplicates[0]!.n, 0);
      const [ledger] = await sql<{ rows: number; expected: number }[]>`
        select (select count(*)::int from calculation_ledger) as rows,
          (select sum(coverage_end - coverage_start + 1)::int from policies) as expected`;
      assert.equal(ledger!.rows, ledger!.expected);
      assert.equal(ledger!.rows, report.workload.policyDays);
      const [audit] = await sql<{ claims: number; inserted: number }[]>`
        select (select count(*)::int from claims) as claims,
          (select count(distinct (policy_id, claim_date, claim_key))::int from claim_audit
            where action = 'insert') as inserted`;
      assert.ok(audit!.claims > 0 && audit!.inserted >= audit!.claims);
      console.log(`chaos short: ${seconds.toFixed(1)} s, report ${files[0]}`);
      passed = true;
    } finally {
      await sql.end({ timeout: 5 });
      // On failure the database, the report and the run's logs stay for inspection.
      if (passed) {
        const admin = connectSql(adminDatabaseUrl, { max: 1, applicationName: "claims-tests" });
        await admin.unsafe(`drop database if exists "${report.database}" with (force)`);
        await admin.end({ timeout: 5 });
        fs.rmSync(reportDir, { recursive: true, force: true });
        if (report.runDir) {
          fs.rmSync(path.join(repoRoot, report.runDir), { recursive: true, force: true });
        }
      }
    }
  });
});
