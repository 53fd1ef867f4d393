import assert from "node:assert/strict";
import { test } from "../support/test.ts";
import { useTestRedis } from "../support/redis.ts";

const redis = useTestRedis();

test("Redis Lua round trip on this file's own logical database", async () => {
  const script =
    "redis.call('SET', KEYS[1], ARGV[1]); return {redis.call('GET', KEYS[1]), redis.call('INCR', KEYS[2])}";
  const result = await redis.redis.eval(script, 2, "smoke:value", "smoke:counter", "hello");
  assert.deepEqual(result, ["hello", 1]);
  const [[, db]] = [(await redis.redis.client("INFO") as string).match(/db=(\d+)/) ?? []];
  assert.equal(Number(db), redis.index);
});
