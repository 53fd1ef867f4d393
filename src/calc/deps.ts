/** What the calculation core runs on: storage, locks, and the few things tests pin. */
import type { LockBackend } from "../locks/contract.ts";
import type { PolicyDayItem } from "./policy-day-items.ts";
import type { CalcStore } from "./ports.ts";

/** Counters the worker exports; the core reports into them without knowing Prometheus. */
export interface CalcObserver {
  policyDays(items: readonly PolicyDayItem[]): void;
  lockContention(count: number): void;
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
