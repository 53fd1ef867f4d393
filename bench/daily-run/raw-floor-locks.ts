/**
 * The raw floor's Redis locks (raw-floor.ts): per policy-day exactly the product's lock and
 * fencing token (SET NX PX of `lock:claim_calc:<policyId>:<date>`, then token = max(previous +
 * 1, Redis TIME in µs) on `fence:claim_calc:<policyId>:<date>`, so tokens keep increasing per
 * key whoever takes it next), a whole chunk per Lua call: one EVALSHA per key costs the client
 * (command objects, socket writes) and Redis several times what the lock itself does.
 * Like the product's scripts, they need a single Redis (lock and fence keys hash to different
 * cluster slots); a call for 500 policy-days holds Redis for well under a millisecond.
 */
import crypto from "node:crypto";
import os from "node:os";
import process from "node:process";
import { Redis } from "ioredis";

/**
 * KEYS: lock, fence of every policy-day of a chunk. ARGV: holder prefix, ttl ms, fence ttl ms.
 * A token per policy-day, "" where another holder has the lock (a nil would end the array).
 */
const ACQUIRE = `
local now = redis.call('TIME')
local clock = now[1] .. string.sub('00000' .. now[2], -6)
local n = tonumber(clock)
local out = {}
for i = 1, #KEYS, 2 do
  local token = clock
  if redis.call('SET', KEYS[i], ARGV[1] .. token, 'NX', 'PX', ARGV[2]) then
    local previous = tonumber(redis.call('SET', KEYS[i + 1], token, 'PX', ARGV[3], 'GET') or '0') or 0
    if previous >= n then
      token = string.format('%.0f', previous + 1)
      redis.call('SET', KEYS[i + 1], token, 'PX', ARGV[3])
      redis.call('SET', KEYS[i], ARGV[1] .. token, 'XX', 'KEEPTTL')
    end
    out[#out + 1] = token
  else
    out[#out + 1] = ''
  end
end
return out
`;

/** KEYS: locks; ARGV: the values they were taken with. Compare-and-delete each. */
const RELEASE = `
local released = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[i] then
    released = released + redis.call('DEL', KEYS[i])
  end
end
return released
`;

/** The fence key outlives its lock by a day at least: tokens must grow across runs. */
const fenceTtl = (ttlMs: number) => Math.max(86_400_000, ttlMs * 10);

export interface ChunkLocks {
  /** A fencing token per id, "" for an id whose lock another holder has. */
  acquire(ids: readonly string[], date: string): Promise<string[]>;
  /** Releases what `acquire` took; a failure leaves the locks to expire after their TTL. */
  release(ids: readonly string[], tokens: readonly string[], date: string): Promise<void>;
  close(): void;
}

export async function connectChunkLocks(url: string, ttlMs: number): Promise<ChunkLocks> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  const [acquireSha, releaseSha] = await Promise.all([
    redis.script("LOAD", ACQUIRE) as Promise<string>,
    redis.script("LOAD", RELEASE) as Promise<string>,
  ]);
  // The value names the holder and, with the token, this very acquisition.
  const holder = `raw-floor/${os.hostname()}/${process.pid}/${crypto.randomUUID()}:`;
  const ttl = String(ttlMs);
  const fttl = String(fenceTtl(ttlMs));
  return {
    async acquire(ids, date) {
      const keys: string[] = [];
      for (const id of ids) {
        keys.push(`lock:claim_calc:${id}:${date}`, `fence:claim_calc:${id}:${date}`);
      }
      return await redis.evalsha(acquireSha, keys.length, ...keys, holder, ttl, fttl) as string[];
    },
    async release(ids, tokens, date) {
      const keys = ids.map((id) => `lock:claim_calc:${id}:${date}`);
      await redis.evalsha(releaseSha, keys.length, ...keys, ...tokens.map((t) => holder + t))
        .catch(() => undefined);
    },
    close: () => redis.disconnect(),
  };
}
