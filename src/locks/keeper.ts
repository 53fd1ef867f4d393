/**
 * Keeps leases alive with ONE timer (redis-semaphore's `refreshInterval` shape): every ttl/3
 * it extends all of its leases in one round trip. A backend has one keeper per TTL, so the
 * ~500 policy-days of a batch, and every other lease of the same TTL, cost one timer and one
 * pipeline per period instead of one of each per lease. A lease joining between two ticks is
 * first extended at the next tick, which is at most ttl/3 away: well within its TTL.
 *
 * Leases the server reports gone fire their signal; leases it could not be asked about are
 * kept only while they are certain to outlive the next attempt (see extendLeases).
 *
 * In `watch` mode (autoExtend: false) it extends nothing and only fires the signal of each
 * lease when its TTL runs out, so a holder that opted out of extension still learns of the loss.
 */
import {
  extendLeases,
  type LeaseDriver,
  type LeaseObserver,
  type ManagedLease,
  monotonicNow,
} from "./lease.ts";
import { unrefTimer } from "./timers.ts";

export type KeeperMode = "extend" | "watch";

/** The refresh period for a TTL: a third, so two extensions may fail before the lease expires. */
export function refreshIntervalFor(ttlMs: number): number {
  return Math.max(1, Math.floor(ttlMs / 3));
}

export class LeaseKeeper<H> {
  readonly #driver: LeaseDriver<H>;
  readonly #ttlMs: number;
  readonly #mode: KeeperMode;
  readonly #intervalMs: number;
  readonly #leases = new Set<ManagedLease<H>>();
  readonly #observer: LeaseObserver<H>;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Monotonic time the pending timer fires at. */
  #timerAt = Number.POSITIVE_INFINITY;
  #ticking = false;
  #stopped = false;

  constructor(driver: LeaseDriver<H>, options: { ttlMs: number; mode: KeeperMode }) {
    this.#driver = driver;
    this.#ttlMs = options.ttlMs;
    this.#mode = options.mode;
    this.#intervalMs = refreshIntervalFor(options.ttlMs);
    this.#observer = {
      // The timer is not cleared when the last lease leaves: an acquire/release loop would
      // otherwise arm and disarm it every cycle. An idle tick simply does not re-arm.
      settled: (lease) => this.#leases.delete(lease),
      expiryMoved: (lease) => {
        if (this.#mode === "watch" && lease.expiresAt < this.#timerAt) this.#rearm();
      },
    };
  }

  get size(): number {
    return this.#leases.size;
  }

  add(lease: ManagedLease<H>): void {
    if (this.#stopped || !lease.isHeld) return;
    this.#leases.add(lease);
    lease.observe(this.#observer);
    if (this.#mode === "watch" && lease.expiresAt < this.#timerAt) this.#rearm();
    else this.#schedule();
  }

  /** Stops the timer for good (backend closing); the leases keep their state. */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
    this.#leases.clear();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #rearm(): void {
    if (this.#ticking) return; // the tick re-arms when it ends
    this.#clearTimer();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped || this.#ticking || this.#timer !== undefined || this.#leases.size === 0) {
      return;
    }
    let delay = this.#intervalMs;
    if (this.#mode === "watch") {
      let soonest = Number.POSITIVE_INFINITY;
      for (const lease of this.#leases) soonest = Math.min(soonest, lease.expiresAt);
      delay = Math.max(0, Math.ceil(soonest - monotonicNow()));
    }
    this.#timerAt = monotonicNow() + delay;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
      void this.#tick();
    }, delay);
    unrefTimer(this.#timer);
  }

  async #tick(): Promise<void> {
    this.#ticking = true;
    try {
      if (this.#mode === "extend") {
        await extendLeases(this.#driver, [...this.#leases], this.#ttlMs, this.#intervalMs);
      } else {
        const now = monotonicNow();
        for (const lease of [...this.#leases]) {
          if (lease.expiresAt <= now) lease.markLost("its TTL ran out (automatic extension off)");
        }
      }
    } finally {
      this.#ticking = false;
      this.#schedule();
    }
  }
}

/** A backend's keepers, one per mode and TTL, made on first use. */
export class LeaseKeepers<H> {
  readonly #driver: LeaseDriver<H>;
  readonly #keepers = new Map<string, LeaseKeeper<H>>();
  /** The keeper used last: nearly every lease of a backend has the same mode and TTL. */
  #last: { mode: KeeperMode; ttlMs: number; keeper: LeaseKeeper<H> } | undefined;

  constructor(driver: LeaseDriver<H>) {
    this.#driver = driver;
  }

  add(lease: ManagedLease<H>, mode: KeeperMode): void {
    const last = this.#last;
    if (last && last.mode === mode && last.ttlMs === lease.ttlMs) {
      last.keeper.add(lease);
      return;
    }
    const id = `${mode}:${lease.ttlMs}`;
    let keeper = this.#keepers.get(id);
    if (!keeper) {
      keeper = new LeaseKeeper(this.#driver, { ttlMs: lease.ttlMs, mode });
      this.#keepers.set(id, keeper);
    }
    this.#last = { mode, ttlMs: lease.ttlMs, keeper };
    keeper.add(lease);
  }

  stop(): void {
    for (const keeper of this.#keepers.values()) keeper.stop();
    this.#keepers.clear();
    this.#last = undefined;
  }
}
