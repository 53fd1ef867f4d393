/**
 * The PostgreSQL lock backend: session advisory locks (pg_try_advisory_lock) on one dedicated
 * connection, the same contract as the Redis backend. A lease lives as long as the session:
 * no TTL, released by unlock or by the connection closing (a crashed holder frees its locks
 * at once). Fencing tokens come from lock_fences in the same statement as the try-lock.
 *
 * Session locks are re-entrant inside one session, which would let two leases of this
 * backend hold one key at once; a local registry refuses a key this backend already holds,
 * so the contract ("null while someone else holds it") is the same as on Redis.
 */
import {
  type AcquireOptions,
  type AcquireWithTimeoutOptions,
  DEFAULT_LOCK_TTL_MS,
  type Lease,
  type LeaseGroup,
  type LockBackend,
  type LockInfo,
} from "../contract.ts";
import type { SessionSettings, Sql } from "../../store/connection.ts";
import { ClaimsError, ErrorCodes } from "../../errors.ts";
import { acquireWithTimeout, runWithLock, type WithLockOptions } from "../acquire.ts";
import { assertHolder, holderId } from "../holder.ts";
import { LeaseKeepers } from "../keeper.ts";
import { assertLockKey } from "../keys.ts";
import {
  assertTtl,
  type LeaseDriver,
  type LeaseObserver,
  ManagedLease,
  monotonicNow,
} from "../lease.ts";
import { ManagedLeaseGroup } from "../lease-group.ts";
import { pgLockFailure } from "./failure.ts";
import { inspectPostgresLocks, listPostgresLocks } from "./list.ts";
import { floorOf } from "../floors.ts";
import { lockIdOf } from "./lock-id.ts";
import { type LockSession, openSessionFromPool, openSessionFromUrl } from "./session.ts";
import {
  type FenceRow,
  heldBySession,
  isLockIdHeld,
  tryLockMany,
  tryLockOne,
  unlockMany,
} from "./statements.ts";

export interface PostgresLockBackendOptions {
  /** A URL: the backend opens its own dedicated one-connection client (recommended). */
  url?: string | undefined;
  /** Or a pool: one connection is reserved out of it for the backend's lifetime. */
  sql?: Sql | undefined;
  /**
   * Session locks do not expire; with autoExtend the backend checks every ttl/3 that the
   * session still holds them (a backstop to the connection-closed event). Default 120 s.
   */
  ttlMs?: number | undefined;
  holder?: string | undefined;
  applicationName?: string | undefined;
  /** With `url`: TLS and time limits of the session (Config.database). */
  session?: SessionSettings | undefined;
}

/** The advisory-lock id of the lease. */
type PgHandle = bigint;

export class PostgresLockBackend implements LockBackend {
  readonly name = "postgres" as const;
  readonly #session: Promise<LockSession>;
  /** The session once open: the hot paths skip awaiting the promise. */
  #ready: LockSession | undefined;
  readonly #ttlMs: number;
  readonly #holder: string;
  /** Held leases by key (at most one per key: see the module comment). */
  readonly #held = new Map<string, ManagedLease<PgHandle>>();
  /** Keys with an acquisition in flight, refused to a second caller meanwhile. */
  readonly #pending = new Set<string>();
  readonly #untrack: LeaseObserver<PgHandle> = {
    settled: (lease) => {
      if (this.#held.get(lease.key) === lease) this.#held.delete(lease.key);
    },
  };
  readonly #keepers: LeaseKeepers<PgHandle>;
  readonly #driver: LeaseDriver<PgHandle>;
  #closed = false;

  constructor(options: PostgresLockBackendOptions) {
    if (!options.url && !options.sql) {
      throw new ClaimsError(
        ErrorCodes.CONFIG_INVALID,
        "PostgreSQL lock backend: pass a database URL (url) or a pool (sql)",
      );
    }
    this.#ttlMs = options.ttlMs ?? DEFAULT_LOCK_TTL_MS;
    assertTtl(this.#ttlMs);
    this.#holder = options.holder ?? holderId();
    assertHolder(this.#holder);
    const session = options.url
      ? Promise.resolve(
        openSessionFromUrl(options.url, {
          applicationName: options.applicationName,
          session: options.session,
        }),
      )
      : openSessionFromPool(options.sql!);
    this.#session = session.then((s) => {
      s.onLost((reason) => this.#loseAll(reason));
      this.#ready = s;
      return s;
    });
    // A failed reservation surfaces on first use; do not let it go unhandled meanwhile.
    this.#session.catch(() => undefined);
    this.#driver = {
      expires: false,
      releaseAfterLoss: false,
      extend: async (leases) => {
        const held = await heldBySession((await this.#session).sql);
        return leases.map((lease) => held.has(lease.handle));
      },
      releaseOne: async (lease) => {
        try {
          const session = this.#ready ?? (await this.#session);
          const [released] = await unlockMany(session.sql, [lease.handle]);
          return released === true;
        } catch (error) {
          throw pgLockFailure("release", [lease.key], error);
        }
      },
      release: async (leases) => {
        try {
          return await unlockMany(
            (await this.#session).sql,
            leases.map((lease) => lease.handle),
          );
        } catch (error) {
          throw pgLockFailure("release", leases.map((lease) => lease.key), error);
        }
      },
    };
    this.#keepers = new LeaseKeepers(this.#driver);
  }

  /** The dedicated session's connection (diagnostics and the benchmark's baseline only). */
  async sessionSql(): Promise<Sql> {
    return (await this.#session).sql;
  }

  /** One key: one statement, no batch objects (the hot path). */
  async tryAcquire(key: string, options: AcquireOptions = {}): Promise<Lease | null> {
    assertLockKey(key);
    // A token floor (rare: a refused stale write) takes the many-key statement, which has one.
    if (floorOf(options, key) !== undefined) {
      return (await this.#acquire([key], options)).leases.get(key) ?? null;
    }
    const { ttlMs, holder } = this.#prepare(options);
    // Held by this backend already, or being acquired right now: not ours to take again.
    if (this.#held.has(key) || this.#pending.has(key)) return null;
    this.#pending.add(key);
    try {
      const session = this.#ready ?? (await this.#sessionFor("acquire", [key]));
      const lockId = lockIdOf(key);
      const sentAt = monotonicNow();
      let rows: FenceRow[];
      try {
        rows = await tryLockOne(session.sql, key, lockId, holder);
      } catch (error) {
        await this.#undoFailedAcquire(session, [lockId]);
        throw pgLockFailure("acquire", [key], error);
      }
      const row = rows[0];
      if (!row) return null;
      const lease = this.#lease(row, lockId, holder, ttlMs, sentAt);
      this.#track(lease, options.autoExtend ?? true);
      return lease;
    } finally {
      this.#pending.delete(key);
    }
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

  async isLocked(key: string): Promise<boolean> {
    assertLockKey(key);
    try {
      return await isLockIdHeld((await this.#session).sql, lockIdOf(key));
    } catch (error) {
      throw pgLockFailure("check", [key], error);
    }
  }

  async inspect(
    keys: readonly string[],
  ): Promise<Map<string, { holder: string | null; ttlMs: number | null }>> {
    if (keys.length === 0) return new Map();
    keys.forEach(assertLockKey);
    try {
      return await inspectPostgresLocks((await this.#session).sql, keys);
    } catch (error) {
      throw pgLockFailure("inspect", [...keys], error);
    }
  }

  async list(prefix?: string): Promise<LockInfo[]> {
    try {
      return await listPostgresLocks((await this.#session).sql, prefix);
    } catch (error) {
      throw pgLockFailure("list", [prefix ?? "lock:*"], error);
    }
  }

  /**
   * Stops the checks, fires the signal of every lease still held and ends the session, which
   * releases all its locks on the server.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#keepers.stop();
    this.#loseAll("the lock backend was closed");
    const session = await this.#session.catch(() => undefined);
    await session?.close();
  }

  #loseAll(reason: string): void {
    for (const lease of [...this.#held.values()]) lease.markLost(reason);
  }

  async #sessionFor(action: string, keys: readonly string[]): Promise<LockSession> {
    try {
      return await this.#session;
    } catch (error) {
      throw pgLockFailure(action, keys, error);
    }
  }

  /** Checks the call's options (keys are checked by the caller). */
  #prepare(options: AcquireOptions) {
    if (this.#closed) {
      throw new ClaimsError(ErrorCodes.LOCK_NOT_ACQUIRED, "PostgreSQL lock backend is closed");
    }
    const ttlMs = options.ttlMs ?? this.#ttlMs;
    if (options.ttlMs !== undefined) assertTtl(ttlMs);
    const holder = options.holder ?? this.#holder;
    if (options.holder !== undefined) assertHolder(holder);
    return { ttlMs, holder };
  }

  #lease(
    row: FenceRow,
    lockId: bigint,
    holder: string,
    ttlMs: number,
    sentAt: number,
  ): ManagedLease<PgHandle> {
    return new ManagedLease<PgHandle>({
      key: row.key,
      holder,
      fencingToken: BigInt(row.token),
      acquiredAt: Number(row.acquired_ms),
      ttlMs,
      handle: lockId,
      driver: this.#driver,
      sentAt,
    });
  }

  /** Registered as held; with autoExtend, checked by the backend's keeper for its TTL. */
  #track(lease: ManagedLease<PgHandle>, autoExtend: boolean): void {
    this.#held.set(lease.key, lease);
    lease.observe(this.#untrack);
    if (autoExtend) this.#keepers.add(lease, "extend");
  }

  async #acquire(
    keys: readonly string[],
    options: AcquireOptions,
  ): Promise<ManagedLeaseGroup<PgHandle>> {
    const unique = [...new Set(keys)];
    unique.forEach(assertLockKey);
    const { ttlMs, holder } = this.#prepare(options);
    const wanted = unique.filter((key) => !this.#held.has(key) && !this.#pending.has(key));
    const leases = new Map<string, ManagedLease<PgHandle>>();
    if (wanted.length === 0) return new ManagedLeaseGroup(leases, this.#driver);
    for (const key of wanted) this.#pending.add(key);
    try {
      const session = this.#ready ?? (await this.#sessionFor("acquire", wanted));
      const lockIds = wanted.map(lockIdOf);
      const sentAt = monotonicNow();
      let rows: FenceRow[];
      try {
        const floors = options.minTokens?.size
          ? wanted.map((key) => floorOf(options, key) ?? "0")
          : null;
        rows = await tryLockMany(session.sql, wanted, lockIds, holder, floors);
      } catch (error) {
        await this.#undoFailedAcquire(session, lockIds);
        throw pgLockFailure("acquire", wanted, error);
      }
      const idOf = new Map(wanted.map((key, i) => [key, lockIds[i]!]));
      const autoExtend = options.autoExtend ?? true;
      for (const row of rows) {
        const lease = this.#lease(row, idOf.get(row.key)!, holder, ttlMs, sentAt);
        leases.set(row.key, lease);
        this.#track(lease, autoExtend);
      }
    } finally {
      for (const key of wanted) this.#pending.delete(key);
    }
    return new ManagedLeaseGroup(leases, this.#driver);
  }

  /**
   * Session locks survive the rollback of the statement that took them, so a try-lock whose
   * fence upsert failed may still hold the lock: unlock those ids, except ids another lease of
   * ours holds (a key collision), whose unlock would release that lease.
   */
  async #undoFailedAcquire(session: LockSession, lockIds: readonly bigint[]): Promise<void> {
    const ours = new Set([...this.#held.values()].map((lease) => lease.handle));
    const strays = lockIds.filter((id) => !ours.has(id));
    if (strays.length > 0) await unlockMany(session.sql, strays).catch(() => undefined);
  }
}

export function createPostgresLockBackend(
  options: PostgresLockBackendOptions,
): PostgresLockBackend {
  return new PostgresLockBackend(options);
}
