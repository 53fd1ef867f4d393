/**
 * The pure parts of "runs you can see": a run's kind and claim dates from its attributes or,
 * for older runs, its id; a backfill told from a daily run by how late it started; the
 * backfill's run ids, a count that never goes backwards, and its progress line.
 */
import assert from "node:assert/strict";
import {
  backfillRuns,
  RateWindow,
  renderBackfillLine,
  scheduledWorkflowId,
  snapshotOf,
} from "../../src/temporal/backfill-progress.ts";
import { claimDatesOf, runKindOf } from "../../src/temporal/run-kind.ts";
import { durationMs, scheduledRunKind } from "../../src/temporal/search-attributes.ts";
import { test } from "../support/test.ts";

test("a run's kind and claim dates: from its search attributes, else from its type and id", () => {
  const cases: [Parameters<typeof runKindOf>[0], string, { from: string; to: string } | null][] = [
    [
      {
        type: "rerunWorkflow",
        workflowId: "x",
        kind: "rerun",
        claimDate: "2025-06-01",
        claimDateTo: "2025-06-09",
      },
      "rerun",
      {
        from: "2025-06-01",
        to: "2025-06-09",
      },
    ],
    [{ type: "dailyRunWorkflow", workflowId: "claims-daily-2025-06-02T13:00:00Z" }, "daily", {
      from: "2025-06-01",
      to: "2025-06-01",
    }],
    [{ type: "dailyRunWorkflow", workflowId: "claims-daily-manual-2025-03-30" }, "backfill", {
      from: "2025-03-30",
      to: "2025-03-30",
    }],
    [{ type: "rerunWorkflow", workflowId: "claims-rerun:2025-01-01:2025-01-31:all" }, "rerun", {
      from: "2025-01-01",
      to: "2025-01-31",
    }],
    [{ type: "rerunWorkflow", workflowId: "claims-recalc:2025-02-03:abc:def" }, "recalculate", {
      from: "2025-02-03",
      to: "2025-02-03",
    }],
    [{ type: "policyDayWorkflow", workflowId: "claim-calc:P-1:2025-02-04" }, "recalculate", {
      from: "2025-02-04",
      to: "2025-02-04",
    }],
    [{ type: "dailyRunWorkflow", workflowId: "something-else", kind: "bogus" }, "daily", null],
  ];
  for (const [facts, kind, dates] of cases) {
    assert.equal(runKindOf(facts), kind, facts.workflowId);
    assert.deepEqual(claimDatesOf(facts), dates, facts.workflowId);
  }
});

test("a scheduled run later than the catch-up window after its nominal time is a backfill", () => {
  const nominal = new Date("2025-06-02T13:00:00Z");
  const day = durationMs("1d");
  assert.equal(day, 86_400_000);
  assert.equal(durationMs("90s"), 90_000);
  assert.equal(scheduledRunKind(nominal, new Date("2025-06-02T13:00:04Z"), day), "daily");
  assert.equal(
    scheduledRunKind(nominal, new Date("2025-06-03T12:59:00Z"), day),
    "daily",
    "a catch-up",
  );
  assert.equal(scheduledRunKind(nominal, new Date("2026-12-03T09:00:00Z"), day), "backfill");
  assert.throws(() => durationMs("1 day"), /not a duration/);
});

test("a backfill's runs by id, and a count that never goes backwards", () => {
  assert.equal(
    scheduledWorkflowId("claims-daily", new Date("2025-06-02T13:00:00.000Z")),
    "claims-daily-2025-06-02T13:00:00Z",
  );
  const runs = backfillRuns(
    "claims-daily",
    [new Date("2025-06-03T13:00:00Z"), new Date("2025-06-02T13:00:00Z")],
    [{ claimDate: "2025-06-03", workflowId: "claims-daily-manual-2025-06-03" }],
  );
  assert.deepEqual(runs.map((r) => r.claimDate), ["2025-06-01", "2025-06-02", "2025-06-03"]);
  const rate = new RateWindow();
  runs[0]!.state = "running";
  runs[0]!.done = 400;
  const first = snapshotOf(runs, 3_000, rate, 0, 1_000);
  assert.equal(
    renderBackfillLine(first),
    "0/3 runs completed, 1 running; 400/3,000 policy-days (13%)",
  );
  runs[0]!.state = "completed";
  runs[0]!.done = 1_000;
  runs[1]!.state = "running";
  runs[1]!.done = 1_000;
  const second = snapshotOf(runs, 3_000, rate, 0, 3_000);
  assert.equal(second.rate, 800);
  assert.equal(
    renderBackfillLine(second),
    "1/3 runs completed, 1 running; 2,000/3,000 policy-days (66%), 800/s, ETA 2 s",
  );
  runs[1]!.state = "failed";
  runs[2]!.state = "completed";
  runs[2]!.done = 1_000;
  const last = snapshotOf(runs, 3_000, rate, 0, 65_000);
  assert.ok(last.finished);
  assert.match(
    renderBackfillLine(last),
    /^2\/3 runs completed, 1 failed; 3,000\/3,000 policy-days \(100%\), \d+\/s, done in 1 min 5 s$/,
  );
});
