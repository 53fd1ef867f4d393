/**
 * The one lock contract of the product (SPEC §5). Two backends implement it (Redis, the
 * default, and PostgreSQL advisory locks) and one contract suite proves both.
 *
 * Why fencing tokens: a lease can expire while its holder is paused (GC, SIGSTOP, a blocked
 * event loop) and the paused holder may still write afterwards. Only the database can stop
 * that write, by refusing a token lower than the last one it accepted for the same key.
 */

/** Default lease TTL (LOCK_TTL_MS): long enough for a batch, short enough to recover from a crash. */
export const DEFAULT_LOCK_TTL_MS = 120_000;

/** A held lock. Everything about it is fixed at acquisition except whether it is still held. */
export interface Lease {
  readonly key: string;
  /** Who holds it: host, process and attempt (e.g. `host/pid/workflowId/attempt/random`). */
  readonly holder: string;
  /** Strictly increasing per key across every acquisition, restarts and backend switches. */
  readonly fencingToken: bigint;
  /** Epoch ms of the acquisition. */
  readonly acquiredAt: number;
  /**
   * Fires when the lease is lost: an extension failed or found the lock gone or taken, its TTL
   * ran out without extension, or (PostgreSQL) its session ended. The reason is a LockLostError.
   */
  readonly signal: AbortSignal;
  /** Pushes the expiry out (to `ttlMs` from now, default the acquisition TTL); false when lost. */
  extend(ttlMs?: number): Promise<boolean>;
  /**
   * Idempotent: true when this call released the lock, false when there was nothing of ours to
   * release (already released, expired, or taken over: another holder's lock is never touched).
   * One round trip at most, no retries: an expired lease answers false at once. It throws only
   * when the server cannot be reached (then the lock expires or ends with the session).
   */
  release(): Promise<boolean>;
}

export interface AcquireOptions {
  /** Lease time-to-live in ms (Redis; PostgreSQL session locks live as long as the connection). */
  ttlMs?: number;
  /** Extend automatically every ttl/3 while held (default true). */
  autoExtend?: boolean;
  /** Holder identity; a generated host/pid/random one when omitted. */
  holder?: string;
  /**
   * Token floors by key: the key's new token is at least its floor (and still above every
   * token issued for the key before). A caller whose write was refused because the database
   * already holds a higher token for what the key protects (a token from a clock that ran
   * ahead, a lock service that lost its fence counter) asks for one above it. At most 2^53 - 1.
   */
  minTokens?: ReadonlyMap<string, bigint>;
}

export interface AcquireWithTimeoutOptions extends AcquireOptions {
  /** Give up after this many ms and resolve to null (never throws for contention). */
  timeoutMs: number;
  /** Pause between attempts (default 25 ms, with jitter). */
  retryDelayMs?: number;
  /** Stops waiting early (resolves to null), e.g. when a Temporal activity is cancelled. */
  signal?: AbortSignal;
}

/**
 * The leases of one `tryAcquireGroup` call (a batch of policy-days): automatically extended
 * by the backend's one timer for their TTL (one pipeline per period, never a timer per lease),
 * by hand with extendAll, released together in one round trip. A lease released on its own
 * simply leaves the batch.
 */
export interface LeaseGroup {
  /** The leases acquired, by key (keys held by others are absent). Fixed at acquisition. */
  readonly leases: ReadonlyMap<string, Lease>;
  /** Fires when any lease of the group is lost; its reason is that lease's LockLostError. */
  readonly signal: AbortSignal;
  /** Extends every still-held lease in one round trip; returns the keys found lost. */
  extendAll(ttlMs?: number): Promise<string[]>;
  /** Releases every lease of the group in one round trip; returns how many this call released. */
  releaseAll(): Promise<number>;
}

/** A lock as operators see it in `claims locks`. */
export interface LockInfo {
  backend: "redis" | "postgres";
  key: string;
  holder: string | null;
  /** Epoch ms when it was taken, when known. */
  since: number | null;
  /** Remaining time-to-live in ms (Redis); null where locks do not expire (PostgreSQL). */
  ttlMs: number | null;
  /** The fencing token of the current acquisition (decimal), when known. */
  fencingToken: string | null;
}

export interface LockBackend {
  readonly name: "redis" | "postgres";
  /** Non-blocking: a lease, or null at once while someone else holds the key. */
  tryAcquire(key: string, options?: AcquireOptions): Promise<Lease | null>;
  /**
   * Non-blocking for many keys at once (pipelined on Redis): the leases of the keys that were
   * free; keys held by others are simply absent from the result.
   */
  tryAcquireMany(keys: readonly string[], options?: AcquireOptions): Promise<Map<string, Lease>>;
  /** `tryAcquireMany` with the batch handle: one signal, pipelined extendAll/releaseAll. */
  tryAcquireGroup(keys: readonly string[], options?: AcquireOptions): Promise<LeaseGroup>;
  /** Retries until `timeoutMs`; null (no exception) when still not acquired by then. */
  acquire(key: string, options: AcquireWithTimeoutOptions): Promise<Lease | null>;
  /**
   * Runs `fn` under the lock and always releases, also when `fn` throws (the error reaches the
   * caller unchanged). Throws LockNotAcquiredError naming the key when not acquired (at once,
   * or after `timeoutMs` when given).
   */
  withLock<T>(
    key: string,
    fn: (lease: Lease) => Promise<T>,
    options?: AcquireOptions & { timeoutMs?: number; retryDelayMs?: number; signal?: AbortSignal },
  ): Promise<T>;
  isLocked(key: string): Promise<boolean>;
  /**
   * Who holds each of the given keys now, and for how long at most (Redis: the remaining TTL;
   * PostgreSQL: null, a session lock lives as long as its holder's connection). Keys nobody
   * holds are absent. For reports on contention: it says whom a calculation waited for.
   */
  inspect(
    keys: readonly string[],
  ): Promise<Map<string, { holder: string | null; ttlMs: number | null }>>;
  /** Locks held now (optionally only keys starting with `prefix`). */
  list(prefix?: string): Promise<LockInfo[]>;
  /**
   * Stops refresh timers, fires the signal of every lease still held (Redis also releases them;
   * PostgreSQL ends the session, which releases them) and closes the backend's own connections
   * (not ones passed in).
   */
  close(): Promise<void>;
}
