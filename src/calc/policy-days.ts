/**
 * The core of every calculation, with or without Temporal: for one claim date and a list of
 * policies, take one lock (and one fencing token) per policy-day, load, compute, write under
 * the tokens, release. Activities, the CLI and the benchmark's floor all run this.
 *
 *   sorted ids --chunks--> tryAcquireGroup (pipelined) --> load policies + local-day events
 *     --> calculateDayCandidates + inputs hash --> writePolicyDays (one transaction a chunk)
 *     --> release (always)                      contended ids --> later rounds, with backoff
 *   (chunk n+1 is prepared, up to its writes, while chunk n writes)
 *
 * Why chunks: one transaction per chunk bounds both the lock hold time and what a retry must
 * redo; a checkpoint after each chunk lets a retried activity resume after the last one.
 */
import { isValidDate } from "../domain/calendar.ts";
import { ID_PATTERN } from "../domain/schemas.ts";
import { ClaimsError, ErrorCodes } from "../errors.ts";
import { holderId } from "../locks/holder.ts";
import type { WriteCause } from "../store/policy-day-types.ts";
import type { PolicyDaysDeps } from "./deps.ts";
import { itemsProblems, itemsTotals, type PolicyDayItem } from "./policy-day-items.ts";
import { abandonChunk, finishChunk, prepareChunk } from "./run-chunk.ts";
import {
  addTotals,
  appendProblems,
  emptyTotals,
  type PolicyDayProblem,
  type Totals,
} from "./totals.ts";

export type { CalcObserver, PolicyDaysDeps } from "./deps.ts";
export {
  ItemProblemTypes,
  type PolicyDayItem,
  type PolicyDayItemStatus,
} from "./policy-day-items.ts";
import { ItemProblemTypes, REFUSAL_TYPES } from "./policy-day-items.ts";
import { claimCalcLockKey } from "../locks/keys.ts";

/** Where a call stands; a retried call given this resumes right after the last finished chunk. */
export interface PolicyDaysCheckpoint {
  /** 0 for the pass over the given ids; 1, 2 … for the contention rounds. */
  round: number;
  /** The ids of this round when round > 0 (round 0 works on the call's sorted ids). */
  roundIds: string[] | null;
  /** How many ids of this round's list are finished. */
  done: number;
  /** Ids found contended in this round, for the next one. */
  deferred: string[];
  /** Ids still contended after the last round. */
  contended: string[];
  /**
   * Token floors (decimal) by policy id for the next round: writes refused for a stale token
   * are computed again under a token above the ledger's. Absent in checkpoints of older builds.
   */
  floors?: Record<string, string>;
  /** Totals of every finished policy-day (contended ones only once no round is left). */
  totals: Totals;
  problems: PolicyDayProblem[];
}

export interface CalculatePolicyDaysOptions {
  /** The policy-local claim date, YYYY-MM-DD. */
  date: string;
  policyIds: readonly string[];
  /** Recorded with the write: Temporal `workflowId/runId`, or `manual`. */
  writtenBy: string;
  /** Why the days are computed again (a policy amendment: the audit says so). */
  cause?: WriteCause | undefined;
  /** Aborts between steps and before any write (activity cancellation, shutdown). */
  signal?: AbortSignal;
  /** Policy-days per lock round trip and write transaction (default 100). */
  chunkSize?: number;
  /** Extra rounds for contended policy-days (default 3; 0 reports contention at once). */
  contentionRetries?: number;
  /** First pause before a contention round, doubled each round, with jitter (default 250 ms). */
  contentionBackoffMs?: number;
  /** Names the lock holder for operators (host, pid and a random part are added). */
  holder?: { workflowId?: string; attempt?: number };
  /** A checkpoint of an earlier call with the same date and ids. */
  resume?: PolicyDaysCheckpoint | null;
  /** Called after every finished chunk (heartbeat it, persist it …). */
  onProgress?: (checkpoint: PolicyDaysCheckpoint) => void | Promise<void>;
}

export interface PolicyDaysResult {
  date: string;
  /** Totals of every policy-day of the call, those finished before a resume included. */
  totals: Totals;
  problems: PolicyDayProblem[];
  /** The policy-days this call finished, in the order it finished them. */
  items: PolicyDayItem[];
  /** Ids still contended after every round. */
  contendedIds: string[];
  /**
   * The soonest a lock still blocking one of `contendedIds` runs out (the least remaining TTL
   * among them, ms), when the lock service knows; null when none can be told (a holder whose
   * lock has no TTL, or none was held any more when asked).
   */
  retryAfterMs: number | null;
}

const DEFAULT_CHUNK_SIZE = 100;
/**
 * Rounds for refused writes (a stale token, inputs or the policy changed since read), on top of
 * the contention rounds: each computes the day again from a fresh read, under a raised token.
 * More than a few in a row means something keeps changing the day's inputs; the day is then
 * reported contended and the workflow's later rounds take it.
 */
const REFUSAL_ROUNDS = 3;
const DEFAULT_CONTENTION_RETRIES = 3;
const DEFAULT_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5_000;

function invalid(field: string, message: string): ClaimsError {
  return new ClaimsError(ErrorCodes.INPUT_INVALID, `${field}: ${message}`);
}

/** Validates, de-duplicates and sorts (code-unit order, the order of keys and row locks). */
export function normalizeRequest(date: unknown, policyIds: unknown): {
  date: string;
  policyIds: string[];
} {
  if (typeof date !== "string" || !isValidDate(date)) {
    throw invalid("date", `must be an existing YYYY-MM-DD date, got ${JSON.stringify(date)}`);
  }
  if (!Array.isArray(policyIds)) {
    throw invalid("policyIds", `must be an array of policy ids, got ${typeof policyIds}`);
  }
  policyIds.forEach((id, index) => {
    if (typeof id !== "string" || !ID_PATTERN.test(id)) {
      throw invalid(
        `policyIds[${index}]`,
        `must match ${ID_PATTERN.source}, got ${JSON.stringify(id)}`,
      );
    }
  });
  const sorted = [...new Set(policyIds as string[])].sort();
  return { date, policyIds: sorted };
}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/**
 * Calculates and writes the given policy-days of one date. Throws ClaimsError(INPUT_INVALID)
 * naming the field for bad input, and passes storage/lock-service errors through (retry the
 * call with the last checkpoint); per policy-day problems are results, not exceptions.
 */
export async function calculatePolicyDays(
  deps: PolicyDaysDeps,
  options: CalculatePolicyDaysOptions,
): Promise<PolicyDaysResult> {
  const { date, policyIds } = normalizeRequest(options.date, options.policyIds);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw invalid("chunkSize", `must be a positive integer, got ${chunkSize}`);
  }
  const retries = options.contentionRetries ?? DEFAULT_CONTENTION_RETRIES;
  const backoffMs = options.contentionBackoffMs ?? DEFAULT_BACKOFF_MS;
  const sleep = deps.sleep ?? defaultSleep;
  const random = deps.random ?? Math.random;
  const holder = holderId({
    workflowId: options.holder?.workflowId ?? options.writtenBy,
    attempt: options.holder?.attempt,
  });

  const state: PolicyDaysCheckpoint = options.resume ? structuredClone(options.resume) : {
    round: 0,
    roundIds: null,
    done: 0,
    deferred: [],
    contended: [],
    totals: emptyTotals(),
    problems: [],
    floors: {},
  };
  const items: PolicyDayItem[] = [];

  const finish = (finished: readonly PolicyDayItem[]) => {
    state.totals = addTotals(state.totals, itemsTotals(finished));
    state.problems = appendProblems(state.problems, itemsProblems(finished));
    for (const item of finished) items.push(item);
    deps.observer?.policyDays(finished);
  };

  for (;;) {
    const list = state.roundIds ?? policyIds;
    const floors = new Map(
      Object.entries(state.floors ?? {}).map(([id, floor]) => [id, BigInt(floor)]),
    );
    // Contention waits for another holder: a few rounds. A refused write only needs a fresh
    // read (and a raised token): rounds of its own, also where contention has none (the
    // single policy-day activity leaves contention to Temporal's retries).
    const canDefer = (item: PolicyDayItem) =>
      item.problem && REFUSAL_TYPES.has(item.problem.type)
        ? state.round < retries + REFUSAL_ROUNDS
        : state.round < retries;
    const prepare = (start: number) =>
      prepareChunk(
        deps,
        date,
        list.slice(start, start + chunkSize),
        options.writtenBy,
        holder,
        options.signal,
        floors,
        options.cause,
      );
    let pending = state.done < list.length ? prepare(state.done) : null;
    while (pending) {
      const current = await pending;
      // Two chunks in flight: the next one takes its locks, reads and computes while this
      // one's transaction waits on PostgreSQL (a chunk's write was half its time). Chunks
      // still finish in order, so the checkpoint stays a prefix of the list.
      const nextStart = state.done + current.ids.length;
      const following = nextStart < list.length ? prepare(nextStart) : null;
      following?.catch(() => undefined); // reported when awaited, or dropped with this chunk
      try {
        const results = await finishChunk(deps, current, options.signal);
        const deferred = new Set(results.filter((r) => r.status === "contended" && canDefer(r)));
        finish(deferred.size === 0 ? results : results.filter((r) => !deferred.has(r)));
        for (const r of results) {
          if (r.status === "contended" && !deferred.has(r)) state.contended.push(r.policyId);
        }
        for (const r of deferred) {
          state.deferred.push(r.policyId);
          if (r.retryFloor !== undefined) {
            (state.floors ??= {})[r.policyId] = r.retryFloor.toString();
          }
        }
        state.done = nextStart;
        await options.onProgress?.(structuredClone(state));
      } catch (error) {
        // Give the prepared chunk's locks back now rather than at their TTL.
        if (following) await following.then(abandonChunk, () => undefined);
        throw error;
      }
      pending = following;
    }
    if (state.deferred.length === 0) break;
    const pause = Math.min(MAX_BACKOFF_MS, backoffMs * 2 ** state.round);
    await sleep(Math.round(pause * (0.5 + random() / 2)), options.signal);
    state.roundIds = state.deferred;
    // Only the floors of the days computed next round: a floor serves one acquisition.
    state.floors = Object.fromEntries(
      state.deferred.flatMap((id) => state.floors?.[id] ? [[id, state.floors[id]]] : []),
    );
    state.deferred = [];
    state.done = 0;
    state.round++;
  }
  const { retryAfterMs, messages } = await describeBlockers(deps, date, items, state.contended);
  if (messages.size > 0) {
    state.problems = state.problems.map((p) =>
      p.status === "contended" && messages.has(p.policyId)
        ? { ...p, message: messages.get(p.policyId)! }
        : p
    );
  }
  return {
    date,
    totals: state.totals,
    problems: state.problems,
    items,
    contendedIds: state.contended,
    retryAfterMs,
  };
}

/**
 * Asks the lock service who holds the locks of the days left contended, and names the holder
 * and the lease's remaining time in their problems (returned by policy id); and returns the
 * soonest expiry, so that a caller retrying later (the workflow) knows when a dead holder's
 * lock will have run out. Best effort: a lock service that cannot answer changes nothing.
 */
async function describeBlockers(
  deps: PolicyDaysDeps,
  date: string,
  items: PolicyDayItem[],
  contended: readonly string[],
): Promise<{ retryAfterMs: number | null; messages: Map<string, string> }> {
  const messages = new Map<string, string>();
  if (contended.length === 0) return { retryAfterMs: null, messages };
  const left = new Set(contended);
  const blocked = items.filter((i) =>
    left.has(i.policyId) && i.status === "contended" &&
    i.problem?.type === ItemProblemTypes.LOCK_CONTENDED
  );
  if (blocked.length === 0) return { retryAfterMs: null, messages };
  let held: Awaited<ReturnType<PolicyDaysDeps["locks"]["inspect"]>>;
  try {
    held = await deps.locks.inspect(blocked.map((i) => claimCalcLockKey(i.policyId, date)));
  } catch {
    return { retryAfterMs: null, messages };
  }
  let soonest: number | null = null;
  for (const item of blocked) {
    const key = claimCalcLockKey(item.policyId, date);
    const lock = held.get(key);
    let message: string;
    if (!lock) {
      message = `lock ${key} was held by another calculation through every retry (free now)`;
      soonest = 0;
    } else {
      const expires = lock.ttlMs === null
        ? ""
        : `; its lease runs out in ${Math.ceil(lock.ttlMs / 1000)} s unless renewed`;
      message = `lock ${key} is held by ${lock.holder ?? "an unknown holder"}${expires}`;
      if (lock.ttlMs !== null) soonest = Math.min(soonest ?? lock.ttlMs, lock.ttlMs);
    }
    item.problem = { type: item.problem!.type, message };
    messages.set(item.policyId, message);
  }
  return { retryAfterMs: soonest, messages };
}
