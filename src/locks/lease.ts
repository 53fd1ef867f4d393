/**
 * The lease state machine both backends share: held → released, held → lost (→ released).
 * A backend supplies a LeaseDriver (batched extend and release on its server); everything
 * about signals, idempotent release and expiry estimates lives here once.
 */
import type { Lease } from "./contract.ts";
import { ClaimsError, ErrorCodes } from "../errors.ts";
import { LockLostError } from "./errors.ts";
import { unrefTimer } from "./timers.ts";

export type ExtendOutcome = boolean | Error;

/** What a backend does on its server, always for a batch (a single lease is a batch of one). */
export interface LeaseDriver<H> {
  /** True where leases expire on their own (Redis TTL); false where they live with a connection. */
  readonly expires: boolean;
  /**
   * Whether a lease already marked lost may still try a release. Redis: yes, the release
   * compares the token, so it only deletes what is still ours (a lease "lost" because Redis was
   * unreachable may still be there). PostgreSQL: no, an unlock on the session could release a
   * newer lease of the same lock id.
   */
  readonly releaseAfterLoss: boolean;
  /** Per lease: true (still ours, extended), false (gone or another holder's), or the error. */
  extend(leases: readonly ManagedLease<H>[], ttlMs: number): Promise<ExtendOutcome[]>;
  /** Per lease: true when this call released it, false when nothing of ours was there. */
  release(leases: readonly ManagedLease<H>[]): Promise<boolean[]>;
  /** `release` for one lease without the arrays: half of every lock cycle. */
  releaseOne(lease: ManagedLease<H>): Promise<boolean>;
}

export interface LeaseInit<H> {
  key: string;
  holder: string;
  fencingToken: bigint;
  acquiredAt: number;
  ttlMs: number;
  /** Backend data needed to extend or release (Redis: the exact value; PostgreSQL: the lock id). */
  handle: H;
  driver: LeaseDriver<H>;
  /** Monotonic time (performance.now()) when the acquisition was sent: the expiry estimate's start. */
  sentAt: number;
}

type State = "held" | "released" | "lost";

export const monotonicNow = (): number => performance.now();

/** Who follows a lease: the backend's registry, its keeper, its group. */
export interface LeaseObserver<H> {
  /** It stopped being held (released or lost); called once. */
  settled?(lease: ManagedLease<H>): void;
  /** It was lost (called after `settled`). */
  lost?(lease: ManagedLease<H>, error: LockLostError): void;
  /** An extension moved its local expiry. */
  expiryMoved?(lease: ManagedLease<H>): void;
}

export class ManagedLease<H> implements Lease {
  readonly key: string;
  readonly holder: string;
  readonly fencingToken: bigint;
  readonly acquiredAt: number;
  readonly ttlMs: number;
  readonly handle: H;
  readonly #driver: LeaseDriver<H>;
  readonly #observers: LeaseObserver<H>[] = [];
  /** Made on first use: most leases of a batch never have their own signal read. */
  #controller: AbortController | undefined;
  #lostWith: LockLostError | undefined;
  #state: State = "held";
  /**
   * Local estimate of the server-side expiry. Counted from when the request was *sent*, so it is
   * never later than the real expiry: the lease reports itself lost before the server frees it.
   */
  #expiresAt: number;

  constructor(init: LeaseInit<H>) {
    this.key = init.key;
    this.holder = init.holder;
    this.fencingToken = init.fencingToken;
    this.acquiredAt = init.acquiredAt;
    this.ttlMs = init.ttlMs;
    this.handle = init.handle;
    this.#driver = init.driver;
    this.#expiresAt = init.driver.expires ? init.sentAt + init.ttlMs : Number.POSITIVE_INFINITY;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#lostWith) this.#controller.abort(this.#lostWith);
    }
    return this.#controller.signal;
  }

  get state(): State {
    return this.#state;
  }

  get isHeld(): boolean {
    return this.#state === "held";
  }

  get expiresAt(): number {
    return this.#expiresAt;
  }

  observe(observer: LeaseObserver<H>): void {
    this.#observers.push(observer);
  }

  async extend(ttlMs: number = this.ttlMs): Promise<boolean> {
    assertTtl(ttlMs);
    if (!this.isHeld) return false;
    const [outcome] = await extendLeases(this.#driver, [this], ttlMs, 0);
    if (outcome instanceof Error && this.isHeld) throw outcome;
    return this.isHeld;
  }

  release(): Promise<boolean> {
    if (!this.beginRelease()) return Promise.resolve(false);
    return this.#driver.releaseOne(this);
  }

  /**
   * Moves to `released` synchronously (so a second release, even a concurrent one, is a no-op)
   * and says whether the server still needs to be asked.
   */
  beginRelease(): boolean {
    if (this.#state === "released") return false;
    const wasLost = this.#state === "lost";
    this.#state = "released";
    if (!wasLost) this.#settle();
    return !wasLost || this.#driver.releaseAfterLoss;
  }

  /** Applies the server's answer to an extension sent at `sentAt`. */
  applyExtension(stillOurs: boolean, sentAt: number, ttlMs: number): boolean {
    if (!this.isHeld) return false;
    if (!stillOurs) {
      this.markLost(
        this.#driver.expires
          ? "it expired or another holder took it (found when extending)"
          : "the session no longer holds it (found when checking)",
      );
      return false;
    }
    if (this.#driver.expires) {
      this.#expiresAt = sentAt + ttlMs;
      for (const observer of this.#observers) observer.expiryMoved?.(this);
    }
    return true;
  }

  /**
   * An extension could not reach the server. The lease is kept while it is certain to last
   * until the next attempt; otherwise it is reported lost now, before the server frees it.
   */
  applyExtensionError(error: Error, nextAttemptAt: number): void {
    if (this.isHeld && nextAttemptAt >= this.#expiresAt) {
      this.markLost(`it could not be extended before it expires: ${error.message}`, error);
    }
  }

  markLost(reason: string, cause?: unknown): void {
    if (!this.isHeld) return;
    this.#state = "lost";
    this.#settle();
    const error = new LockLostError(
      this.key,
      reason,
      cause === undefined ? undefined : { cause },
    );
    this.#lostWith = error;
    this.#controller?.abort(error);
    for (const observer of this.#observers) observer.lost?.(this, error);
  }

  #settle(): void {
    for (const observer of this.#observers) observer.settled?.(this);
  }
}

/** The server did not answer an extension before the lease would expire. */
export class NoAnswerError extends Error {
  constructor(waitedMs: number) {
    super(`no answer from the lock server within ${Math.round(waitedMs)} ms`);
    this.name = "NoAnswerError";
  }
}

/** `promise`, or a NoAnswerError once the monotonic time `deadline` has passed. */
function answerBy<T>(promise: Promise<T>, deadline: number): Promise<T> {
  const waitMs = Math.max(0, deadline - monotonicNow());
  if (!Number.isFinite(waitMs)) return promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswerError(waitMs)), waitMs);
    unrefTimer(timer);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Extends the still-held leases of a batch in one driver call and applies the outcome to each
 * lease; returns the outcomes in the order of `leases` (false for leases found not held).
 *
 * - A lease whose local expiry already passed (the process was paused or its event loop
 *   blocked past the TTL) is lost without asking: someone else may have held it meanwhile.
 * - No answer before the soonest expiry of the batch (a network partition, a server that
 *   hangs) loses the leases then, not whenever the request finally fails.
 * - Another error keeps a lease only while it is certain to outlive the next attempt, which
 *   the caller makes in `retryInMs`.
 */
export async function extendLeases<H>(
  driver: LeaseDriver<H>,
  leases: readonly ManagedLease<H>[],
  ttlMs: number,
  retryInMs: number,
): Promise<ExtendOutcome[]> {
  const sentAt = monotonicNow();
  for (const lease of leases) {
    if (lease.isHeld && lease.expiresAt <= sentAt) {
      lease.markLost("its TTL ran out before it was extended (process paused or blocked?)");
    }
  }
  const batch = leases.filter((lease) => lease.isHeld);
  const results = new Map<ManagedLease<H>, ExtendOutcome>();
  if (batch.length > 0) {
    let deadline = sentAt + ttlMs;
    for (const lease of batch) deadline = Math.min(deadline, lease.expiresAt);
    let outcomes: ExtendOutcome[];
    try {
      outcomes = await answerBy(driver.extend(batch, ttlMs), deadline);
    } catch (error) {
      outcomes = batch.map(() => error as Error);
    }
    const nextAttemptAt = monotonicNow() + retryInMs;
    batch.forEach((lease, i) => {
      const outcome = outcomes[i] ?? new Error("the server sent no reply for this lease");
      results.set(lease, outcome);
      if (outcome instanceof NoAnswerError) lease.markLost(outcome.message, outcome);
      else if (outcome instanceof Error) lease.applyExtensionError(outcome, nextAttemptAt);
      else lease.applyExtension(outcome, sentAt, ttlMs);
    });
  }
  return leases.map((lease) => results.get(lease) ?? false);
}

export function assertTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > 86_400_000 * 7) {
    throw new ClaimsError(
      ErrorCodes.INPUT_INVALID,
      `lock ttlMs must be an integer from 1 to 604800000 (7 days), got ${String(ttlMs)}`,
    );
  }
}
