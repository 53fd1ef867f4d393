/**
 * The default lock backend (SPEC §5): `SET NX PX` + fencing token in one Lua script, release
 * and extension as compare-on-value scripts, and every lease of one TTL kept alive by one
 * timer. Many keys at once (a chunk of a batch activity) go through the scripts' many-key
 * forms, KEYS_PER_CALL keys a call, all calls in one pipeline: one round trip, and a few
 * commands instead of one per key.
 */
import type { Redis, RedisOptions } from "ioredis";
import {
  type AcquireOptions,
  type AcquireWithTimeoutOptions,
  DEFAULT_LOCK_TTL_MS,
  type Lease,
  type LeaseGroup,
  type LockBackend,
  type LockInfo,
} from "../contract.ts";
import { ClaimsError, ErrorCodes } from "../../errors.ts";
import { acquireWithTimeout, runWithLock, type WithLockOptions } from "../acquire.ts";
import { assertHolder, holderId } from "../holder.ts";
import { LeaseKeepers } from "../keeper.ts";
import { assertLockKey } from "../keys.ts";
import {
  assertTtl,
  type ExtendOutcome,
  type LeaseDriver,
  type LeaseObserver,
  ManagedLease,
  monotonicNow,
} from "../lease.ts";
import { ManagedLeaseGroup } from "../lease-group.ts";
import { CLOSE_WAIT_MS, connectLockRedis, serviceError, settlesWithin } from "./client.ts";
import { listRedisLocks } from "./list.ts";
import {
  type AcquireReply,
  fenceKeyOf,
  fenceTtlFor,
  type LockRedis,
  lockValue,
  parseLockValue,
  withLockCommands,
} from "./scripts.ts";
import { floorOf } from "../floors.ts";

export interface RedisLockBackendOptions {
  /** A client to share; close() leaves it open. */
  redis?: Redis | undefined;
  /** Or a URL: the backend opens (and closes) its own client. */
  url?: string | undefined;
  /** With `url`: extra client options (TLS for rediss://, src/tls/redis.ts). */
  clientOptions?: RedisOptions | undefined;
  /** Default lease TTL (LOCK_TTL_MS; 120 s). */
  ttlMs?: number | undefined;
  /** Default holder of this backend's leases (a generated host/pid/random one when omitted). */
  holder?: string | undefined;
}

/**
 * The parts of the exact lock value (release and extension compare against the whole of it,
 * lockValue): kept apart so that a batch release sends tokens only, and the value string is
 * built only for the rare single-key release and the extensions.
 */
interface RedisHandle {
  holderJson: string;
  token: string;
  acquiredAt: string;
}

const valueOf = (h: RedisHandle): string => lockValue(h.holderJson, h.token, h.acquiredAt);

/**
 * Keys per many-key script call: large enough that per-command costs vanish, small enough
 * that one call holds Redis (single-threaded) for well under a millisecond.
 */
const KEYS_PER_CALL = 128;

function pieces<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += KEYS_PER_CALL) out.push(items.slice(i, i + KEYS_PER_CALL));
  return out;
}

/** Per key of a many-key acquisition: its token or null, and its call's acquisition time. */
interface ManyReplies {
  tokens: (string | null)[];
  acquiredAt: string[];
}

/** A script reply's array, or the error the pipeline returned for it. */
function replyOf<T>(result: [Error | null, unknown] | undefined): T[] {
  if (!result) throw new Error("no reply");
  const [error, reply] = result;
  if (error) throw error;
  if (!Array.isArray(reply)) throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
  return reply as T[];
}

export class RedisLockBackend implements LockBackend {
  readonly name = "redis" as const;
  /** The client (shared or owned), for diagnostics and benchmarks. */
  readonly redis: Redis;
  readonly #lock: LockRedis;
  readonly #owned: boolean;
  readonly #ttlMs: number;
  readonly #holder: string;
  readonly #holderJson: string;
  /** Held leases, so close() can end them. */
  readonly #live = new Set<ManagedLease<RedisHandle>>();
  readonly #untrack: LeaseObserver<RedisHandle> = {
    settled: (lease) => this.#live.delete(lease),
  };
  readonly #keepers: LeaseKeepers<RedisHandle>;
  readonly #driver: LeaseDriver<RedisHandle>;
  #closed = false;

  constructor(options: RedisLockBackendOptions) {
    if (!options.redis && !options.url) {
      throw new ClaimsError(
        ErrorCodes.CONFIG_INVALID,
        "Redis lock backend: pass a client (redis) or a URL (url)",
      );
    }
    this.#ttlMs = options.ttlMs ?? DEFAULT_LOCK_TTL_MS;
    assertTtl(this.#ttlMs);
    this.#holder = options.holder ?? holderId();
    assertHolder(this.#holder);
    this.#holderJson = JSON.stringify(this.#holder);
    this.#owned = !options.redis;
    this.redis = options.redis ?? connectLockRedis(options.url!, undefined, options.clientOptions);
    this.#lock = withLockCommands(this.redis);
    this.#driver = {
      expires: true,
      releaseAfterLoss: true,
      extend: (leases, ttlMs) => this.#extend(leases, ttlMs),
      release: (leases) => this.#release(leases),
      releaseOne: (lease) => this.#releaseOne(lease),
    };
    this.#keepers = new LeaseKeepers(this.#driver);
  }

  /** One key: one script call, no pipeline and no batch objects (the hot path). */
  async tryAcquire(key: string, options: AcquireOptions = {}): Promise<Lease | null> {
    assertLockKey(key);
    const { ttlMs, holder, holderJson } = this.#prepare(options);
    const sentAt = monotonicNow();
    let reply: AcquireReply;
    try {
      const floor = floorOf(options, key);
      reply = await (floor === undefined
        ? this.#lock.claimsLockAcquire(key, fenceKeyOf(key), holderJson, ttlMs, fenceTtlFor(ttlMs))
        : this.#lock.claimsLockAcquire(
          key,
          fenceKeyOf(key),
          holderJson,
          ttlMs,
          fenceTtlFor(ttlMs),
          floor,
        ));
    } catch (error) {
      throw serviceError("acquire", [key], error);
    }
    if (!reply) return null;
    const space = reply.indexOf(" ");
    const lease = this.#lease(
      key,
      holder,
      holderJson,
      reply.slice(0, space),
      reply.slice(space + 1),
      ttlMs,
      sentAt,
    );
    this.#track(lease, options.autoExtend ?? true);
    return lease;
  }

  async tryAcquireMany(
    keys: readonly string[],
    options: AcquireOptions = {},
  ): Promise<Map<string, Lease>> {
    return new Map((await this.#acquire(keys, options)).leases);
  }

  tryAcquireGroup(keys: readonly string[], options: AcquireOptions = {}): Promise<LeaseGroup> {
    return this.#acquire(keys, options);
  }

  acquire(key: string, options: AcquireWithTimeoutOptions): Promise<Lease | null> {
    return acquireWithTimeout((k, o) => this.tryAcquire(k, o), key, options);
  }

  withLock<T>(
    key: string,
    fn: (lease: Lease) => Promise<T>,
    options?: WithLockOptions,
  ): Promise<T> {
    return runWithLock(this, key, fn, options);
  }

  async inspect(
    keys: readonly string[],
  ): Promise<Map<string, { holder: string | null; ttlMs: number | null }>> {
    const out = new Map<string, { holder: string | null; ttlMs: number | null }>();
    if (keys.length === 0) return out;
    keys.forEach(assertLockKey);
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.get(key).pttl(key);
    let results: [Error | null, unknown][];
    try {
      results = (await pipeline.exec()) ?? [];
    } catch (error) {
      throw serviceError("inspect", [...keys], error);
    }
    keys.forEach((key, i) => {
      const value = results[2 * i]?.[1];
      const pttl = results[2 * i + 1]?.[1];
      if (typeof value !== "string") return;
      out.set(key, {
        holder: parseLockValue(value)?.holder ?? value,
        ttlMs: typeof pttl === "number" && pttl >= 0 ? pttl : null,
      });
    });
    return out;
  }

  async isLocked(key: string): Promise<boolean> {
    assertLockKey(key);
    try {
      return (await this.redis.exists(key)) === 1;
    } catch (error) {
      throw serviceError("check", [key], error);
    }
  }

  async list(prefix?: string): Promise<LockInfo[]> {
    try {
      return await listRedisLocks(this.redis, prefix);
    } catch (error) {
      throw serviceError("list", [prefix ?? "lock:*"], error);
    }
  }

  /**
   * Stops every refresh timer and fires the signal of every lease still held (its work must
   * stop: nothing extends it any more), releases those leases (compare-on-value, so only ours)
   * and closes the client when the backend opened it.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#keepers.stop();
    const held = [...this.#live];
    for (const lease of held) lease.markLost("the lock backend was closed");
    const toRelease = held.filter((lease) => lease.beginRelease());
    // Both wait for Redis to answer; an unreachable Redis must not hold up a shutdown (the
    // leases expire by themselves).
    if (toRelease.length > 0) await settlesWithin(this.#release(toRelease), CLOSE_WAIT_MS);
    if (this.#owned && !(await settlesWithin(this.redis.quit(), CLOSE_WAIT_MS))) {
      this.redis.disconnect();
    }
  }

  /** Checks the call's options (keys are checked by the caller). */
  #prepare(options: AcquireOptions) {
    if (this.#closed) {
      throw new ClaimsError(ErrorCodes.LOCK_NOT_ACQUIRED, "Redis lock backend is closed");
    }
    const ttlMs = options.ttlMs ?? this.#ttlMs;
    if (options.ttlMs !== undefined) assertTtl(ttlMs);
    let holder = this.#holder;
    let holderJson = this.#holderJson;
    if (options.holder !== undefined && options.holder !== holder) {
      assertHolder(options.holder);
      holder = options.holder;
      holderJson = JSON.stringify(holder);
    }
    return { ttlMs, holder, holderJson };
  }

  #lease(
    key: string,
    holder: string,
    holderJson: string,
    token: string,
    acquiredAt: string,
    ttlMs: number,
    sentAt: number,
  ): ManagedLease<RedisHandle> {
    return new ManagedLease({
      key,
      holder,
      fencingToken: BigInt(token),
      acquiredAt: Number(acquiredAt),
      ttlMs,
      handle: { holderJson, token, acquiredAt },
      driver: this.#driver,
      sentAt,
    });
  }

  async #acquire(
    keys: readonly string[],
    options: AcquireOptions,
  ): Promise<ManagedLeaseGroup<RedisHandle>> {
    const unique = [...new Set(keys)];
    unique.forEach(assertLockKey);
    const { ttlMs, holder, holderJson } = this.#prepare(options);
    const sentAt = monotonicNow();
    let replies: ManyReplies;
    try {
      replies = await this.#acquireReplies(unique, holderJson, ttlMs, options);
    } catch (error) {
      throw serviceError("acquire", unique, error);
    }
    const leases = new Map<string, ManagedLease<RedisHandle>>();
    const autoExtend = options.autoExtend ?? true;
    for (let i = 0; i < unique.length; i++) {
      const token = replies.tokens[i];
      if (!token) continue;
      const key = unique[i]!;
      const lease = this.#lease(
        key,
        holder,
        holderJson,
        token,
        replies.acquiredAt[i]!,
        ttlMs,
        sentAt,
      );
      leases.set(key, lease);
      this.#track(lease, autoExtend);
    }
    return new ManagedLeaseGroup(leases, this.#driver);
  }

  /**
   * One round trip for the whole batch: one many-key call per KEYS_PER_CALL keys, pipelined.
   * Per key: its token (null when the key is held) and the acquisition time of its call.
   */
  async #acquireReplies(
    keys: readonly string[],
    holderJson: string,
    ttlMs: number,
    options: AcquireOptions,
  ): Promise<ManyReplies> {
    const out: ManyReplies = { tokens: [], acquiredAt: [] };
    if (keys.length === 0) return out;
    const fenceTtlMs = fenceTtlFor(ttlMs);
    const parts = pieces(keys);
    const pipeline = this.#lock.pipeline();
    for (const part of parts) {
      const pairs: string[] = new Array(part.length * 2);
      part.forEach((key, i) => {
        pairs[2 * i] = key;
        pairs[2 * i + 1] = fenceKeyOf(key);
      });
      // Floors are rare (a write refused for a stale token): only then one argument per key.
      const floors = options.minTokens?.size ? part.map((key) => floorOf(options, key) ?? "0") : [];
      pipeline.claimsLockAcquireMany(
        pairs.length,
        ...pairs,
        holderJson,
        ttlMs,
        fenceTtlMs,
        ...floors,
      );
    }
    const results = (await pipeline.exec()) ?? [];
    let failure: unknown;
    parts.forEach((part, p) => {
      try {
        const reply = replyOf<string | null>(results[p]);
        const acquiredAt = reply[0] as string;
        for (let i = 0; i < part.length; i++) {
          out.tokens.push(reply[i + 1] || null);
          out.acquiredAt.push(acquiredAt);
        }
      } catch (error) {
        failure ??= error;
        for (let i = 0; i < part.length; i++) {
          out.tokens.push(null);
          out.acquiredAt.push("");
        }
      }
    });
    if (failure !== undefined) {
      // Part of the batch failed: give back what the other calls took (compare-on-value, so
      // only ours) rather than leave it locked until the TTL, then report the failure. Keys a
      // failed call took before its error (a key of the wrong type) expire with their TTL.
      const taken: { key: string; value: string }[] = [];
      out.tokens.forEach((token, i) => {
        if (token) {
          taken.push({ key: keys[i]!, value: lockValue(holderJson, token, out.acquiredAt[i]!) });
        }
      });
      if (taken.length > 0) await this.#releaseValues(taken).catch(() => undefined);
      throw failure;
    }
    return out;
  }

  /** Every lease joins the backend's keeper for its TTL: one timer for all of them. */
  #track(lease: ManagedLease<RedisHandle>, autoExtend: boolean): void {
    this.#live.add(lease);
    lease.observe(this.#untrack);
    this.#keepers.add(lease, autoExtend ? "extend" : "watch");
  }

  async #extend(
    leases: readonly ManagedLease<RedisHandle>[],
    ttlMs: number,
  ): Promise<ExtendOutcome[]> {
    const fenceTtlMs = fenceTtlFor(ttlMs);
    if (leases.length === 1) {
      const lease = leases[0]!;
      const reply = await this.#lock.claimsLockExtend(
        lease.key,
        fenceKeyOf(lease.key),
        valueOf(lease.handle),
        ttlMs,
        fenceTtlMs,
      );
      return [reply === 1];
    }
    const parts = pieces(leases);
    const pipeline = this.#lock.pipeline();
    for (const part of parts) {
      const pairs = part.flatMap((lease) => [lease.key, fenceKeyOf(lease.key)]);
      pipeline.claimsLockExtendMany(
        pairs.length,
        ...pairs,
        ttlMs,
        fenceTtlMs,
        ...part.map((lease) => valueOf(lease.handle)),
      );
    }
    const results = (await pipeline.exec()) ?? [];
    return parts.flatMap((part, p): ExtendOutcome[] => {
      try {
        const replies = replyOf<number>(results[p]);
        return part.map((_, i) => replies[i] === 1);
      } catch (error) {
        return part.map(() => error as Error);
      }
    });
  }

  async #releaseOne(lease: ManagedLease<RedisHandle>): Promise<boolean> {
    try {
      return (await this.#lock.claimsLockRelease(lease.key, valueOf(lease.handle))) === 1;
    } catch (error) {
      throw serviceError("release", [lease.key], error);
    }
  }

  async #release(leases: readonly ManagedLease<RedisHandle>[]): Promise<boolean[]> {
    try {
      return await this.#releaseMany(leases);
    } catch (error) {
      throw serviceError("release", leases.map((lease) => lease.key), error);
    }
  }

  /**
   * One round trip for a batch: the leases of each acquisition call (one holder, one
   * acquiredAt) go as one many-key call that sends their tokens only, KEYS_PER_CALL at most.
   */
  async #releaseMany(leases: readonly ManagedLease<RedisHandle>[]): Promise<boolean[]> {
    const groups = new Map<string, number[]>();
    leases.forEach((lease, i) => {
      const { holderJson, acquiredAt } = lease.handle;
      const group = `${acquiredAt} ${holderJson}`;
      let members = groups.get(group);
      if (!members) groups.set(group, members = []);
      members.push(i);
    });
    const calls: number[][] = [];
    const pipeline = this.#lock.pipeline();
    for (const members of groups.values()) {
      for (const part of pieces(members)) {
        const { holderJson, acquiredAt } = leases[part[0]!]!.handle;
        const args: (string | number)[] = new Array(part.length * 2 + 3);
        args[0] = part.length;
        part.forEach((index, i) => {
          args[1 + i] = leases[index]!.key;
          args[3 + part.length + i] = leases[index]!.handle.token;
        });
        args[1 + part.length] = holderJson;
        args[2 + part.length] = acquiredAt;
        pipeline.claimsLockReleaseTokens(...args);
        calls.push(part);
      }
    }
    const results = (await pipeline.exec()) ?? [];
    const released: boolean[] = new Array(leases.length);
    calls.forEach((part, c) => {
      const replies = replyOf<number>(results[c]);
      part.forEach((index, i) => {
        released[index] = replies[i] === 1;
      });
    });
    return released;
  }

  async #releaseValues(locks: readonly { key: string; value: string }[]): Promise<boolean[]> {
    const parts = pieces(locks);
    const pipeline = this.#lock.pipeline();
    for (const part of parts) {
      pipeline.claimsLockReleaseMany(
        part.length,
        ...part.map((l) => l.key),
        ...part.map((l) => l.value),
      );
    }
    const results = (await pipeline.exec()) ?? [];
    return parts.flatMap((part, p) => {
      const replies = replyOf<number>(results[p]);
      return part.map((_, i) => replies[i] === 1);
    });
  }
}

export function createRedisLockBackend(options: RedisLockBackendOptions): RedisLockBackend {
  return new RedisLockBackend(options);
}
