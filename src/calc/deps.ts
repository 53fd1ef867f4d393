/** What the calculation core runs on: storage, locks, and the few things tests pin. */
import type { LockBackend } from "../locks/contract.ts";
import type { RefusalReason } from "../store/policy-day-types.ts";
import type { PolicyDayItem } from "./policy-day-items.ts";
import type { CalcStore } from "./ports.ts";

/**
 * What the worker's metrics hear from the core, which knows nothing of Prometheus. The timings
 * are optional: a caller that only counts (a test, the benchmark floor) leaves them out.
 */
export interface CalcObserver {
  /** Finished policy-days (once each, with their final status of this call). */
  policyDays(items: readonly PolicyDayItem[]): void;
  lockContention(count: number): void;
  /** A write the database refused (computed again in a later round): its refusal. */
  writeRefused?(reason: RefusalReason): void;
  /** One chunk's lock acquisition (all its keys in one call), in seconds. */
  lockAcquisition?(seconds: number): void;
  /** One chunk's write transaction, in seconds. */
  writeTransaction?(seconds: number): void;
  /** One chunk from its first lock to its release, in seconds. */
  chunk?(seconds: number): void;
}

export interface PolicyDaysDeps {
  store: CalcStore;
  locks: LockBackend;
  lockTtlMs: number;
  /** Pause between contention rounds; abortable. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source for the backoff (tests pin it). */
  random?: () => number;
  observer?: CalcObserver;
}
