/**
 * One chunk of a calculation: take the chunk's locks in one acquisition, load, compute
 * (prepareChunk), write in one transaction under the leases' fencing tokens, release
 * (finishChunk). Why check the leases right
 * before writing: a lease lost meanwhile (it expired while the event loop was blocked, say)
 * means another holder may be computing the same day; writing anyway would only be refused by
 * the fence, so the day goes back to the contended rounds instead.
 */
import { calculateDayCandidates } from "../domain/calculate.ts";
import { ErrorCodes, hasCode } from "../errors.ts";
import type { Lease, LeaseGroup } from "../locks/contract.ts";
import { claimCalcLockKey } from "../locks/keys.ts";
import type { PolicyDayOutcome, PolicyDayWrite, WriteCause } from "../store/policy-day-types.ts";
import type { PolicyDaysDeps } from "./deps.ts";
import { inputsHash } from "./inputs-hash.ts";
import {
  emptyItem,
  ItemProblemTypes,
  type PolicyDayItem,
  withProblem,
} from "./policy-day-items.ts";

/**
 * A chunk with its locks held and its writes computed, not yet written: what `prepareChunk`
 * hands to `finishChunk`. Holding one lets the caller prepare the next chunk (Redis, reads,
 * CPU) while this one's transaction waits on PostgreSQL.
 */
export interface PreparedChunk {
  date: string;
  ids: readonly string[];
  keyOf: Map<string, string>;
  group: LeaseGroup;
  /** Items already decided (contended, missing, out of coverage, failed to compute). */
  items: Map<string, PolicyDayItem>;
  writes: PolicyDayWrite[];
  /** performance.now() when its lock acquisition began (the chunk duration's start). */
  startedAt: number;
}

/** Seconds since a performance.now() reading (timings for the observer). */
function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

/**
 * Locks, load, compute. A storage or lock-service error is thrown (with every lock of the
 * chunk released first); from a returned chunk, `finishChunk` or `abandonChunk` must follow.
 */
export async function prepareChunk(
  deps: PolicyDaysDeps,
  date: string,
  ids: readonly string[],
  writtenBy: string,
  holder: string,
  signal: AbortSignal | undefined,
  /** Token floors by policy id (writes refused for a stale token in an earlier round). */
  floors?: ReadonlyMap<string, bigint>,
  cause?: WriteCause,
): Promise<PreparedChunk> {
  signal?.throwIfAborted();
  const startedAt = performance.now();
  const keyOf = new Map(ids.map((id) => [id, claimCalcLockKey(id, date)]));
  let minTokens: Map<string, bigint> | undefined;
  for (const [id, floor] of floors ?? []) {
    const key = keyOf.get(id);
    if (key) (minTokens ??= new Map()).set(key, floor);
  }
  // One acquisition call: pipelined on Redis, and one refresh timer for all its leases.
  const group = await deps.locks.tryAcquireGroup([...keyOf.values()], {
    ttlMs: deps.lockTtlMs,
    autoExtend: true,
    holder,
    ...(minTokens ? { minTokens } : {}),
  });
  deps.observer?.lockAcquisition?.(secondsSince(startedAt));
  const lease = (id: string): Lease | undefined => group.leases.get(keyOf.get(id)!);
  try {
    const items = new Map<string, PolicyDayItem>();
    const held: string[] = [];
    for (const id of ids) {
      if (lease(id)) held.push(id);
      else {
        items.set(
          id,
          withProblem(
            emptyItem(id, date, "contended"),
            ItemProblemTypes.LOCK_CONTENDED,
            `lock ${keyOf.get(id)} is held by another calculation`,
          ),
        );
      }
    }
    deps.observer?.lockContention(ids.length - held.length);
    const writes: PolicyDayWrite[] = [];
    if (held.length > 0) {
      const batch = await deps.store.loadPolicyDays(date, held);
      for (const id of batch.missing) {
        items.set(
          id,
          withProblem(
            emptyItem(id, date, "failed"),
            ItemProblemTypes.POLICY_NOT_FOUND,
            `policy ${id} does not exist`,
          ),
        );
      }
      for (const id of batch.outOfCoverage) {
        items.set(
          id,
          withProblem(
            emptyItem(id, date, "skipped"),
            ItemProblemTypes.OUT_OF_COVERAGE,
            `claimDate ${date} is outside the coverage of policy ${id}`,
          ),
        );
      }
      for (const day of batch.days) {
        const id = day.policy.id;
        try {
          writes.push({
            policyId: id,
            claimDate: date,
            fenceToken: lease(id)!.fencingToken,
            writtenBy,
            inputsHash: inputsHash(day.policy, day.events),
            eventsCount: day.events.length,
            candidates: calculateDayCandidates(day.policy, date, day.events),
            basis: { policy: day.policy, version: day.policyVersion },
            eventsRevision: day.eventsRevision,
            ...(cause ? { cause } : {}),
          });
        } catch (error) {
          items.set(
            id,
            withProblem(
              emptyItem(id, date, "failed"),
              ItemProblemTypes.COMPUTE_FAILED,
              `policy ${id} on ${date}: ${(error as Error).message}`,
            ),
          );
        }
      }
    }
    return { date, ids, keyOf, group, items, writes, startedAt };
  } catch (error) {
    await group.releaseAll().catch(() => undefined);
    throw error;
  }
}

/** Gives a prepared chunk's locks back without writing (the batch failed or was cancelled). */
export async function abandonChunk(chunk: PreparedChunk): Promise<void> {
  await chunk.group.releaseAll().catch(() => undefined);
}

/**
 * One write for the prepared chunk under its leases' fencing tokens, then release. Contended
 * and lease-lost days come back as `contended`; a storage error is thrown (after releasing).
 */
export async function finishChunk(
  deps: PolicyDaysDeps,
  chunk: PreparedChunk,
  signal: AbortSignal | undefined,
): Promise<PolicyDayItem[]> {
  const { date, ids, keyOf, group, items, writes } = chunk;
  try {
    signal?.throwIfAborted();
    // The group's signal fires when any of its leases is lost: only then is it worth asking
    // each lease (a lease's own signal is made on first read).
    const anyLost = group.signal.aborted;
    const live = writes.filter((w) => {
      if (!anyLost || !group.leases.get(keyOf.get(w.policyId)!)!.signal.aborted) return true;
      items.set(
        w.policyId,
        withProblem(
          emptyItem(w.policyId, date, "contended"),
          ItemProblemTypes.LEASE_LOST,
          `lease on ${keyOf.get(w.policyId)} was lost before writing`,
        ),
      );
      return false;
    });
    let outcomes: PolicyDayOutcome[] = [];
    try {
      // The group's signal: a lease lost during the transaction rolls it back before COMMIT.
      if (live.length > 0) {
        const writeStart = performance.now();
        outcomes = await deps.store.writePolicyDays(live, { signal: group.signal });
        deps.observer?.writeTransaction?.(secondsSince(writeStart));
      }
    } catch (error) {
      // Nothing of the chunk was written; its days go to the next contention round, which
      // takes their locks and reads them again.
      if (!hasCode(error, ErrorCodes.LOCK_LOST)) throw error;
      for (const w of live) {
        items.set(
          w.policyId,
          withProblem(
            emptyItem(w.policyId, date, "contended"),
            ItemProblemTypes.LEASE_LOST,
            `a lease of the chunk was lost while writing; nothing was written for ${w.policyId}`,
          ),
        );
      }
    }
    outcomes.forEach((outcome, index) => {
      const write = live[index]!;
      if (outcome.status === "refused") {
        deps.observer?.writeRefused?.(outcome.refusal ?? "policy_changed");
        items.set(outcome.policyId, refusedItem(outcome, write));
        return;
      }
      items.set(outcome.policyId, {
        policyId: outcome.policyId,
        claimDate: outcome.claimDate,
        status: outcome.status,
        claims: outcome.claims,
        cappedClaims: outcome.cappedClaims,
        payoutAmount: outcome.payoutAmount,
        currency: outcome.currency,
        fenceToken: write.fenceToken,
        inputsHash: write.inputsHash,
        changes: outcome.changes,
      });
    });
    return ids.map((id) => items.get(id) ?? emptyItem(id, date, "failed"));
  } finally {
    // A failed release only leaves locks to expire after their TTL; the chunk's outcome stands.
    await group.releaseAll().catch(() => undefined);
    deps.observer?.chunk?.(secondsSince(chunk.startedAt));
  }
}

/** A refused write as a day to compute again (policy-days.ts gives it rounds of its own). */
function refusedItem(outcome: PolicyDayOutcome, write: PolicyDayWrite): PolicyDayItem {
  const key = claimCalcLockKey(outcome.policyId, outcome.claimDate);
  const item = emptyItem(outcome.policyId, outcome.claimDate, "contended");
  switch (outcome.refusal) {
    case "stale_token":
      return {
        ...withProblem(
          item,
          ItemProblemTypes.STALE_TOKEN,
          `the write with token ${write.fenceToken} was refused: the ledger holds token ` +
            `${outcome.ledgerFenceToken} from another computation (a lock service whose clock ` +
            `ran ahead, or that lost ${key}'s fence); computed again under a higher token`,
        ),
        retryFloor: outcome.ledgerFenceToken + 1n,
      };
    case "inputs_changed":
      return withProblem(
        item,
        ItemProblemTypes.INPUTS_CHANGED,
        `events of ${outcome.claimDate} in the policy's region changed after the calculation ` +
          `read them; nothing was written, computed again from a fresh read`,
      );
    default:
      return withProblem(
        item,
        ItemProblemTypes.POLICY_CHANGED,
        `policy "${outcome.policyId}" changed after the calculation read it; nothing was ` +
          `written, computed again from a fresh read`,
      );
  }
}
