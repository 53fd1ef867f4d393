/**
 * Leases over time: automatic extension (one timer per batch), the signal when a lease runs
 * out without extension, and when its server stops answering (a silent network partition).
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "../../support/test.ts";
import { useTestDatabase } from "../../support/database.ts";
import { useTestRedis } from "../../support/redis.ts";
import { LockLostError } from "../../../src/locks/errors.ts";
import { refreshIntervalFor } from "../../../src/locks/keeper.ts";
import { PostgresLockBackend } from "../../../src/locks/postgres/backend.ts";
import { RedisLockBackend } from "../../../src/locks/redis/backend.ts";
import { startTcpProxy } from "./fixtures/tcp-proxy.ts";

const redis = useTestRedis();
const database = useTestDatabase("locks_extension");

function abortedWithin(signal: AbortSignal, ms: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    if (signal.aborted) return resolve(0);
    const timer = setTimeout(() => reject(new Error(`signal did not fire within ${ms} ms`)), ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    }, { once: true });
  });
}

test("redis: automatic extension keeps a lease held well past its TTL", async () => {
  const backend = new RedisLockBackend({ url: redis.url, ttlMs: 300 });
  const other = new RedisLockBackend({ url: redis.url });
  try {
    const lease = await backend.tryAcquire("lock:test:auto-extend");
    assert.ok(lease);
    for (let i = 0; i < 6; i++) {
      await sleep(200);
      assert.equal(await other.tryAcquire("lock:test:auto-extend"), null, `taken at ${i}`);
      const pttl = await redis.redis.pttl("lock:test:auto-extend");
      assert.ok(pttl > 0 && pttl <= 300, `PTTL ${pttl}`);
    }
    assert.equal(lease.signal.aborted, false);
    assert.equal(await lease.release(), true);
    assert.equal(await redis.redis.exists("lock:test:auto-extend"), 0);
  } finally {
    await Promise.all([backend.close(), other.close()]);
  }
});

test("redis: without automatic extension the signal fires when the TTL runs out", async () => {
  const backend = new RedisLockBackend({ url: redis.url });
  try {
    const lease = await backend.tryAcquire("lock:test:no-extend", {
      ttlMs: 250,
      autoExtend: false,
    });
    assert.ok(lease);
    const firedAfter = await abortedWithin(lease.signal, 2_000);
    assert.ok(firedAfter <= 300, `fired after ${firedAfter.toFixed(0)} ms`);
    assert.ok(lease.signal.reason instanceof LockLostError);
    await sleep(50);
    assert.equal(await redis.redis.exists("lock:test:no-extend"), 0, "expired in Redis too");
    // A lease extended by hand lives on.
    const manual = await backend.tryAcquire("lock:test:no-extend", {
      ttlMs: 250,
      autoExtend: false,
    });
    assert.ok(manual);
    await sleep(150);
    assert.equal(await manual.extend(1_000), true);
    await sleep(200);
    assert.equal(manual.signal.aborted, false, "the manual extension moved the expiry");
    assert.equal(await manual.release(), true);
  } finally {
    await backend.close();
  }
});

test("redis: a silent partition from Redis fires the signal before the TTL ends", async () => {
  const target = new URL(redis.url);
  const proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
  const url = `redis://127.0.0.1:${proxy.port}${target.pathname}`;
  const backend = new RedisLockBackend({ url, ttlMs: 600 });
  const direct = new RedisLockBackend({ redis: redis.redis });
  try {
    const lease = await backend.tryAcquire("lock:test:partition");
    assert.ok(lease);
    await sleep(250); // one extension went through
    proxy.partition();
    const partitionedAt = performance.now();
    const firedAfter = await abortedWithin(lease.signal, 3_000);
    assert.ok(firedAfter <= 650, `fired ${firedAfter.toFixed(0)} ms after the partition`);
    assert.ok(lease.signal.reason instanceof LockLostError);
    // Redis frees the key by itself; another holder (with a working network) gets it.
    const next = await direct.acquire("lock:test:partition", { timeoutMs: 2_000 });
    assert.ok(next, "free after the TTL");
    assert.ok(performance.now() - partitionedAt >= firedAfter, "signal before the takeover");
    await next.release();
  } finally {
    await proxy.close();
    await Promise.all([backend.close(), direct.close()]);
  }
});

test("redis: a batch of 200 leases is kept alive by one timer", async () => {
  const ttlMs = 600;
  const interval = refreshIntervalFor(ttlMs);
  const backend = new RedisLockBackend({ url: redis.url, ttlMs });
  const keys = Array.from({ length: 200 }, (_, i) => `lock:test:batch-keep:${i}`);
  const realSetTimeout = globalThis.setTimeout;
  let refreshTimers = 0;
  globalThis.setTimeout = ((fn: () => void, ms?: number, ...args: unknown[]) => {
    if (ms === interval) refreshTimers++;
    return Reflect.apply(realSetTimeout, globalThis, [fn, ms, ...args]);
  }) as typeof setTimeout;
  try {
    const group = await backend.tryAcquireGroup(keys);
    assert.equal(group.leases.size, 200);
    await sleep(ttlMs * 2);
    globalThis.setTimeout = realSetTimeout;
    // ~4 periods in 1.2 s: one timer per period for the batch, not one per lease.
    assert.ok(refreshTimers >= 3 && refreshTimers <= 6, `${refreshTimers} refresh timers`);
    assert.equal(group.signal.aborted, false);
    const pttls = await Promise.all(keys.map((key) => redis.redis.pttl(key)));
    assert.ok(pttls.every((pttl) => pttl > 0), "every key still held after two TTLs");
    assert.equal(await group.releaseAll(), 200);
  } finally {
    globalThis.setTimeout = realSetTimeout;
    await backend.close();
  }
});

test("postgres: leases live with the session; closing the backend ends them and fires their signals", async () => {
  const backend = new PostgresLockBackend({ url: database.url, ttlMs: 300 });
  const other = new PostgresLockBackend({ url: database.url });
  try {
    const lease = await backend.tryAcquire("lock:test:pg-session", { autoExtend: true });
    const quiet = await backend.tryAcquire("lock:test:pg-quiet", { autoExtend: false });
    assert.ok(lease && quiet);
    await sleep(700); // past the check period several times: nothing expires
    assert.equal(lease.signal.aborted, false);
    assert.equal(quiet.signal.aborted, false);
    assert.equal(await lease.extend(), true, "the session still holds it");
    assert.equal(await other.isLocked("lock:test:pg-quiet"), true);
    await backend.close();
    assert.ok(lease.signal.reason instanceof LockLostError);
    assert.ok(quiet.signal.reason instanceof LockLostError);
    assert.equal(await other.isLocked("lock:test:pg-session"), false);
    assert.equal(await other.isLocked("lock:test:pg-quiet"), false);
    assert.equal(await lease.release(), false);
  } finally {
    await Promise.all([backend.close(), other.close()]);
  }
});
