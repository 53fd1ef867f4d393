/**
 * `claims locks` against real Redis and PostgreSQL: in-process for the output details, as a
 * subprocess for what a shell sees (exit code, one-line error, no password).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { test } from "../../support/test.ts";
import { claimsCommand, currentRuntime } from "../../../scripts/lib/runtimes.ts";
import { useTestDatabase } from "../../support/database.ts";
import { useTestRedis } from "../../support/redis.ts";
import { runCli } from "../../../src/cli/program.ts";
import type { CliIO } from "../../../src/cli/io.ts";
import type { LockInfo } from "../../../src/locks/contract.ts";
import { claimCalcLockKey } from "../../../src/locks/keys.ts";
import { PostgresLockBackend } from "../../../src/locks/postgres/backend.ts";
import { RedisLockBackend } from "../../../src/locks/redis/backend.ts";

const redis = useTestRedis();
const database = useTestDatabase("locks_cli");
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

async function claims(argv: string[], env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { REDIS_URL: redis.url, DATABASE_URL: database.url, ...env },
    cwd: repoRoot,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

test("claims locks lists Redis and PostgreSQL locks with holder, age, TTL (table and --json)", async () => {
  const viaRedis = new RedisLockBackend({ url: redis.url, ttlMs: 30_000 });
  const viaPostgres = new PostgresLockBackend({ url: database.url });
  const other = await database.sql.reserve();
  try {
    const redisKey = claimCalcLockKey("P-cli", "2025-07-01");
    const pgKey = claimCalcLockKey("P-cli", "2025-07-02");
    const redisLease = await viaRedis.tryAcquire(redisKey, { holder: "worker-1/77/attempt-1" });
    const pgLease = await viaPostgres.tryAcquire(pgKey, { holder: "worker-2/88/attempt-2" });
    assert.ok(redisLease && pgLease);
    await other`select pg_advisory_lock(4242)`; // some other tool's lock, shown by id

    const json = await claims(["locks", "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const locks = JSON.parse(json.stdout) as LockInfo[];
    const byKey = new Map(locks.map((lock) => [lock.key, lock]));
    const fromRedis = byKey.get(redisKey);
    assert.equal(fromRedis?.backend, "redis");
    assert.equal(fromRedis?.holder, "worker-1/77/attempt-1");
    assert.equal(fromRedis?.fencingToken, String(redisLease.fencingToken));
    assert.ok(fromRedis.ttlMs !== null && fromRedis.ttlMs > 25_000 && fromRedis.ttlMs <= 30_000);
    assert.ok(fromRedis.since !== null && Math.abs(Date.now() - fromRedis.since) < 10_000);
    const fromPostgres = byKey.get(pgKey);
    assert.equal(fromPostgres?.backend, "postgres");
    assert.equal(fromPostgres?.holder, "worker-2/88/attempt-2");
    assert.equal(fromPostgres?.ttlMs, null);
    assert.match(byKey.get("advisory:4242")?.holder ?? "", /^pid \d+/);

    const table = await claims(["locks"]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^BACKEND\s+KEY\s+HOLDER\s+AGE\s+TTL\s+TOKEN$/);
    const redisLine = lines.find((line) => line.includes(redisKey));
    assert.match(
      redisLine ?? "",
      /^redis\s+\S+\s+worker-1\/77\/attempt-1\s+\d+(ms|\.\ds)\s+\d+\.\ds\s+\d+$/,
    );
    assert.ok(lines.some((line) => /^postgres\s/.test(line) && line.includes(pgKey)));

    const onlyRedis = JSON.parse((await claims(["locks", "--json", "--backend", "redis"])).stdout);
    assert.deepEqual(onlyRedis.map((lock: LockInfo) => lock.key), [redisKey]);
    const prefixed = await claims([
      "locks",
      "--json",
      "--prefix",
      "lock:claim_calc:P-cli:2025-07-02",
    ]);
    assert.deepEqual(JSON.parse(prefixed.stdout).map((lock: LockInfo) => lock.key), [pgKey]);
    const none = await claims(["locks", "--prefix", "lock:nothing-here:"]);
    assert.equal(none.stdout, "no locks held\n");
    const bad = await claims(["locks", "--backend", "etcd"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--backend must be one of redis, postgres, all, got "etcd"/);
  } finally {
    await other`select pg_advisory_unlock_all()`;
    other.release();
    await Promise.all([viaRedis.close(), viaPostgres.close()]);
  }
});

test("claims locks: a service down is one line naming it, exit 3, and no password", async () => {
  const redisDown = await claims(["locks"], { REDIS_URL: "redis://:s3cret-r@127.0.0.1:1/0" });
  assert.equal(redisDown.code, 3);
  assert.match(
    redisDown.stderr,
    /^error: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0 .*REDIS_URL.*ECONNREFUSED/,
  );
  assert.equal(redisDown.stderr.trimEnd().split("\n").length, 1);
  assert.doesNotMatch(redisDown.stderr + redisDown.stdout, /s3cret/);

  const pgDown = await claims(["locks", "--backend", "postgres"], {
    DATABASE_URL: "postgres://claims:s3cret-p@127.0.0.1:1/claims",
  });
  assert.equal(pgDown.code, 3);
  assert.match(
    pgDown.stderr,
    /^error: cannot reach PostgreSQL at postgres:\/\/claims:\*\*\*@127\.0\.0\.1:1\/claims .*DATABASE_URL/,
  );
  assert.doesNotMatch(pgDown.stderr + pgDown.stdout, /s3cret/);
});

test("claims locks as a subprocess: exit code and stderr as a shell sees them", async () => {
  const { command, args } = claimsCommand(currentRuntime, ["locks"]);
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      REDIS_URL: "redis://:s3cret@127.0.0.1:1/0",
      DATABASE_URL: database.url,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  assert.equal(code, 3, stderr);
  assert.match(stderr, /^error: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0/);
  assert.doesNotMatch(stderr, /s3cret/);
});
