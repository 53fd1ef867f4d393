/**
 * The lock contract (SPEC §5), one suite run against both backends on real servers: every
 * behaviour below is a test for Redis and a test for PostgreSQL. Each backend instance has its
 * own connection, as separate processes would; crash and pause tests use real child processes.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "../../support/test.ts";
import { useTestDatabase } from "../../support/database.ts";
import { useTestRedis } from "../../support/redis.ts";
import type { Lease, LockBackend } from "../../../src/locks/contract.ts";
import { LockLostError, LockNotAcquiredError } from "../../../src/locks/errors.ts";
import { claimCalcLockKey } from "../../../src/locks/keys.ts";
import { PostgresLockBackend } from "../../../src/locks/postgres/backend.ts";
import { lockIdOf } from "../../../src/locks/postgres/lock-id.ts";
import { RedisLockBackend } from "../../../src/locks/redis/backend.ts";
import { ErrorCodes } from "../../../src/errors.ts";
import { startHolder } from "./fixtures/holder-process.ts";
import { type FencedWriteFixture, fencedWriteFixture } from "./fixtures/fenced-write.ts";

const redis = useTestRedis();
const database = useTestDatabase("locks_contract");

interface Harness {
  name: "redis" | "postgres";
  /** What the child holder process connects to. */
  url(): string;
  /** A backend on its own connection, as another process would have. */
  make(options?: { ttlMs?: number }): LockBackend;
  /**
   * Makes whoever holds `key` lose it the way this backend loses leases: Redis by letting the
   * TTL run out (the holder must not be extending), PostgreSQL by ending the holder's session.
   * Resolves when the key is free.
   */
  loseHolderOf(key: string): Promise<void>;
  /** Options under which `loseHolderOf` can take a lease away (Redis: short TTL, no extension). */
  losable: { ttlMs?: number; autoExtend?: boolean };
}

async function waitUntilFree(backend: LockBackend, key: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (await backend.isLocked(key)) {
    if (Date.now() > deadline) assert.fail(`"${key}" still locked after ${timeoutMs} ms`);
    await sleep(10);
  }
}

const redisHarness: Harness = {
  name: "redis",
  url: () => redis.url,
  make: (options = {}) => new RedisLockBackend({ url: redis.url, ttlMs: options.ttlMs ?? 10_000 }),
  async loseHolderOf(key) {
    const probe = new RedisLockBackend({ redis: redis.redis });
    try {
      await waitUntilFree(probe, key, 5_000);
    } finally {
      await probe.close();
    }
  },
  losable: { ttlMs: 300, autoExtend: false },
};

const postgresHarness: Harness = {
  name: "postgres",
  url: () => database.url,
  make: (options = {}) =>
    new PostgresLockBackend({ url: database.url, ttlMs: options.ttlMs ?? 10_000 }),
  async loseHolderOf(key) {
    const rows = await database.sql<{ pid: number }[]>`
      select l.pid from pg_locks l
      where l.locktype = 'advisory' and l.objsubid = 1 and l.granted
        and (l.classid::bigint << 32) | l.objid::bigint = ${lockIdOf(key).toString()}::bigint`;
    assert.ok(rows.length > 0, `nobody holds "${key}" in PostgreSQL`);
    for (const { pid } of rows) await database.sql`select pg_terminate_backend(${pid})`;
    const probe = new PostgresLockBackend({ url: database.url });
    try {
      await waitUntilFree(probe, key, 5_000);
    } finally {
      await probe.close();
    }
  },
  losable: {},
};

/** Opens `n` backends (connections warmed up), runs `fn`, closes them whatever happens. */
async function withBackends<T>(
  harness: Harness,
  n: number,
  fn: (backends: LockBackend[]) => Promise<T>,
  options: { ttlMs?: number } = {},
): Promise<T> {
  const backends = Array.from({ length: n }, () => harness.make(options));
  try {
    // Connect before the race so that "at the same moment" is not skewed by connection setup.
    await Promise.all(backends.map((b) => b.isLocked("lock:test:warm-up")));
    return await fn(backends);
  } finally {
    await Promise.all(backends.map((b) => b.close()));
  }
}

let sequence = 0;
function freshKey(label: string): string {
  sequence++;
  return `lock:test:${label}:${sequence}:${Math.random().toString(36).slice(2, 8)}`;
}

const held = (leases: (Lease | null)[]): Lease[] => leases.filter((l): l is Lease => l !== null);

for (const h of [redisHarness, postgresHarness]) {
  test(`${h.name}: 3 contenders on 3 connections at the same moment, exactly one wins`, async () => {
    await withBackends(h, 3, async (backends) => {
      for (let round = 0; round < 5; round++) {
        const key = freshKey("race");
        const started = performance.now();
        const results = await Promise.all(backends.map((b) => b.tryAcquire(key)));
        const elapsed = performance.now() - started;
        const winners = held(results);
        assert.equal(winners.length, 1, `round ${round}: ${winners.length} winners`);
        // Losers hear "not acquired" at once: no waiting inside tryAcquire.
        assert.ok(elapsed < 1_000, `try-acquire took ${elapsed.toFixed(0)} ms`);
        const winner = winners[0]!;
        assert.equal(winner.key, key);
        assert.ok(winner.fencingToken > 0n);
        assert.equal(await winner.release(), true);
      }
    });
  });

  test(`${h.name}: release lets the next contender in; the same holder re-acquires after release`, async () => {
    await withBackends(h, 2, async ([a, b]) => {
      const key = freshKey("handover");
      const first = await a!.tryAcquire(key);
      assert.ok(first);
      assert.equal(await b!.tryAcquire(key), null);
      assert.equal(await a!.tryAcquire(key), null, "not re-entrant while held");
      assert.equal(await first.release(), true);
      const second = await b!.tryAcquire(key);
      assert.ok(second, "the next contender gets it after release");
      assert.ok(second.fencingToken > first.fencingToken);
      assert.equal(await second.release(), true);
      const again = await a!.tryAcquire(key);
      assert.ok(again, "the first holder can acquire again");
      assert.equal(again.holder, first.holder);
      assert.ok(again.fencingToken > second.fencingToken);
      assert.equal(await again.release(), true);
    });
  });

  test(`${h.name}: acquire with a 200 ms timeout while held returns null after >= 200 ms`, async () => {
    await withBackends(h, 2, async ([a, b]) => {
      const key = freshKey("timeout");
      const lease = await a!.tryAcquire(key);
      assert.ok(lease);
      const started = performance.now();
      const result = await b!.acquire(key, { timeoutMs: 200 });
      const elapsed = performance.now() - started;
      assert.equal(result, null);
      assert.ok(elapsed >= 200, `gave up after ${elapsed.toFixed(1)} ms`);
      assert.ok(elapsed < 1_500, `gave up only after ${elapsed.toFixed(1)} ms`);

      // A waiting contender gets the lock as soon as it is released.
      const waiting = b!.acquire(key, { timeoutMs: 5_000, retryDelayMs: 10 });
      await sleep(100);
      await lease.release();
      const next = await waiting;
      assert.ok(next, "acquired once released");
      assert.ok(next.fencingToken > lease.fencingToken);
      await next.release();
    });
  });

  test(`${h.name}: different keys never contend (3 keys, 3 winners)`, async () => {
    await withBackends(h, 3, async (backends) => {
      const keys = [freshKey("k1"), freshKey("k2"), freshKey("k3")];
      const leases = held(await Promise.all(backends.map((b, i) => b.tryAcquire(keys[i]!))));
      assert.equal(leases.length, 3);
      assert.deepEqual(leases.map((l) => l.key), keys);
      for (const lease of leases) assert.equal(await lease.release(), true);
    });
  });

  test(`${h.name}: withLock releases when the function throws; the error reaches the caller unchanged`, async () => {
    await withBackends(h, 2, async ([a, b]) => {
      const key = freshKey("with-lock");
      const boom = new Error("calculation failed");
      let sawLock = false;
      await assert.rejects(
        a!.withLock(key, async (lease) => {
          sawLock = await b!.isLocked(key);
          assert.equal(lease.key, key);
          throw boom;
        }),
        (error) => error === boom,
      );
      assert.equal(sawLock, true, "held while the function ran");
      assert.equal(await b!.isLocked(key), false, "released after the throw");

      assert.equal(await a!.withLock(key, () => Promise.resolve(42)), 42);
      assert.equal(await b!.isLocked(key), false, "released after success");

      // Not acquired: LockNotAcquiredError naming the key; the function never runs.
      const blocker = await b!.tryAcquire(key);
      assert.ok(blocker);
      let ran = false;
      await assert.rejects(
        a!.withLock(key, () => {
          ran = true;
          return Promise.resolve();
        }),
        (error: unknown) =>
          error instanceof LockNotAcquiredError && error.code === ErrorCodes.LOCK_NOT_ACQUIRED &&
          error.key === key && error.message.includes(key),
      );
      await assert.rejects(
        a!.withLock(key, () => Promise.resolve(), { timeoutMs: 100 }),
        (error: unknown) => error instanceof LockNotAcquiredError && /100 ms/.test(error.message),
      );
      assert.equal(ran, false);
      await blocker.release();
    });
  });

  test(`${h.name}: release twice is a no-op; a lost lease's release leaves the new holder's lock alone`, async () => {
    await withBackends(h, 2, async ([a, b]) => {
      const key = freshKey("release-twice");
      const lease = await a!.tryAcquire(key);
      assert.ok(lease);
      const [first, second] = await Promise.all([lease.release(), lease.release()]);
      assert.deepEqual([first, second], [true, false]);
      const started = performance.now();
      assert.equal(await lease.release(), false);
      assert.ok(performance.now() - started < 50, "a no-op release does not touch the server");
      assert.equal(await lease.extend(), false);

      // Taken over: A's lease is lost (expired / session ended), B holds the key now.
      const old = await a!.tryAcquire(key, h.losable);
      assert.ok(old);
      await h.loseHolderOf(key);
      const current = await b!.tryAcquire(key);
      assert.ok(current, "B takes the key over");
      const releaseStarted = performance.now();
      assert.equal(await old.release(), false, "nothing of A's left to release");
      // node-redlock #309/#313: releasing an expired lock must not hang or retry.
      assert.ok(performance.now() - releaseStarted < 500);
      assert.equal(await b!.isLocked(key), true, "B's lock untouched");
      assert.equal(await current.extend(), true, "B still holds it");
      assert.equal(await old.extend(), false);
      assert.equal(old.signal.aborted, true, "A heard of the loss");
      assert.ok(old.signal.reason instanceof LockLostError);
      assert.equal(await current.release(), true);
    });
  });

  test(`${h.name}: isLocked before, during, after; list shows the held key with its holder`, async () => {
    await withBackends(h, 2, async ([a, b]) => {
      const key = claimCalcLockKey(`P-list-${sequence++}`, "2025-03-01");
      assert.equal(await b!.isLocked(key), false);
      const lease = await a!.tryAcquire(key, { holder: "ops-test/1234/manual/attempt-1" });
      assert.ok(lease);
      assert.equal(await b!.isLocked(key), true);
      const listed = (await b!.list("lock:claim_calc:")).find((lock) => lock.key === key);
      assert.ok(listed, "listed");
      assert.equal(listed.backend, h.name);
      assert.equal(listed.holder, "ops-test/1234/manual/attempt-1");
      assert.equal(listed.fencingToken, String(lease.fencingToken));
      assert.ok(listed.since !== null && Math.abs(listed.since - Date.now()) < 5_000);
      if (h.name === "redis") assert.ok(listed.ttlMs !== null && listed.ttlMs <= 10_000);
      else assert.equal(listed.ttlMs, null);
      assert.equal((await b!.list("lock:other:")).some((lock) => lock.key === key), false);
      await lease.release();
      assert.equal(await b!.isLocked(key), false);
      assert.equal((await b!.list()).some((lock) => lock.key === key), false);
    });
  });

  test(`${h.name}: a crashed holder (SIGKILL) frees the key`, async () => {
    const key = freshKey("crash");
    const ttlMs = 1_000;
    const child = startHolder({ backend: h.name, url: h.url(), key, ttlMs, autoExtend: true });
    try {
      await child.next("acquired");
      await withBackends(h, 1, async ([probe]) => {
        assert.equal(await probe!.isLocked(key), true);
        child.signal("SIGKILL");
        await child.exited;
        const killedAt = performance.now();
        if (h.name === "redis") {
          // Nobody extends a killed process's lease: it frees when its TTL runs out.
          assert.equal(await probe!.isLocked(key), true, "still held right after the kill");
          const lease = await probe!.acquire(key, { timeoutMs: ttlMs + 2_000, retryDelayMs: 10 });
          assert.ok(lease, "free after the TTL");
          assert.ok(performance.now() - killedAt <= ttlMs + 500);
          await lease.release();
        } else {
          // The server ends the session when the socket closes: free at once.
          const lease = await probe!.acquire(key, { timeoutMs: 1_000, retryDelayMs: 10 });
          assert.ok(lease, "free at once");
          await lease.release();
        }
      });
    } finally {
      await child.stop();
    }
  });

  test(`${h.name}: fencing tokens strictly increase across 50 concurrent acquire/release cycles`, async () => {
    await withBackends(h, 5, async (backends) => {
      const key = freshKey("fence");
      const tokens: bigint[] = [];
      await Promise.all(backends.map(async (backend) => {
        for (let i = 0; i < 10; i++) {
          const lease = await backend.acquire(key, { timeoutMs: 20_000, retryDelayMs: 2 });
          assert.ok(lease, "acquired within 20 s");
          // Recorded while held: the order of this array is the order of the holds.
          tokens.push(lease.fencingToken);
          assert.equal(await lease.release(), true);
        }
      }));
      assert.equal(tokens.length, 50);
      for (let i = 1; i < tokens.length; i++) {
        assert.ok(tokens[i]! > tokens[i - 1]!, `token ${i}: ${tokens[i]} after ${tokens[i - 1]}`);
      }
    });
  });

  test(`${h.name}: a holder paused past its lease (SIGSTOP) sees its signal fire; its late write is refused`, async () => {
    const fixture: FencedWriteFixture = await fencedWriteFixture(database, `P-zombie-${h.name}`);
    const key = claimCalcLockKey(fixture.policyId, fixture.claimDate);
    const child = startHolder({
      backend: h.name,
      url: h.url(),
      key,
      ttlMs: 1_000,
      autoExtend: true,
      write: {
        databaseUrl: database.url,
        policyId: fixture.policyId,
        claimDate: fixture.claimDate,
        candidates: fixture.zombieCandidates,
      },
    });
    try {
      const acquired = await child.next("acquired");
      child.signal("SIGSTOP");
      await h.loseHolderOf(key);
      await withBackends(h, 1, async ([backend]) => {
        const lease = await backend!.tryAcquire(key);
        assert.ok(lease, "taken over while the old holder sleeps");
        assert.ok(lease.fencingToken > BigInt(acquired["token"] as string));
        const outcome = await fixture.writeAsNewHolder(lease.fencingToken);
        assert.equal(outcome.status, "computed");

        child.signal("SIGCONT");
        const lost = await child.next("lost", 10_000);
        assert.match(String(lost["reason"]), /lost/);
        const wrote = await child.next("wrote", 20_000);
        // The zombie computed other candidates than the new holder: not the same computation,
        // so refused (stale_token), never applied, and recorded as refused.
        assert.equal(
          wrote["status"],
          "refused",
          "the zombie's write with the old token is refused",
        );
        assert.equal(wrote["refusal"], "stale_token");
        assert.equal(wrote["ledgerFenceToken"], String(lease.fencingToken));
        await lease.release();
      });
      await fixture.assertStoredAsNewHolder();
    } finally {
      await child.stop();
    }
  });

  test(`${h.name}: a batch (tryAcquireGroup) skips held keys, extends and releases together, signals a loss`, async () => {
    await withBackends(h, 2, async ([a, b]) => {
      const keys = Array.from({ length: 60 }, (_, i) => freshKey(`batch-${i}`));
      const taken = keys.filter((_, i) => i % 3 === 0);
      const other = await b!.tryAcquireMany(taken);
      assert.equal(other.size, taken.length);

      const group = await a!.tryAcquireGroup([...keys, keys[1]!]);
      assert.equal(group.leases.size, keys.length - taken.length);
      for (const key of taken) assert.equal(group.leases.has(key), false);
      const tokens = [...group.leases.values()].map((l) => l.fencingToken);
      assert.equal(new Set(tokens).size, tokens.length);
      assert.deepEqual(await group.extendAll(), []);
      assert.equal(group.signal.aborted, false);

      // One lease leaves early on its own; releaseAll releases the rest in one go.
      const single = group.leases.get(keys[1]!)!;
      assert.equal(await single.release(), true);
      assert.equal(await group.releaseAll(), group.leases.size - 1);
      assert.equal(await group.releaseAll(), 0);
      for (const key of keys) {
        assert.equal(await a!.isLocked(key), taken.includes(key), key);
      }

      // A loss in a batch fires the batch's signal with that lease's LockLostError.
      const second = await a!.tryAcquireGroup(keys.slice(0, 6), h.losable);
      const victim = [...second.leases.keys()][0]!;
      await h.loseHolderOf(victim);
      await second.extendAll();
      assert.equal(second.signal.aborted, true);
      assert.ok(second.signal.reason instanceof LockLostError);
      await second.releaseAll();
      for (const lease of other.values()) await lease.release();
    });
  });
}

test("redis: the key is lock:claim_calc:<policyId>:<date> with the configured TTL, held exactly while the work runs", async () => {
  const { loadConfig } = await import("../../../src/config.ts");
  const { createLockBackend } = await import("../../../src/locks/factory.ts");
  const config = loadConfig({ LOCK_TTL_MS: "45000", REDIS_URL: redis.url });
  const backend = createLockBackend(config, { redis: redis.redis });
  try {
    assert.equal(backend.name, "redis");
    const key = claimCalcLockKey("P-42.a_b", "2024-02-29");
    assert.equal(key, "lock:claim_calc:P-42.a_b:2024-02-29");
    assert.equal(await redis.redis.exists(key), 0, "not taken before the work");
    const during = await backend.withLock(key, async (lease) => {
      const [pttl, value, fenceTtl] = await Promise.all([
        redis.redis.pttl(key),
        redis.redis.get(key),
        redis.redis.pttl("fence:claim_calc:P-42.a_b:2024-02-29"),
      ]);
      return { pttl, value: JSON.parse(value!) as Record<string, unknown>, fenceTtl, lease };
    });
    assert.ok(during.pttl > 45_000 - 2_000 && during.pttl <= 45_000, `PTTL ${during.pttl}`);
    assert.equal(during.value["holder"], during.lease.holder);
    assert.equal(during.value["token"], String(during.lease.fencingToken));
    assert.ok(during.fenceTtl > 45_000, "the fence counter expires too, later than the lock");
    assert.equal(await redis.redis.exists(key), 0, "released after the work");

    const failure = new Error("write failed");
    await assert.rejects(
      backend.withLock(key, async () => {
        assert.equal(await redis.redis.exists(key), 1);
        throw failure;
      }),
      (error) => error === failure,
    );
    assert.equal(await redis.redis.exists(key), 0, "released after an error too");
    // The shared client stays open for its owner.
    await backend.close();
    assert.equal(await redis.redis.ping(), "PONG");
  } finally {
    await backend.close();
  }
});

test("fencing tokens keep increasing when the counter is forgotten and across a backend switch", async () => {
  const key = claimCalcLockKey("P-switch", "2025-06-30");
  const viaRedis = new RedisLockBackend({ url: redis.url });
  const viaPostgres = new PostgresLockBackend({ url: database.url });
  try {
    const tokens: bigint[] = [];
    const cycle = async (backend: LockBackend) => {
      const lease = await backend.tryAcquire(key);
      assert.ok(lease);
      tokens.push(lease.fencingToken);
      await lease.release();
    };
    await cycle(viaRedis);
    await redis.redis.del("fence:claim_calc:P-switch:2025-06-30"); // a Redis restart without persistence
    await cycle(viaRedis);
    await cycle(viaPostgres);
    await database.sql`delete from lock_fences where key = ${key}`;
    await cycle(viaPostgres);
    await cycle(viaRedis);
    for (let i = 1; i < tokens.length; i++) {
      assert.ok(tokens[i]! > tokens[i - 1]!, `token ${i}: ${tokens[i]} after ${tokens[i - 1]}`);
    }

    // A counter ahead of the clock (bursts, a clock stepped back) wins: previous + 1.
    const ahead = tokens.at(-1)! + 10_000_000_000n;
    await redis.redis.set("fence:claim_calc:P-switch:2025-06-30", ahead.toString());
    const fromRedis = await viaRedis.tryAcquire(key);
    assert.equal(fromRedis?.fencingToken, ahead + 1n);
    assert.equal(JSON.parse((await redis.redis.get(key))!).token, String(ahead + 1n));
    assert.equal(await fromRedis.release(), true, "the stored value carries the fixed-up token");
    await database
      .sql`update lock_fences set token = ${ahead.toString()}::bigint where key = ${key}`;
    const fromPostgres = await viaPostgres.tryAcquire(key);
    assert.equal(fromPostgres?.fencingToken, ahead + 1n);
    assert.equal(await fromPostgres.release(), true);
  } finally {
    await Promise.all([viaRedis.close(), viaPostgres.close()]);
  }
});
