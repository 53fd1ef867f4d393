/**
 * The leases of one batch acquisition, handled together: one signal for the batch, extension
 * and release of all of them in one round trip each.
 */
import type { LeaseGroup } from "./contract.ts";
import type { LockLostError } from "./errors.ts";
import { refreshIntervalFor } from "./keeper.ts";
import { assertTtl, extendLeases, type LeaseDriver, type ManagedLease } from "./lease.ts";

export class ManagedLeaseGroup<H> implements LeaseGroup {
  readonly leases: ReadonlyMap<string, ManagedLease<H>>;
  readonly #driver: LeaseDriver<H>;
  /** Made on first use, like a lease's. */
  #controller: AbortController | undefined;
  #lostWith: LockLostError | undefined;

  constructor(leases: ReadonlyMap<string, ManagedLease<H>>, driver: LeaseDriver<H>) {
    this.leases = leases;
    this.#driver = driver;
    const observer = {
      lost: (_lease: ManagedLease<H>, error: LockLostError) => {
        if (this.#lostWith) return;
        this.#lostWith = error;
        this.#controller?.abort(error);
      },
    };
    for (const lease of leases.values()) lease.observe(observer);
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#lostWith) this.#controller.abort(this.#lostWith);
    }
    return this.#controller.signal;
  }

  async extendAll(ttlMs?: number): Promise<string[]> {
    if (ttlMs !== undefined) assertTtl(ttlMs);
    const held = [...this.leases.values()].filter((lease) => lease.isHeld);
    if (held.length === 0) return [];
    const ttl = ttlMs ?? held[0]!.ttlMs;
    await extendLeases(this.#driver, held, ttl, refreshIntervalFor(ttl));
    return held.filter((lease) => lease.state === "lost").map((lease) => lease.key);
  }

  async releaseAll(): Promise<number> {
    const batch = [...this.leases.values()].filter((lease) => lease.beginRelease());
    if (batch.length === 0) return 0;
    const released = await this.#driver.release(batch);
    return released.filter(Boolean).length;
  }
}
