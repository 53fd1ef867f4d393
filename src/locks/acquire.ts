/**
 * What both backends build on top of their non-blocking try-acquire: waiting with a timeout
 * (polling with jitter, never throwing for contention) and running a function under a lock.
 */
import type { AcquireOptions, AcquireWithTimeoutOptions, Lease, LockBackend } from "./contract.ts";
import { ClaimsError, ErrorCodes } from "../errors.ts";
import { LockNotAcquiredError } from "./errors.ts";
import { monotonicNow } from "./lease.ts";

export const DEFAULT_RETRY_DELAY_MS = 25;

type TryAcquire = (key: string, options?: AcquireOptions) => Promise<Lease | null>;

function assertDuration(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ClaimsError(
      ErrorCodes.INPUT_INVALID,
      `${name} must be a non-negative integer of milliseconds, got ${String(value)}`,
    );
  }
}

/** Resolves after `ms`, or early when `signal` aborts (never rejects). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Tries until the lock is free or `timeoutMs` has passed; null (no exception) when it never
 * was, and never before `timeoutMs` unless `signal` aborted.
 */
export async function acquireWithTimeout(
  tryAcquire: TryAcquire,
  key: string,
  options: AcquireWithTimeoutOptions,
): Promise<Lease | null> {
  assertDuration("timeoutMs", options.timeoutMs);
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  assertDuration("retryDelayMs", retryDelayMs);
  const deadline = monotonicNow() + options.timeoutMs;
  for (;;) {
    if (options.signal?.aborted) return null;
    const lease = await tryAcquire(key, options);
    if (lease) return lease;
    const remaining = deadline - monotonicNow();
    if (remaining <= 0) return null;
    // Jitter spreads contenders that started together so they do not retry in lockstep.
    const jittered = Math.max(1, Math.round(retryDelayMs * (0.5 + Math.random())));
    await pause(Math.min(Math.ceil(remaining), jittered), options.signal);
  }
}

export type WithLockOptions = AcquireOptions & {
  timeoutMs?: number;
  retryDelayMs?: number;
  signal?: AbortSignal;
};

/**
 * Takes the lock (at once, or within `timeoutMs`), runs `fn`, and always releases. An error of
 * `fn` reaches the caller unchanged (a failing release must not mask it); when `fn` succeeded a
 * failing release is reported, since the caller may want to know the lock outlives the work.
 */
export async function runWithLock<T>(
  backend: Pick<LockBackend, "tryAcquire" | "acquire">,
  key: string,
  fn: (lease: Lease) => Promise<T>,
  options: WithLockOptions = {},
): Promise<T> {
  const lease = options.timeoutMs === undefined
    ? await backend.tryAcquire(key, options)
    : await backend.acquire(key, { ...options, timeoutMs: options.timeoutMs });
  if (!lease) {
    throw new LockNotAcquiredError(
      key,
      options.timeoutMs === undefined
        ? "held by another holder"
        : `still held by another holder after ${options.timeoutMs} ms`,
    );
  }
  let result: T;
  try {
    result = await fn(lease);
  } catch (error) {
    await lease.release().catch(() => undefined);
    throw error;
  }
  await lease.release();
  return result;
}
