/**
 * What only the PostgreSQL backend has: transaction-scoped advisory locks, leadership guards,
 * and the lock-id derivation operators repeat in SQL.
 */
import assert from "node:assert/strict";
import { test } from "../../support/test.ts";
import { useTestDatabase } from "../../support/database.ts";
import { LockLostError, LockNotAcquiredError } from "../../../src/locks/errors.ts";
import { claimCalcLockKey, leaderLockKey } from "../../../src/locks/keys.ts";
import { PostgresLockBackend } from "../../../src/locks/postgres/backend.ts";
import { acquireLeadership } from "../../../src/locks/postgres/leadership.ts";
import { listPostgresLocks } from "../../../src/locks/postgres/list.ts";
import { lockIdOf } from "../../../src/locks/postgres/lock-id.ts";
import { tryXactLock } from "../../../src/locks/postgres/xact.ts";

const database = useTestDatabase("locks_postgres");

test("postgres: transaction locks are released by commit and by rollback", async () => {
  const key = claimCalcLockKey("P-xact", "2025-05-01");
  const other = new PostgresLockBackend({ url: database.url });
  const storedToken = async () =>
    (await database.sql<{ token: bigint }[]>`select token from lock_fences where key = ${key}`)[0]
      ?.token;
  try {
    let committed = 0n;
    await database.sql.begin(async (tx) => {
      const lock = await tryXactLock(tx, key, { holder: "xact-holder" });
      assert.ok(lock);
      committed = lock.fencingToken;
      assert.equal(await other.isLocked(key), true);
      assert.equal(await other.tryAcquire(key), null, "a session lock waits for the transaction");
      await database.sql.begin(async (tx2) => {
        assert.equal(await tryXactLock(tx2, key), null, "so does another transaction");
      });
      // Its fence row commits with the transaction, so until then it is listed by id.
      const byId = (await other.list()).find((l) => l.key === `advisory:${lockIdOf(key)}`);
      assert.match(byId?.holder ?? "", /^pid \d+/);
    });
    assert.equal(await other.isLocked(key), false, "released by COMMIT");
    assert.equal(await storedToken(), committed);

    const failure = new Error("write failed: roll back");
    await assert.rejects(
      database.sql.begin(async (tx) => {
        const lock = await tryXactLock(tx, key);
        assert.ok(lock);
        assert.ok(lock.fencingToken > committed);
        assert.equal(await other.isLocked(key), true);
        throw failure;
      }),
      (error) => error === failure,
    );
    assert.equal(await other.isLocked(key), false, "released by ROLLBACK");
    assert.equal(await storedToken(), committed, "the rolled-back token left no trace");

    const lease = await other.tryAcquire(key);
    assert.ok(lease);
    await database.sql.begin(async (tx) => {
      assert.equal(await tryXactLock(tx, key), null, "held as a session lock elsewhere");
    });
    await lease.release();
  } finally {
    await other.close();
  }
});

test("postgres: leadership fails at once while held elsewhere and frees when the leader's connection is terminated", async () => {
  const name = "daily-scheduler";
  const key = leaderLockKey(name);
  const leader = await acquireLeadership(database.url, name, { holder: "leader-A" });
  try {
    assert.equal(leader.key, "lock:leader:daily-scheduler");
    for (const source of [database.url, database.sql]) {
      const started = performance.now();
      await assert.rejects(
        acquireLeadership(source, name),
        (error: unknown) =>
          error instanceof LockNotAcquiredError && error.key === key &&
          error.message.includes("leader-A"),
      );
      assert.ok(performance.now() - started < 1_000, "no waiting, no retry");
    }
    const listed = (await listPostgresLocks(database.sql, key))[0];
    assert.equal(listed?.holder, "leader-A");

    const [holder] = await database.sql<{ pid: number }[]>`
      select l.pid from pg_locks l
      where l.locktype = 'advisory' and l.objsubid = 1 and l.granted
        and (l.classid::bigint << 32) | l.objid::bigint = ${lockIdOf(key).toString()}::bigint`;
    assert.ok(holder);
    await database.sql`select pg_terminate_backend(${holder.pid})`;
    await new Promise<void>((resolve) =>
      leader.signal.aborted
        ? resolve()
        : leader.signal.addEventListener("abort", () => resolve(), { once: true })
    );
    assert.ok(leader.signal.reason instanceof LockLostError);

    // A connection reserved out of a pool works as the dedicated connection too.
    const next = await acquireLeadership(database.sql, name, { holder: "leader-B" });
    assert.ok(next.fencingToken > leader.fencingToken);
    assert.equal(await leader.release(), false, "the old leader has nothing left to release");
    assert.equal(await next.release(), true);
    const third = await acquireLeadership(database.url, name);
    assert.equal(await third.release(), true);
  } finally {
    await leader.release();
  }
});

test("postgres: lock ids equal the SQL derivation documented for operators", async () => {
  const keys = Array.from(
    { length: 200 },
    (_, i) => claimCalcLockKey(`P${i}-${Math.random().toString(36).slice(2)}`, "2025-12-31"),
  );
  const rows = await database.sql<{ key: string; id: string }[]>`
    select key, (('x' || left(encode(sha256(convert_to(key, 'UTF8')), 'hex'), 16))::bit(64)::bigint)::text as id
    from unnest(${keys}::text[]) as key`;
  assert.equal(rows.length, keys.length);
  for (const row of rows) assert.equal(BigInt(row.id), lockIdOf(row.key), row.key);
});
