/**
 * Late data end to end: a real worker process (`claims worker`), the Temporal dev server,
 * PostgreSQL and Redis. An event for a past day imported with `events import --recalculate`
 * changes that day, re-allocates the cap of the policy's later days, and leaves an audit trail
 * of each change; importing the same file again changes nothing and starts nothing.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { Client, Connection } from "@temporalio/client";
import { ExitCode } from "../../src/cli/io.ts";
import { policyDayWorkflowId } from "../../src/temporal/shared.ts";
import { useTestDatabase } from "../support/database.ts";
import { useTestRedis } from "../support/redis.ts";
import { useTemporal } from "../support/temporal.ts";
import { test } from "../support/test.ts";
import { workerPool } from "../support/workers.ts";
import { cliEnv, runClaims } from "../integration/ops/support/cli.ts";
import { computePolicyDays } from "../integration/ops/support/compute-policy-days.ts";
import {
  event,
  policy,
  toJsonLines,
  useTempDir,
  writeFile,
} from "../integration/ops/support/files.ts";

const database = useTestDatabase("temporal_late_events");
const redis = useTestRedis();
const temporal = useTemporal();
const tmp = useTempDir("late-events");

interface ClaimRow {
  policy_id: string;
  claim_date: string;
  claim_key: string;
  tier: string;
  payout_bps: number;
  capped: boolean;
}

const claimsOf = (policyId: string) =>
  database.sql<ClaimRow[]>`
    select policy_id, claim_date::text as claim_date, claim_key, tier, payout_bps, capped
    from claims where policy_id = ${policyId} order by claim_date, claim_key`;

test(
  "a late event recalculates its day and re-allocates later days; the same file again starts nothing",
  {
    timeout: 240_000,
  },
  async () => {
    const taskQueue = `late-events-${process.pid}-${Date.now()}`;
    const env = cliEnv(database.url, {
      REDIS_URL: redis.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
    });

    // Cap 6000 bps: day 3 pays tier2 (2500), day 7 tier3 (5000) is capped to the 3500 left.
    const policies = [
      policy("LATE-A", { region: "delta", coverageStart: "2025-05-01", coverageEnd: "2025-05-10" }),
      // Same region, 14 h ahead: the late event falls on its 05-06, not 05-05.
      policy("LATE-K", {
        region: "delta",
        timezone: "Pacific/Kiritimati",
        coverageStart: "2025-05-01",
        coverageEnd: "2025-05-10",
        periodCapBps: 10_000,
      }),
    ];
    const onTime = [
      event("D-03", { region: "delta", tier: "tier2", observedAt: "2025-05-03T08:00:00Z" }),
      event("D-07", { region: "delta", tier: "tier3", observedAt: "2025-05-07T08:00:00Z" }),
    ];
    for (const [kind, rows] of [["policies", policies], ["events", onTime]] as const) {
      const run = await runClaims([
        kind,
        "import",
        writeFile(tmp.path, `${kind}.jsonl`, toJsonLines(rows)),
      ], env);
      assert.equal(run.code, ExitCode.OK, run.stderr);
    }
    await computePolicyDays(database.db, "2025-04-30", "2025-05-10");
    assert.deepEqual(
      (await claimsOf("LATE-A")).map((c) => [c.claim_date, c.tier, c.payout_bps, c.capped]),
      [["2025-05-03", "tier2", 2500, false], ["2025-05-07", "tier3", 3500, true]],
    );
    const [auditBefore] = await database.sql<
      { n: number }[]
    >`select count(*)::int as n from claim_audit`;

    const pool = workerPool();
    const connection = await Connection.connect({ address: temporal.address });
    try {
      await pool.spawn({
        name: "late-events-worker",
        env: { ...env, LOG_LEVEL: "info" } as Record<string, string>,
      });
      const lateFile = writeFile(
        tmp.path,
        "late.jsonl",
        toJsonLines([
          event("D-05-LATE", {
            region: "delta",
            tier: "tier3",
            observedAt: "2025-05-05T11:00:00Z",
          }),
        ]),
      );
      const imported = await runClaims(
        ["events", "import", lateFile, "--recalculate", "--json"],
        env,
      );
      assert.equal(imported.code, ExitCode.OK, imported.stderr);
      const result = JSON.parse(imported.stdout);
      assert.deepEqual(result.affected, [
        { policyId: "LATE-A", claimDate: "2025-05-05" },
        { policyId: "LATE-K", claimDate: "2025-05-06" },
      ]);
      assert.deepEqual(result.recalculation, { started: 2, attached: 0, batchWorkflowIds: [] });

      const client = new Client({ connection });
      for (const day of result.affected) {
        await client.workflow.getHandle(policyDayWorkflowId(day.policyId, day.claimDate)).result();
      }

      // The late day now pays what was left; the later day lost its share to it (re-allocation).
      assert.deepEqual(
        (await claimsOf("LATE-A")).map((c) => [c.claim_date, c.tier, c.payout_bps, c.capped]),
        [
          ["2025-05-03", "tier2", 2500, false],
          ["2025-05-05", "tier3", 3500, true],
          ["2025-05-07", "tier3", 0, true],
        ],
      );
      assert.deepEqual(
        (await claimsOf("LATE-K")).map((c) => [c.claim_date, c.tier, c.payout_bps]),
        [["2025-05-03", "tier2", 2500], ["2025-05-06", "tier3", 5000], [
          "2025-05-07",
          "tier3",
          2500,
        ]],
      );
      // The audit trail of the recomputation of 05-05: the new claim, and the later day's cut.
      const trail = await database.sql<
        {
          claim_date: string;
          action: string;
          reason: string;
          old_bps: number | null;
          new_bps: number | null;
        }[]
      >`
      select claim_date::text as claim_date, action, reason,
             old_payout_bps as old_bps, new_payout_bps as new_bps
      from claim_audit where policy_id = 'LATE-A' and computed_date = '2025-05-05' order by id`;
      assert.deepEqual(trail.map((r) => [r.claim_date, r.action, r.reason, r.old_bps, r.new_bps]), [
        ["2025-05-05", "insert", "computed", null, 3500],
        ["2025-05-07", "update", "reallocated", 3500, 0],
      ]);
      const [auditAfter] = await database.sql<
        { n: number }[]
      >`select count(*)::int as n from claim_audit`;
      assert.ok(auditAfter!.n > auditBefore!.n);

      // The same file again: nothing changes, nothing starts, the audit trail does not grow.
      const again = await runClaims(["events", "import", lateFile, "--recalculate", "--json"], env);
      assert.equal(again.code, ExitCode.OK, again.stderr);
      const second = JSON.parse(again.stdout);
      assert.deepEqual([second.inserted, second.updated, second.unchanged], [0, 0, 1]);
      assert.deepEqual(second.affected, []);
      assert.deepEqual(second.recalculation, { started: 0, attached: 0, batchWorkflowIds: [] });
      const [auditFinal] = await database.sql<
        { n: number }[]
      >`select count(*)::int as n from claim_audit`;
      assert.equal(auditFinal!.n, auditAfter!.n);

      // A regional event touching more policy-days than one workflow each is worth: batched
      // reruns, one per claim date, that compute exactly those days.
      const many = Array.from(
        { length: 240 },
        (_, i) =>
          policy(`WIDE-${String(i).padStart(3, "0")}`, {
            region: "epsilon",
            timezone: i % 2 === 0 ? "UTC" : "America/New_York",
            coverageStart: "2025-05-01",
            coverageEnd: "2025-05-10",
          }),
      );
      const widePolicies = await runClaims(
        ["policies", "import", writeFile(tmp.path, "wide.jsonl", toJsonLines(many))],
        env,
      );
      assert.equal(widePolicies.code, ExitCode.OK, widePolicies.stderr);
      const wideEvent = writeFile(
        tmp.path,
        "wide-late.jsonl",
        // 02:00 UTC on 05-04 is still 05-03 in New York: two claim dates, so two batches.
        toJsonLines([event("E-WIDE", {
          region: "epsilon",
          tier: "tier2",
          observedAt: "2025-05-04T02:00:00Z",
        })]),
      );
      const wide = await runClaims(["events", "import", wideEvent, "--recalculate", "--json"], env);
      assert.equal(wide.code, ExitCode.OK, wide.stderr);
      const wideResult = JSON.parse(wide.stdout);
      assert.equal(wideResult.affected.length, 240);
      assert.equal(wideResult.recalculation.started, 2);
      assert.equal(wideResult.recalculation.batchWorkflowIds.length, 2);
      const client2 = new Client({ connection });
      for (const id of wideResult.recalculation.batchWorkflowIds as string[]) {
        const summary = await client2.workflow.getHandle(id).result();
        assert.equal(summary.totals.policyDays, 120, JSON.stringify(summary.totals));
      }
      const wideClaims = await database.sql<{ d: string; n: number; bps: number }[]>`
        select claim_date::text as d, count(*)::int as n, min(payout_bps) as bps
        from claims where policy_id like 'WIDE-%' group by claim_date order by claim_date`;
      assert.deepEqual(wideClaims.map((r) => [r.d, r.n, r.bps]), [
        ["2025-05-03", 120, 2500],
        ["2025-05-04", 120, 2500],
      ]);

      const verify = await runClaims(["verify"], env);
      assert.equal(verify.code, ExitCode.OK, verify.stdout + verify.stderr);
    } finally {
      await connection.close();
      await pool.stopAll();
    }
  },
);
