/**
 * Issue 24, point 5: a connection lost in the middle of a command ends it with exit 3 and the
 * service named, never with a raw driver error, and never with exit 1 (which for `verify`
 * means "found a problem": a wrong answer). The commands run as real processes; their
 * PostgreSQL backends are terminated (pg_terminate_backend) while they work: held at a known
 * point by a lock this test holds, or at once while they read. Temporal: the dev server dies
 * while `rerun` waits for its workflow.
 */
import assert from "node:assert/strict";
import { test } from "../../support/test.ts";
import { useTestDatabase } from "../../support/database.ts";
import { connectSql, type Sql } from "../../../src/store/connection.ts";
import { MIGRATION_LOCK_KEY } from "../../../src/store/migrate.ts";
import { startTemporalDevServer } from "../../../scripts/lib/temporal-dev-server.ts";
import { adminDatabaseUrl } from "../../support/env.ts";
import { cliEnv, runClaims, runClaimsProcess } from "./support/cli.ts";
import { event, policy, toJsonLines, useTempDir, writeFile } from "./support/files.ts";
import { snapshot } from "./support/snapshot.ts";

const database = useTestDatabase("killed_connections");
const tmp = useTempDir("killed");

const LOST = /lost the connection to PostgreSQL/;

/** Terminates the backends of `application` on the test database that match `where`. */
async function terminateWhen(
  admin: Sql,
  application: string,
  where: "waiting on a lock" | "in a transaction",
  timeoutMs = 60_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await admin<{ pid: number }[]>`
      select pid from pg_stat_activity
      where datname = ${database.name} and application_name = ${application}
        and pid <> pg_backend_pid()
        and case when ${where} = 'waiting on a lock' then wait_event_type = 'Lock'
                 -- inside a transaction of several statements: not a probe, and not the
                 -- driver's type lookup when it connects (one implicit transaction)
                 else state = 'idle in transaction' or (xact_start < query_start
                   and query not like '%pg_catalog.pg_type%') end`;
    if (rows.length > 0) {
      for (const { pid } of rows) await admin`select pg_terminate_backend(${pid})`;
      return rows.length;
    }
    if (Date.now() > deadline) throw new Error(`no ${application} backend ${where} in time`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Holds `statement` in a transaction until release() (a lock the command will wait for). */
async function holding(sql: Sql, statement: (tx: Sql) => Promise<unknown>) {
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  let ready = () => {};
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  const done = sql.begin(async (tx) => {
    await statement(tx as unknown as Sql);
    ready();
    await released;
    // Nothing of the blocker is kept: the command's effect alone is checked.
    throw new Rollback();
  }).catch((error) => {
    if (!(error instanceof Rollback)) throw error;
  });
  await isReady;
  return {
    async release() {
      release();
      await done;
    },
  };
}

class Rollback extends Error {}

function withAdmin<T>(fn: (admin: Sql, blocker: Sql) => Promise<T>): Promise<T> {
  const admin = connectSql(adminDatabaseUrl, { max: 1, applicationName: "claims-tests" });
  const blocker = connectSql(database.url, { max: 1, applicationName: "claims-tests" });
  return fn(admin, blocker).finally(async () => {
    await admin.end({ timeout: 5 });
    await blocker.end({ timeout: 5 });
  });
}

let seeded: Promise<void> | undefined;
/** Enough policies that `verify` reads for a few seconds (about 20,000 policies, 14 days). */
function seed(): Promise<void> {
  seeded ??= (async () => {
    const run = await runClaims(
      ["seed", "--policies", "20000", "--days", "14", "--events-per-day", "3", "--seed", "kill"],
      cliEnv(database.url),
    );
    assert.equal(run.code, 0, run.stderr);
  })();
  return seeded;
}

test("verify held on a lock, its backend terminated: exit 3, PostgreSQL named", {
  timeout: 180_000,
}, async () => {
  await seed();
  await withAdmin(async (admin, blocker) => {
    // verify reads a page of policies, their claims, then their ledger rows: it waits here.
    const lock = await holding(
      blocker,
      (tx) => tx`lock table calculation_ledger in access exclusive mode`,
    );
    try {
      const running = runClaimsProcess(["verify"], cliEnv(database.url), 120_000);
      assert.equal(await terminateWhen(admin, "claims-cli", "waiting on a lock"), 1);
      const run = await running;
      assert.equal(run.code, 3, run.stdout + run.stderr);
      assert.match(run.stderr, /^error: verifying failed: lost the connection to PostgreSQL/m);
      assert.doesNotMatch(run.stderr + run.stdout, /TypeError|verify: (OK|FAILED)/);
    } finally {
      await lock.release();
    }
  });
});

test("verify terminated while it reads (three times): exit 3 each time, PostgreSQL named", {
  timeout: 300_000,
}, async () => {
  await seed();
  await withAdmin(async (admin) => {
    for (let round = 1; round <= 3; round++) {
      const running = runClaimsProcess(["verify", "--limit", "0"], cliEnv(database.url), 120_000);
      await terminateWhen(admin, "claims-cli", "in a transaction");
      const run = await running;
      assert.equal(run.code, 3, `round ${round}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, LOST, `round ${round}`);
      assert.doesNotMatch(run.stderr, /TypeError/, `round ${round}`);
    }
  });
});

for (const kind of ["policies", "events"] as const) {
  test(`${kind} import terminated half-way: exit 3, PostgreSQL named, nothing written`, {
    timeout: 180_000,
  }, async () => {
    // 6,000 rows: two upserts of 5,000 and 1,000 (IMPORT_BATCH_ROWS). Row 5,500 is held by an
    // uncommitted insert here, so the import waits inside its second upsert, the first done.
    const rows = Array.from({ length: 6_000 }, (_, i) => {
      const id = `K-${kind}-${String(i + 1).padStart(5, "0")}`;
      return kind === "policies" ? policy(id) : event(id);
    });
    const file = writeFile(tmp.path, `${kind}-6000.jsonl`, toJsonLines(rows));
    const held = rows[5_499]!.id;
    await withAdmin(async (admin, blocker) => {
      const before = await snapshot(database.sql);
      const lock = await holding(
        blocker,
        (tx) =>
          kind === "policies"
            ? tx`insert into policies (id, region, currency, sum_insured, timezone, coverage_start,
                 coverage_end, payout_mode, tier1_bps, tier2_bps, tier3_bps, period_cap_bps)
               values (${held}, 'coastal', 'EUR', 1000000, 'UTC', '2025-03-01', '2025-03-31',
                 'once_per_day', 1000, 2500, 5000, 6000)`
            : tx`insert into risk_events (id, region, tier, observed_at, status)
               values (${held}, 'coastal', 'tier1', '2025-03-10T12:00:00Z', 'active')`,
      );
      try {
        const running = runClaimsProcess([kind, "import", file], cliEnv(database.url), 120_000);
        assert.equal(await terminateWhen(admin, "claims-cli", "waiting on a lock"), 1);
        const run = await running;
        assert.equal(run.code, 3, run.stdout + run.stderr);
        assert.match(
          run.stderr,
          /importing .*failed, nothing was written: .*lost the connection to PostgreSQL/,
        );
        assert.doesNotMatch(run.stderr, /TypeError/);
      } finally {
        await lock.release();
      }
      assert.deepEqual(await snapshot(database.sql), before);
    });
  });
}

test("migrate terminated while it waits for the migration lock: exit 3, PostgreSQL named", async () => {
  await withAdmin(async (admin, blocker) => {
    const lock = await holding(
      blocker,
      (tx) => tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`,
    );
    try {
      const running = runClaimsProcess(["migrate"], cliEnv(database.url), 120_000);
      assert.equal(await terminateWhen(admin, "claims-migrate", "waiting on a lock"), 1);
      const run = await running;
      assert.equal(run.code, 3, run.stdout + run.stderr);
      assert.match(run.stderr, /migration failed: lost the connection to PostgreSQL/);
    } finally {
      await lock.release();
    }
  });
});

test("rerun waiting for its workflow when Temporal dies: exit 3, Temporal named", {
  timeout: 180_000,
}, async () => {
  const url = database.url;
  const imported = await runClaims(
    ["policies", "import", writeFile(tmp.path, "kt.jsonl", toJsonLines([policy("KT-1")]))],
    cliEnv(url),
  );
  assert.equal(imported.code, 0, imported.stderr);
  // A dev server of this test's own, and a task queue no worker polls: the rerun waits.
  const dev = await startTemporalDevServer();
  try {
    const running = runClaimsProcess(
      ["rerun", "--policy", "KT-1", "--from", "2025-03-10", "--to", "2025-03-10"],
      cliEnv(url, { TEMPORAL_ADDRESS: dev.address, TEMPORAL_TASK_QUEUE: "nobody-polls-this" }),
      150_000,
    );
    // Started once the workflow exists: poll the server for it.
    const { Client, Connection } = await import("@temporalio/client");
    const connection = await Connection.connect({ address: dev.address });
    try {
      const client = new Client({ connection });
      const deadline = Date.now() + 60_000;
      for (;;) {
        const open = [];
        for await (const w of client.workflow.list({ query: "ExecutionStatus='Running'" })) {
          open.push(w);
        }
        if (open.length > 0) break;
        if (Date.now() > deadline) throw new Error("the rerun workflow never started");
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await connection.close();
    }
    dev.process.kill("SIGKILL");
    const run = await running;
    assert.equal(run.code, 3, run.stdout + run.stderr);
    assert.match(run.stderr, /cannot reach Temporal at 127\.0\.0\.1:\d+/);
  } finally {
    await dev.stop();
  }
});
