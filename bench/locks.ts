/**
 * Lock benchmark (issue 5): acquire+release cycles of each backend against the floor of the
 * same number of round trips on the same connection, measured interleaved (blocks of ten lock
 * cycles and ten floor cycles alternate, so load from anything else on the machine hits both
 * alike: this machine is shared with other test runs).
 *
 *   Redis:      tryAcquire + release (two Lua scripts, token, keeper timer)
 *               vs raw SET NX PX + DEL on the same ioredis client.
 *   PostgreSQL: tryAcquire + release (try-lock + fence upsert in one statement, unlock)
 *               vs two SELECT 1 on the same dedicated connection.
 *   Batches:    tryAcquireGroup of 500 keys + releaseAll (the daily run's batch activity).
 *
 * Targets: each backend's p50 within 1.5x its floor's p50.
 *
 *   node --import tsx bench/locks.ts [--cycles N] [--block N] [--warmup N] [--batch N]
 *     [--runs N] [--max-load L] [--out FILE]
 *
 * --runs repeats the whole measurement (default 5) and the ratios reported are the medians of
 * the runs; --max-load waits (up to 10 minutes in all) before each run until the 1-minute load
 * average is at most L (default 1): latencies of a few hundred microseconds are at the mercy
 * of whatever else the 2 cores run.
 *
 * Uses REDIS_URL and DATABASE_URL (database name replaced by claims_bench_locks, created and
 * migrated here). Writes bench/results/locks.json (make bench-locks). Not part of the tests.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import type postgres from "postgres";
import { describeMachine } from "./lib/machine.ts";
import { median } from "./lib/median.ts";
import { DEFAULTS } from "../src/config.ts";
import { PostgresLockBackend } from "../src/locks/postgres/backend.ts";
import { lockIdOf } from "../src/locks/postgres/lock-id.ts";
import { TRY_LOCK_ONE_SQL, UNLOCK_ONE_SQL } from "../src/locks/postgres/statements.ts";
import { RedisLockBackend } from "../src/locks/redis/backend.ts";
import { runMigrations } from "../src/store/migrate.ts";

const { values: flags } = parseArgs({
  options: {
    cycles: { type: "string", default: "5000" },
    block: { type: "string", default: "10" },
    warmup: { type: "string", default: "500" },
    batch: { type: "string", default: "500" },
    runs: { type: "string", default: "5" },
    "max-load": { type: "string", default: "1" },
    out: { type: "string", default: path.join("bench", "results", "locks.json") },
  },
});

function positiveInt(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new Error(`--${name} must be a positive integer, got "${value}"`);
  }
  return n;
}

const cycles = positiveInt("cycles", flags.cycles);
const block = positiveInt("block", flags.block);
const warmup = positiveInt("warmup", flags.warmup);
const batchSize = positiveInt("batch", flags.batch);
const runs = positiveInt("runs", flags.runs);
const maxLoad = Number(flags["max-load"]);
if (!(maxLoad > 0)) {
  throw new Error(`--max-load must be a positive number, got "${flags["max-load"]}"`);
}
const TARGET_RATIO = 1.5;

interface Summary {
  cycles: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  cyclesPerSec: number;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const total = samples.reduce((sum, x) => sum + x, 0);
  return {
    cycles: samples.length,
    p50Ms: round3(at(0.5)),
    p99Ms: round3(at(0.99)),
    meanMs: round3(total / samples.length),
    cyclesPerSec: Math.round(samples.length / (total / 1000)),
  };
}

/** Runs `a` and `b` in alternating blocks; per-cycle latencies of each. */
async function interleaved(
  a: (i: number) => Promise<void>,
  b: (i: number) => Promise<void>,
): Promise<[number[], number[]]> {
  for (let i = 0; i < warmup; i++) {
    await a(i);
    await b(i);
  }
  const samplesA: number[] = [];
  const samplesB: number[] = [];
  while (samplesA.length < cycles) {
    for (const [fn, samples] of [[a, samplesA], [b, samplesB]] as const) {
      for (let i = 0; i < block && samples.length < cycles; i++) {
        const started = performance.now();
        await fn(i);
        samples.push(performance.now() - started);
      }
    }
  }
  return [samplesA, samplesB];
}

async function timeBatches(
  backend: RedisLockBackend | PostgresLockBackend,
  prefix: string,
): Promise<{ size: number; acquireP50Ms: number; releaseP50Ms: number }> {
  const acquire: number[] = [];
  const release: number[] = [];
  for (let run = 0; run < 23; run++) {
    const keys = Array.from({ length: batchSize }, (_, i) => `${prefix}:batch:${run}:${i}`);
    let started = performance.now();
    const group = await backend.tryAcquireGroup(keys);
    const acquiredIn = performance.now() - started;
    if (group.leases.size !== batchSize) throw new Error(`batch got ${group.leases.size} leases`);
    started = performance.now();
    const released = await group.releaseAll();
    const releasedIn = performance.now() - started;
    if (released !== batchSize) throw new Error(`batch released ${released}`);
    if (run >= 3) { // the first runs warm up statement caches
      acquire.push(acquiredIn);
      release.push(releasedIn);
    }
  }
  return {
    size: batchSize,
    acquireP50Ms: summarize(acquire).p50Ms,
    releaseP50Ms: summarize(release).p50Ms,
  };
}

async function benchRedis(url: string) {
  const prefix = `lock:bench:${crypto.randomBytes(4).toString("hex")}`;
  const backend = new RedisLockBackend({ url, ttlMs: 120_000 });
  const redis = backend.redis;
  try {
    const key = `${prefix}:cycle`;
    const rawKey = `${prefix}:raw`;
    const [lock, raw] = await interleaved(
      async () => {
        const lease = await backend.tryAcquire(key);
        if (!lease) throw new Error("bench key held by someone else");
        await lease.release();
      },
      async () => {
        if ((await redis.set(rawKey, "holder-token", "PX", 120_000, "NX")) !== "OK") {
          throw new Error("raw bench key held by someone else");
        }
        await redis.del(rawKey);
      },
    );
    const batch = await timeBatches(backend, prefix);
    const lockSummary = summarize(lock);
    const rawSummary = summarize(raw);
    return {
      ...lockSummary,
      rawP50Ms: rawSummary.p50Ms,
      rawP99Ms: rawSummary.p99Ms,
      rawCyclesPerSec: rawSummary.cyclesPerSec,
      ratioToRaw: Math.round((lockSummary.p50Ms / rawSummary.p50Ms) * 100) / 100,
      targetRatio: TARGET_RATIO,
      batch,
    };
  } finally {
    for (const pattern of [`${prefix}*`, `fence:${prefix.slice("lock:".length)}*`]) {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== "0");
    }
    await backend.close();
  }
}

async function benchPostgres(url: string) {
  await runMigrations(url);
  const prefix = `lock:bench:${crypto.randomBytes(4).toString("hex")}`;
  const backend = new PostgresLockBackend({ url });
  try {
    const sql = await backend.sessionSql();
    const key = `${prefix}:cycle`;
    const [lock, floor] = await interleaved(
      async () => {
        const lease = await backend.tryAcquire(key);
        if (!lease) throw new Error("bench key held by someone else");
        await lease.release();
      },
      async () => {
        await sql`select 1`;
        await sql`select 1`;
      },
    );
    const batch = await timeBatches(backend, prefix);
    const server = await serverTimings(sql, `${prefix}:server`);
    await sql`delete from lock_fences where key like ${prefix + "%"}`;
    const lockSummary = summarize(lock);
    const floorSummary = summarize(floor);
    return {
      ...lockSummary,
      select1PairP50Ms: floorSummary.p50Ms,
      select1PairP99Ms: floorSummary.p99Ms,
      select1PairsPerSec: floorSummary.cyclesPerSec,
      ratioToSelect1: Math.round((lockSummary.p50Ms / floorSummary.p50Ms) * 100) / 100,
      targetRatio: TARGET_RATIO,
      batch,
      server: serverVerdict(server, floorSummary.p50Ms),
    };
  } finally {
    await backend.close();
  }
}

/** Server-side execution times (EXPLAIN ANALYZE "Execution Time"), ms, medians of samples. */
interface ServerTimings {
  samples: number;
  acquireMs: number;
  releaseMs: number;
  select1Ms: number;
}

const SERVER_SAMPLES = 500;

/**
 * The statements of one acquire + release cycle and of the floor, timed by PostgreSQL itself
 * (on the lock session, so with its settings): what the fencing work costs on the server,
 * apart from the round trips and the client.
 */
async function serverTimings(sql: postgres.Sql, key: string): Promise<ServerTimings> {
  const lockId = lockIdOf(key).toString();
  const executionMs = async (statement: string, params: string[]) => {
    const [row] = await sql.unsafe<{ "QUERY PLAN": [{ "Execution Time": number }] }[]>(
      `explain (analyze, timing off, format json) ${statement}`,
      params,
    );
    return row!["QUERY PLAN"][0]["Execution Time"];
  };
  const acquire: number[] = [];
  const release: number[] = [];
  const select1: number[] = [];
  for (let i = 0; i < SERVER_SAMPLES; i++) {
    acquire.push(await executionMs(TRY_LOCK_ONE_SQL, [key, lockId, "bench/locks"]));
    release.push(await executionMs(UNLOCK_ONE_SQL, [lockId]));
    select1.push(await executionMs("select 1", []));
  }
  return {
    samples: SERVER_SAMPLES,
    acquireMs: median(acquire),
    releaseMs: median(release),
    select1Ms: median(select1),
  };
}

/**
 * What the server-side times mean for the ratio: a cycle is two round trips either way, so
 * with a client that cost nothing the best ratio would be (2 rt + acquire + release) /
 * (2 rt + 2 select1), rt being one round trip of the floor without its select's execution.
 */
type ServerVerdict = ReturnType<typeof serverVerdict>;

function serverVerdict(t: ServerTimings, floorPairP50Ms: number) {
  const roundTripMs = Math.max(0, floorPairP50Ms / 2 - t.select1Ms);
  const fencingMs = t.acquireMs + t.releaseMs - 2 * t.select1Ms;
  return {
    samples: t.samples,
    acquireMs: round3(t.acquireMs),
    releaseMs: round3(t.releaseMs),
    select1Ms: round3(t.select1Ms),
    roundTripMs: round3(roundTripMs),
    fencingWorkMs: round3(fencingMs),
    bestRatioWithAFreeClient: round2((floorPairP50Ms + fencingMs) / floorPairP50Ms),
  };
}

function benchDatabaseUrl(): string {
  const url = new URL(process.env["DATABASE_URL"] || DEFAULTS.DATABASE_URL);
  url.pathname = "/claims_bench_locks";
  return url.toString();
}

const redisUrl = process.env["REDIS_URL"] || DEFAULTS.REDIS_URL;
console.log(
  `locks bench: ${runs} runs of ${cycles} cycles per series, interleaved in blocks of ${block}`,
);
let waitBudgetMs = 600_000;

/** Waits for the 1-minute load average to be at most --max-load, within the budget. */
async function quietMachine(): Promise<number[]> {
  while (os.loadavg()[0]! > maxLoad && waitBudgetMs > 0) {
    console.log(`  load ${os.loadavg()[0]!.toFixed(2)} above ${maxLoad}: waiting`);
    await new Promise((r) => setTimeout(r, 5_000));
    waitBudgetMs -= 5_000;
  }
  return os.loadavg();
}

const round2 = (x: number) => Math.round(x * 100) / 100;

const loadBefore = os.loadavg();
const measured: {
  run: number;
  load1AtStart: number;
  redis: Awaited<ReturnType<typeof benchRedis>>;
  postgres: Awaited<ReturnType<typeof benchPostgres>>;
}[] = [];
for (let run = 1; run <= runs; run++) {
  const load = await quietMachine();
  const redis = await benchRedis(redisUrl);
  const postgres = await benchPostgres(benchDatabaseUrl());
  measured.push({ run, load1AtStart: round2(load[0]!), redis, postgres });
  console.log(
    `run ${run} (load ${load[0]!.toFixed(2)}): redis p50 ${redis.p50Ms} ms vs SET NX PX + DEL ` +
      `${redis.rawP50Ms} ms = ${redis.ratioToRaw}; postgres p50 ${postgres.p50Ms} ms vs 2x ` +
      `SELECT 1 ${postgres.select1PairP50Ms} ms = ${postgres.ratioToSelect1}; batch of ` +
      `${batchSize}: redis ${redis.batch.acquireP50Ms}/${redis.batch.releaseP50Ms} ms, postgres ` +
      `${postgres.batch.acquireP50Ms}/${postgres.batch.releaseP50Ms} ms (acquire/release); ` +
      `postgres server-side: acquire ${postgres.server.acquireMs} + release ` +
      `${postgres.server.releaseMs} ms vs SELECT 1 ${postgres.server.select1Ms} ms, best ratio ` +
      `with a free client ${postgres.server.bestRatioWithAFreeClient}`,
  );
}
const redisRatio = round2(median(measured.map((m) => m.redis.ratioToRaw)));
const postgresRatio = round2(median(measured.map((m) => m.postgres.ratioToSelect1)));
console.log(
  `median of ${runs}: redis ${redisRatio}, postgres ${postgresRatio} (target <= ${TARGET_RATIO})`,
);

const result = {
  benchmark: "locks",
  machine: describeMachine(),
  /** 1/5/15-minute load averages before and after: a shared machine skews everything. */
  loadAverage: { before: loadBefore, after: os.loadavg(), maxLoadAsked: maxLoad },
  runs: measured.length,
  /** Medians over the runs of each run's p50 ratio. */
  redis: {
    ratioToRaw: redisRatio,
    p50Ms: median(measured.map((m) => m.redis.p50Ms)),
    rawP50Ms: median(measured.map((m) => m.redis.rawP50Ms)),
    batchAcquireP50Ms: median(measured.map((m) => m.redis.batch.acquireP50Ms)),
    batchReleaseP50Ms: median(measured.map((m) => m.redis.batch.releaseP50Ms)),
    targetRatio: TARGET_RATIO,
  },
  postgres: {
    ratioToSelect1: postgresRatio,
    p50Ms: median(measured.map((m) => m.postgres.p50Ms)),
    select1PairP50Ms: median(measured.map((m) => m.postgres.select1PairP50Ms)),
    batchAcquireP50Ms: median(measured.map((m) => m.postgres.batch.acquireP50Ms)),
    batchReleaseP50Ms: median(measured.map((m) => m.postgres.batch.releaseP50Ms)),
    targetRatio: TARGET_RATIO,
    /**
     * Medians over the runs of the server-side times (EXPLAIN ANALYZE, SERVER_SAMPLES a run):
     * fencingWorkMs is what acquire + release execute beyond two SELECT 1; with it, even a
     * client costing nothing would reach bestRatioWithAFreeClient.
     */
    server: Object.fromEntries(
      (Object.keys(measured[0]!.postgres.server) as (keyof ServerVerdict)[]).map((k) => [
        k,
        median(measured.map((m) => m.postgres.server[k])),
      ]),
    ),
  },
  targetsMet: redisRatio <= TARGET_RATIO && postgresRatio <= TARGET_RATIO,
  measurements: measured,
};
fs.mkdirSync(path.dirname(flags.out!), { recursive: true });
fs.writeFileSync(flags.out!, JSON.stringify(result, null, 2) + "\n");
console.log(`wrote ${flags.out}`);
