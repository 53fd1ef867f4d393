/**
 * The Redis lock as three small Lua scripts, registered with ioredis `defineCommand` (EVALSHA
 * with the script cached per connection, EVAL once after a NOSCRIPT, e.g. after a restart).
 *
 * Why our own Lua rather than a lock library: no maintained Node Redis lock issues a fencing
 * token atomically with the acquisition. Here acquisition and token are one script, so a token
 * is never issued to a caller that does not hold the lock, and the lock never exists without
 * its token.
 *
 * Fencing rule (shared with the PostgreSQL backend): token = max(previous + 1, Redis TIME in
 * microseconds), written to the per-key fence key only when the lock was acquired. The `+ 1`
 * makes tokens strictly increase per key while the fence key exists; the clock term keeps
 * them increasing when it does not: our Redis runs without persistence, so a restart forgets
 * every fence, and a switch between backends starts from another counter. Either way the
 * next token is "now in µs", above every token issued before (tokens track the clock, unless
 * more than one acquisition per µs happened). This is also why the fence key may expire: it
 * only has to outlive clock jitter and bursts, so it gets a TTL (at least 24 h, renewed while
 * the lock is held) and 100,000 policies x 365 days never pile up.
 *
 * Redis Cluster: a lock key and its fence key hash to different slots (the lock key's name is
 * fixed by SPEC §1, so no hash tag can pair them); these scripts need a single Redis (or a
 * primary with replicas).
 *
 * The lock value is a small JSON object naming the holder, the token and the acquisition
 * time (for `claims locks`); release and extension compare the whole value, so they only ever
 * touch the exact acquisition they were issued for (the token makes every value unique, even
 * for one holder taking the same key again).
 */
import type { ChainableCommander, Redis } from "ioredis";

/**
 * KEYS: lock, fence. ARGV: holder as a JSON string literal, ttl ms, fence ttl ms, and
 * optionally a token floor. Returns "<token> <acquiredAt ms>", or nil when the key is held.
 * The value it stores is exactly lockValue(holderJson, token, acquiredAt): the client
 * rebuilds it rather than receive it, which keeps the reply (and the script) small.
 *
 * The common case costs three calls: TIME, the SET NX of the lock, and one SET … GET that
 * advances the fence to "now" and returns the previous token. Only when that previous token
 * is not below now (several acquisitions in one µs, or a clock stepped back) or a floor is
 * above now does the script fix both keys up to max(previous + 1, floor). SET … GET needs
 * Redis 6.2 or later.
 */
const ACQUIRE = `
local now = redis.call('TIME')
-- Token and time built from TIME's digits: exact, and string.format costs more than the rest.
local micros = string.sub('00000' .. now[2], -6)
local token = now[1] .. micros
local acquired_ms = now[1] .. string.sub(micros, 1, 3)
local head = '{"holder":' .. ARGV[1] .. ',"token":"'
local tail = '","acquiredAt":' .. acquired_ms .. '}'
if not redis.call('SET', KEYS[1], head .. token .. tail, 'NX', 'PX', ARGV[2]) then
  return false
end
local clock = tonumber(token)
local wanted = clock
local floor = tonumber(ARGV[4] or '0') or 0
if floor > wanted then wanted = floor end
local previous = tonumber(redis.call('SET', KEYS[2], token, 'PX', ARGV[3], 'GET') or '0') or 0
if previous >= wanted then wanted = previous + 1 end
if wanted ~= clock then
  -- %.0f: tostring() would print 1.7e+15 and lose digits; doubles are exact to 2^53 (year 2255).
  token = string.format('%.0f', wanted)
  redis.call('SET', KEYS[2], token, 'PX', ARGV[3])
  redis.call('SET', KEYS[1], head .. token .. tail, 'XX', 'KEEPTTL')
end
return token .. ' ' .. acquired_ms
`;

/**
 * ACQUIRE for many keys in one call (a chunk of a batch): the same steps per key, one TIME for
 * all. KEYS: lock1, fence1, lock2, fence2, … ARGV: holder as a JSON string literal, ttl ms,
 * fence ttl ms, then optionally one token floor per key ('0' for none; sent only when some
 * key has one). Returns { acquiredAt ms, token1 or false, token2 or false, … }.
 *
 * Why one script rather than a pipeline of ACQUIREs: per key, a pipelined EVALSHA costs the
 * client a command object, its encoding and its reply, and the server a script call; a daily
 * run takes hundreds of thousands of locks, and that overhead was most of the lock cost in the
 * worker's profile. Per key the semantics are ACQUIRE's: a token strictly above the key's last
 * one (max(previous + 1, clock)), issued only with the lock. The n-th key of a call reads the
 * clock as TIME + n µs, so that the tokens of one acquisition are distinct, as separate calls'
 * would be.
 */
const ACQUIRE_MANY = `
local now = redis.call('TIME')
local micros = string.sub('00000' .. now[2], -6)
local now_number = tonumber(now[1] .. micros)
local acquired_ms = now[1] .. string.sub(micros, 1, 3)
local head = '{"holder":' .. ARGV[1] .. ',"token":"'
local tail = '","acquiredAt":' .. acquired_ms .. '}'
local replies = { acquired_ms }
local floors = #ARGV > 3
for i = 1, #KEYS, 2 do
  local clock = now_number + (i - 1) / 2
  local token = string.format('%.0f', clock)
  if redis.call('SET', KEYS[i], head .. token .. tail, 'NX', 'PX', ARGV[2]) then
    local wanted = clock
    if floors then
      local floor = tonumber(ARGV[3 + (i + 1) / 2]) or 0
      if floor > wanted then wanted = floor end
    end
    local previous = tonumber(redis.call('SET', KEYS[i + 1], token, 'PX', ARGV[3], 'GET') or '0') or 0
    if previous >= wanted then wanted = previous + 1 end
    if wanted ~= clock then
      token = string.format('%.0f', wanted)
      redis.call('SET', KEYS[i + 1], token, 'PX', ARGV[3])
      redis.call('SET', KEYS[i], head .. token .. tail, 'XX', 'KEEPTTL')
    end
  else
    token = false
  end
  replies[#replies + 1] = token
end
return replies
`;

/** The lock value ACQUIRE stores (byte for byte: release and extension compare it). */
export function lockValue(holderJson: string, token: string, acquiredAt: string): string {
  return `{"holder":${holderJson},"token":"${token}","acquiredAt":${acquiredAt}}`;
}

const EXTEND = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** EXTEND for many leases. KEYS: lock1, fence1, … ARGV: ttl, fence ttl, value1, … → 0/1 each. */
const EXTEND_MANY = `
local replies = {}
for i = 1, #KEYS, 2 do
  local extended = 0
  if redis.call('GET', KEYS[i]) == ARGV[2 + (i + 1) / 2] then
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
    redis.call('PEXPIRE', KEYS[i + 1], ARGV[2])
    extended = 1
  end
  replies[#replies + 1] = extended
end
return replies
`;

/** RELEASE for many leases. KEYS: lock1, lock2, … ARGV: value1, value2, … → 0/1 each. */
const RELEASE_MANY = `
local replies = {}
for i = 1, #KEYS do
  local released = 0
  if redis.call('GET', KEYS[i]) == ARGV[i] then
    released = redis.call('DEL', KEYS[i])
  end
  replies[i] = released
end
return replies
`;

/**
 * RELEASE for the leases of one acquisition call (one holder, one acquiredAt): the values are
 * rebuilt here from their parts, so the client sends each lease's token, not its whole value
 * (a third of a daily run's bytes to Redis). KEYS: lock1, lock2, … ARGV: holder as a JSON
 * string literal, acquiredAt ms, token1, token2, … → 0/1 each.
 */
const RELEASE_TOKENS = `
local head = '{"holder":' .. ARGV[1] .. ',"token":"'
local tail = '","acquiredAt":' .. ARGV[2] .. '}'
local replies = {}
for i = 1, #KEYS do
  local released = 0
  if redis.call('GET', KEYS[i]) == head .. ARGV[2 + i] .. tail then
    released = redis.call('DEL', KEYS[i])
  end
  replies[i] = released
end
return replies
`;

/** "<token> <acquiredAt epoch ms>", or null when the key is held. */
export type AcquireReply = string | null;

export interface LockCommands {
  claimsLockAcquire(
    lockKey: string,
    fenceKey: string,
    holderJson: string,
    ttlMs: number,
    fenceTtlMs: number,
    floor?: string,
  ): Promise<AcquireReply>;
  claimsLockExtend(
    lockKey: string,
    fenceKey: string,
    value: string,
    ttlMs: number,
    fenceTtlMs: number,
  ): Promise<number>;
  claimsLockRelease(lockKey: string, value: string): Promise<number>;
  /** numberOfKeys, then KEYS and ARGV as the scripts above describe. */
  claimsLockAcquireMany(...args: (string | number)[]): Promise<(string | null)[]>;
  claimsLockExtendMany(...args: (string | number)[]): Promise<number[]>;
  claimsLockReleaseMany(...args: (string | number)[]): Promise<number[]>;
  claimsLockReleaseTokens(...args: (string | number)[]): Promise<number[]>;
}

/** The same commands queued on a pipeline (replies arrive from `exec()`). */
export interface LockPipeline extends ChainableCommander {
  claimsLockAcquire(...args: Parameters<LockCommands["claimsLockAcquire"]>): LockPipeline;
  claimsLockExtend(...args: Parameters<LockCommands["claimsLockExtend"]>): LockPipeline;
  claimsLockRelease(...args: Parameters<LockCommands["claimsLockRelease"]>): LockPipeline;
  claimsLockAcquireMany(...args: (string | number)[]): LockPipeline;
  claimsLockExtendMany(...args: (string | number)[]): LockPipeline;
  claimsLockReleaseMany(...args: (string | number)[]): LockPipeline;
  claimsLockReleaseTokens(...args: (string | number)[]): LockPipeline;
}

export type LockRedis = Omit<Redis, "pipeline"> & LockCommands & { pipeline(): LockPipeline };

/** Defines the lock commands on a client (idempotent: a shared client may get them twice). */
export function withLockCommands(redis: Redis): LockRedis {
  const client = redis as unknown as LockRedis;
  if (typeof (client as Partial<LockCommands>).claimsLockReleaseTokens !== "function") {
    redis.defineCommand("claimsLockAcquire", { numberOfKeys: 2, lua: ACQUIRE });
    redis.defineCommand("claimsLockExtend", { numberOfKeys: 2, lua: EXTEND });
    redis.defineCommand("claimsLockRelease", { numberOfKeys: 1, lua: RELEASE });
    // No numberOfKeys: the first argument says how many keys follow.
    redis.defineCommand("claimsLockAcquireMany", { lua: ACQUIRE_MANY });
    redis.defineCommand("claimsLockExtendMany", { lua: EXTEND_MANY });
    redis.defineCommand("claimsLockReleaseMany", { lua: RELEASE_MANY });
    redis.defineCommand("claimsLockReleaseTokens", { lua: RELEASE_TOKENS });
  }
  return client;
}

const FENCE_MIN_TTL_MS = 24 * 3_600_000;

/** `lock:claim_calc:P:D` → `fence:claim_calc:P:D`. */
export function fenceKeyOf(lockKey: string): string {
  return `fence:${lockKey.startsWith("lock:") ? lockKey.slice("lock:".length) : lockKey}`;
}

/** How long a fence key outlives its lock's last acquisition or extension. */
export function fenceTtlFor(ttlMs: number): number {
  return Math.max(FENCE_MIN_TTL_MS, ttlMs * 10);
}

/** The parts of a lock value written by ACQUIRE; null for a value some other tool wrote. */
export function parseLockValue(
  value: string,
): { holder: string; token: string; acquiredAt: number } | null {
  try {
    const parsed = JSON.parse(value) as { holder?: unknown; token?: unknown; acquiredAt?: unknown };
    if (
      typeof parsed.holder === "string" && typeof parsed.token === "string" &&
      typeof parsed.acquiredAt === "number"
    ) {
      return { holder: parsed.holder, token: parsed.token, acquiredAt: parsed.acquiredAt };
    }
  } catch {
    // not ours: shown raw
  }
  return null;
}
