/**
 * A Redis logical database per test file, leased through a key in database 0 so that test
 * files running in parallel never share one; flushed and returned after the file's tests.
 */
import crypto from "node:crypto";
import { Redis } from "ioredis";
import { after, before } from "./test.ts";
import { serviceMissing, testRedisUrl } from "./env.ts";

const LEASE_MS = 3_600_000;

export interface TestRedis {
  index: number;
  url: string;
  redis: Redis;
}

export async function leaseRedisDatabase(): Promise<TestRedis & { release(): Promise<void> }> {
  const control = new Redis(testRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await control.connect();
  } catch (error) {
    control.disconnect();
    throw serviceMissing("Redis", `cannot connect to ${testRedisUrl}`, error);
  }
  const token = crypto.randomUUID();
  const databases = Number((await control.config("GET", "databases"))[1] ?? 16);
  try {
    for (let attempt = 0; attempt < 600; attempt++) {
      for (let index = 1; index < databases; index++) {
        const ok = await control.set(`test:redis-db:${index}`, token, "PX", LEASE_MS, "NX");
        if (ok !== "OK") continue;
        const url = `${testRedisUrl.replace(/\/\d*$/, "")}/${index}`;
        const redis = new Redis(url, { maxRetriesPerRequest: 3 });
        await redis.flushdb();
        return {
          index,
          url,
          redis,
          async release() {
            await redis.flushdb();
            redis.disconnect();
            const current = await control.get(`test:redis-db:${index}`);
            if (current === token) await control.del(`test:redis-db:${index}`);
            control.disconnect();
          },
        };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    control.disconnect();
    throw error;
  }
  control.disconnect();
  throw new Error(`no free Redis logical database among 1..${databases - 1} after 60 s`);
}

export function useTestRedis(): TestRedis {
  const handle = {} as TestRedis & { release?: () => Promise<void> };
  before(async () => {
    Object.assign(handle, await leaseRedisDatabase());
  });
  after(async () => {
    await handle.release?.();
  });
  return handle;
}
