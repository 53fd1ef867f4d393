/**
 * A Redis logical database of its own for one benchmark run, leased with the same protocol as
 * the test suites (tests/support/redis.ts: a `test:redis-db:<n>` key in database 0), so that a
 * benchmark and tests running beside it never share lock keys or fencing counters. Flushed
 * when taken and when given back.
 */
import crypto from "node:crypto";
import process from "node:process";
import { Redis } from "ioredis";
import { DEFAULTS } from "../../src/config.ts";

const LEASE_MS = 3_600_000;

export interface LeasedRedisDatabase {
  index: number;
  url: string;
  release(): Promise<void>;
}

export async function leaseRedisDatabase(): Promise<LeasedRedisDatabase> {
  const base = (process.env["REDIS_URL"] || DEFAULTS.REDIS_URL).replace(/\/\d*$/, "");
  const control = new Redis(`${base}/0`, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await control.connect();
  } catch (error) {
    control.disconnect();
    throw new Error(`Redis is not available at ${base}; run 'make services' first`, {
      cause: error,
    });
  }
  const token = crypto.randomUUID();
  try {
    const databases = Number((await control.config("GET", "databases"))[1] ?? 16);
    for (let attempt = 0; attempt < 600; attempt++) {
      for (let index = 1; index < databases; index++) {
        const key = `test:redis-db:${index}`;
        if ((await control.set(key, token, "PX", LEASE_MS, "NX")) !== "OK") continue;
        const url = `${base}/${index}`;
        const flush = async () => {
          const redis = new Redis(url, { maxRetriesPerRequest: 3 });
          try {
            await redis.flushdb();
          } finally {
            redis.disconnect();
          }
        };
        await flush();
        return {
          index,
          url,
          async release() {
            try {
              await flush();
              if ((await control.get(key)) === token) await control.del(key);
            } finally {
              control.disconnect();
            }
          },
        };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no free Redis logical database among 1..${databases - 1} after 60 s`);
  } catch (error) {
    control.disconnect();
    throw error;
  }
}
