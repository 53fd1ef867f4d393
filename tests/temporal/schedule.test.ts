/**
 * The daily schedule through `claims schedule …` (in-process CLI) on a real dev server with a
 * real worker: `ensure` is idempotent, and a backfill over three past claim dates computes
 * exactly those three dates, which proves the run takes its date from the nominal time and not
 * from the clock. Trigger, pause, unpause, describe and delete complete the life cycle.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { Client, Connection } from "@temporalio/client";
import type { CliIO } from "../../src/cli/io.ts";
import { runCli } from "../../src/cli/program.ts";
import { loadConfig } from "../../src/config.ts";
import { addDays } from "../../src/domain/calendar.ts";
import { silentLogger } from "../../src/log.ts";
import type { BackfillResult, EnsureResult, ScheduleView } from "../../src/temporal/schedule.ts";
import type { DailyRunSummary } from "../../src/temporal/shared.ts";
import { useTestDatabase } from "../support/database.ts";
import { useTestRedis } from "../support/redis.ts";
import { useTemporal } from "../support/temporal.ts";
import { after, before, describe, test } from "../support/test.ts";
import { type InProcessWorker, startInProcessWorker } from "../support/workers.ts";
import { makeDataSet, seedDataSet } from "./fixtures/claims-data.ts";

const database = useTestDatabase("temporal-schedule");
const redis = useTestRedis();
const temporal = useTemporal();

const taskQueue = `schedule-${process.pid}-${Date.now()}`;
const scheduleId = `claims-daily-test-${process.pid}-${Date.now()}`;
const data = makeDataSet({
  prefix: "sc",
  policies: 5,
  from: "2025-06-01",
  to: "2025-06-10",
  eventsPerDay: 2,
  seed: 3,
});

function env(): Record<string, string> {
  return {
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    SCHEDULE_ID: scheduleId,
    SCHEDULE_TIME: "13:00",
    SCHEDULE_TIMEZONE: "UTC",
    CLAIMS_BATCH_SIZE: "2",
    CLAIMS_PAGE_SIZE: "3",
    METRICS_PORT: "0",
  };
}

async function claims(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: env(),
    cwd: process.cwd(),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

async function claimsJson<T>(argv: string[]): Promise<T> {
  const r = await claims([...argv, "--json"]);
  assert.equal(r.code, 0, `${argv.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

describe("the daily schedule", () => {
  let worker: InProcessWorker | undefined;
  let connection: Connection;
  let client: Client;

  before(async () => {
    await seedDataSet(database, data);
    worker = await startInProcessWorker({ config: loadConfig(env()), log: silentLogger });
    connection = await Connection.connect({ address: temporal.address });
    client = new Client({ connection });
  });

  after(async () => {
    await claims(["schedule", "delete"]);
    await worker?.stop();
    await connection?.close();
  });

  test("schedule ensure twice leaves one schedule, configured as asked", async () => {
    const first = await claimsJson<EnsureResult>(["schedule", "ensure"]);
    const second = await claimsJson<EnsureResult>(["schedule", "ensure", "--overlap", "allow_all"]);
    assert.equal(first.action, "created");
    assert.equal(second.action, "updated");
    // Paused from here on: the test drives every run itself (trigger, backfill).
    assert.equal((await claims(["schedule", "pause", "--note", "test"])).code, 0);
    // The pause reaches the schedule asynchronously; `ensure` reads the state it keeps, so wait
    // until the pause is visible, as it is to an operator's later `ensure`. The dev server's
    // scheduler applies it between its other work: a clean-clone CI run under the full suite's
    // load once took longer than 15 s, hence a generous bound (it is a wait, not a timing).
    const deadline = Date.now() + 60_000;
    while (!(await client.schedule.getHandle(scheduleId).describe()).state.paused) {
      assert.ok(Date.now() < deadline, "the pause never became visible");
      await new Promise((r) => setTimeout(r, 100));
    }
    const again = await claimsJson<EnsureResult>(["schedule", "ensure"]);
    assert.equal(again.action, "updated");

    const ids: string[] = [];
    for await (const s of client.schedule.list()) ids.push(s.scheduleId);
    assert.equal(ids.filter((id) => id === scheduleId).length, 1);

    const view = await claimsJson<ScheduleView>(["schedule", "describe"]);
    assert.equal(view.scheduleId, scheduleId);
    assert.equal(view.paused, true, "ensure keeps a paused schedule paused");
    assert.equal(view.taskQueue, taskQueue);
    assert.equal(view.overlap, "BUFFER_ALL", "the last ensure applied SCHEDULE_OVERLAP again");
    assert.equal(view.timezone, "UTC");
    assert.deepEqual(view.calendars, [{
      second: [{ start: 0, end: 0, step: 1 }],
      minute: [{ start: 0, end: 0, step: 1 }],
      hour: [{ start: 13, end: 13, step: 1 }],
      dayOfMonth: [{ start: 1, end: 31, step: 1 }],
      month: [{ start: "JANUARY", end: "DECEMBER", step: 1 }],
      year: [],
      dayOfWeek: [{ start: "SUNDAY", end: "SATURDAY", step: 1 }],
      comment: "daily claims run: claim date = UTC date - 1",
    }]);
  });

  test("a backfill over three past claim dates computes exactly those three dates", async () => {
    const result = await claimsJson<BackfillResult>([
      "schedule",
      "backfill",
      "--from",
      "2025-06-03",
      "--to",
      "2025-06-05",
    ]);
    assert.deepEqual(result.claimDates, ["2025-06-03", "2025-06-04", "2025-06-05"]);
    assert.deepEqual(result.manualRuns, []);

    const summaries = await dailyRunsFor(["2025-06-03", "2025-06-04", "2025-06-05"]);
    for (const [date, s] of summaries) {
      assert.equal(s.nominalTime, `${addDays(date, 1)}T13:00:00.000Z`);
      assert.equal(s.totals.policyDays, 5);
      assert.equal(s.totals.failed + s.totals.contended, 0);
    }
    const rows = await database.sql<{ claim_date: string; n: number }[]>`
      select claim_date::text as claim_date, count(*)::int as n from calculation_ledger
      group by claim_date order by claim_date`;
    assert.deepEqual(rows.map((r) => [r.claim_date, r.n]), [
      ["2025-06-03", 5],
      ["2025-06-04", 5],
      ["2025-06-05", 5],
    ]);
  });

  test("backfill refuses reversed ranges and dates whose run is not due yet (exit 2)", async () => {
    const reversed = await claims([
      "schedule",
      "backfill",
      "--from",
      "2025-06-05",
      "--to",
      "2025-06-03",
    ]);
    assert.equal(reversed.code, 2);
    assert.match(reversed.stderr, /--from 2025-06-05 is after --to 2025-06-03/);
    const future = await claims([
      "schedule",
      "backfill",
      "--from",
      "2025-06-05",
      "--to",
      "2999-01-01",
    ]);
    assert.equal(future.code, 2);
    const soon = addDays(new Date().toISOString().slice(0, 10), 1);
    const due = await claims(["schedule", "backfill", "--from", soon, "--to", soon]);
    assert.equal(due.code, 2);
    assert.match(due.stderr, /in the future/);
  });

  test("trigger runs the daily run now for yesterday (UTC); unpause, then delete", async () => {
    assert.equal((await claims(["schedule", "trigger"])).code, 0);
    const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);
    const summary = (await dailyRunsFor([yesterday])).get(yesterday)!;
    assert.equal(summary.claimDate, yesterday);
    assert.equal(summary.totals.policyDays, 0, "no policy of the data set covers yesterday");

    assert.equal((await claims(["schedule", "unpause"])).code, 0);
    assert.equal((await claimsJson<ScheduleView>(["schedule", "describe"])).paused, false);
    const deleted = await claimsJson<{ deleted: boolean }>(["schedule", "delete"]);
    assert.equal(deleted.deleted, true);
    const missing = await claims(["schedule", "describe"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /does not exist/);
    const again = await claimsJson<{ deleted: boolean }>(["schedule", "delete"]);
    assert.equal(again.deleted, false, "delete is idempotent");
  });

  /** Waits for the schedule's runs of these claim dates and returns their summaries. */
  async function dailyRunsFor(dates: readonly string[]): Promise<Map<string, DailyRunSummary>> {
    const found = new Map<string, DailyRunSummary>();
    const deadline = Date.now() + 60_000;
    while (found.size < dates.length) {
      assert.ok(Date.now() < deadline, `daily runs of ${dates.join(", ")} did not all finish`);
      const view = await claimsJson<ScheduleView>(["schedule", "describe"]);
      for (const action of view.recent) {
        if (!dates.includes(action.claimDate) || found.has(action.claimDate)) continue;
        const summary = await client.workflow.getHandle(action.workflowId)
          .result() as DailyRunSummary;
        assert.equal(summary.claimDate, action.claimDate);
        found.set(action.claimDate, summary);
      }
      if (found.size < dates.length) await new Promise((r) => setTimeout(r, 200));
    }
    return found;
  }
});
