/**
 * Issue 22: statement_timeout and idle_in_transaction_session_timeout for every session the
 * worker and the CLI open, from DATABASE_STATEMENT_TIMEOUT_MS and
 * DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS (defaults 10 min and 1 min; 0 leaves them unset),
 * shown on real sessions: SHOW reads them, and each one ends what it is meant to end.
 */
import assert from "node:assert/strict";
import { test } from "../../support/test.ts";
import { useTestDatabase } from "../../support/database.ts";
import { loadConfig } from "../../../src/config.ts";
import { connectSql, pgCode, PgCodes, type Sql } from "../../../src/store/connection.ts";
import { storageError } from "../../../src/store/storage-errors.ts";
import { cliEnv, runClaimsProcess } from "../ops/support/cli.ts";

const database = useTestDatabase("session_settings");

async function shown(sql: Sql): Promise<{ statement: string; idle: string }> {
  const [a] = await sql<{ statement_timeout: string }[]>`show statement_timeout`;
  const [b] = await sql<
    { idle_in_transaction_session_timeout: string }[]
  >`show idle_in_transaction_session_timeout`;
  return { statement: a!.statement_timeout, idle: b!.idle_in_transaction_session_timeout };
}

async function withSession<T>(env: Record<string, string>, fn: (sql: Sql) => Promise<T>) {
  const config = loadConfig({ DATABASE_URL: database.url, ...env });
  const sql = connectSql(config.databaseUrl, { max: 1, session: config.database });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

test("the defaults reach the session: statement_timeout 10min, idle in transaction 1min", async () => {
  assert.deepEqual(await withSession({}, shown), { statement: "10min", idle: "1min" });
});

test("the variables set them, and 0 leaves the server's own setting (none here)", async () => {
  const set = {
    DATABASE_STATEMENT_TIMEOUT_MS: "1500",
    DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: "2500",
  };
  assert.deepEqual(await withSession(set, shown), { statement: "1500ms", idle: "2500ms" });
  const off = { DATABASE_STATEMENT_TIMEOUT_MS: "0", DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: "0" };
  assert.deepEqual(await withSession(off, shown), { statement: "0", idle: "0" });
});

test("statement_timeout cancels a statement that runs longer, naming the variable", async () => {
  await withSession({ DATABASE_STATEMENT_TIMEOUT_MS: "200" }, async (sql) => {
    const started = performance.now();
    const error = await sql`select pg_sleep(5)`.then(() => undefined, (e: unknown) => e);
    assert.equal(pgCode(error), PgCodes.QUERY_CANCELED);
    assert.ok(performance.now() - started < 4_000);
    assert.match(
      storageError("reading", error).message,
      /statement timeout .*DATABASE_STATEMENT_TIMEOUT_MS/,
    );
  });
});

test("idle_in_transaction_session_timeout ends a transaction left waiting", async () => {
  await withSession({ DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: "300" }, async (sql) => {
    const error = await sql.begin(async (tx) => {
      await tx`select 1`;
      await new Promise((r) => setTimeout(r, 1_500));
      await tx`select 1`;
    }).then(() => undefined, (e: unknown) => e);
    assert.ok(error, "the transaction must have been ended");
    // PostgreSQL 15 ends the session with 25P03; the driver may see only the closed socket.
    const code = pgCode(error);
    assert.ok(
      code === PgCodes.IDLE_IN_TRANSACTION_TIMEOUT || code === "CONNECTION_CLOSED",
      `got ${code}: ${(error as Error).message}`,
    );
  });
});

test("the variables are validated: an integer from 0 to 86400000 ms, named when wrong", () => {
  for (
    const [name, value] of [
      ["DATABASE_STATEMENT_TIMEOUT_MS", "-1"],
      ["DATABASE_STATEMENT_TIMEOUT_MS", "5m"],
      ["DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS", "86400001"],
    ]
  ) {
    assert.throws(
      () => loadConfig({ [name!]: value! }),
      new RegExp(`${name}: must be an integer`),
      `${name}=${value}`,
    );
  }
});

test("a CLI command's session has the statement timeout: a statement blocked past it ends (exit 1, variable named)", async () => {
  // `report` reads claims; an exclusive lock held here blocks it until the timeout cancels it.
  const blocker = connectSql(database.url, { max: 1, applicationName: "claims-tests" });
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked = () => {};
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  try {
    const held = blocker.begin(async (tx) => {
      await tx`lock table claims in access exclusive mode`;
      locked();
      await released;
    });
    await isLocked;
    const run = await runClaimsProcess(
      ["report", "--from", "2025-03-01", "--to", "2025-03-31"],
      cliEnv(database.url, { DATABASE_STATEMENT_TIMEOUT_MS: "1000" }),
    );
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /statement timeout.*DATABASE_STATEMENT_TIMEOUT_MS/);
    release();
    await held;
  } finally {
    release();
    await blocker.end({ timeout: 5 });
  }
});
