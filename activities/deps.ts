/**
 * Everything the activities use, handed in by whoever builds them (the worker, or a test with
 * its own database, lock backend, clock and faults). Nothing in activities/ reaches for a
 * global connection or the environment.
 */
import type { CalcObserver } from "../src/calc/policy-days.ts";
import type { CalcStore } from "../src/calc/ports.ts";
import type { LockBackend } from "../src/locks/contract.ts";
import type { Logger } from "../src/log.ts";

/** Batch attempts, timed by the batch activity (src/metrics/claims-metrics.ts implements it). */
export interface BatchObserver {
  batch?(seconds: number, outcome: "ok" | "failed"): void;
}

export interface ActivityConfig {
  /** Lease time-to-live of the per policy-day locks (LOCK_TTL_MS). */
  lockTtlMs: number;
  /** Policy-days per lock round trip and write transaction (CLAIMS_CHUNK_SIZE). */
  chunkSize: number;
  /** Extra rounds for contended policy-days inside a batch (default 3). */
  contentionRetries?: number;
  /** First pause before a contention round (default 250 ms). */
  contentionBackoffMs?: number;
  /** Heartbeat period when the activity has no heartbeat timeout (default 10 s). */
  heartbeatEveryMs?: number;
}

export interface ActivityDeps {
  store: CalcStore;
  locks: LockBackend;
  config: ActivityConfig;
  clock?: () => number;
  log?: Logger;
  observer?: CalcObserver & BatchObserver;
  /** Abortable pause (contention backoff); tests make it instant. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}
