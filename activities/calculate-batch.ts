/**
 * A batch of policies for one date with the per policy-day semantics of the single activity
 * (one lock and one fencing token each), locks taken pipelined and writes in one transaction
 * per chunk. The checkpoint after every chunk goes out as heartbeat details, so a retried
 * attempt (the worker died, the database blipped) resumes after the last finished chunk
 * instead of redoing the batch. Contended policy-days get a few more rounds with backoff and
 * are reported with every id (and when their locks run out), never silently dropped: the
 * workflow retries them later.
 */
import { Context } from "@temporalio/activity";
import { calculatePolicyDays, type PolicyDaysCheckpoint } from "../src/calc/policy-days.ts";
import type { BatchInput, BatchSummary } from "../src/temporal/shared.ts";
import type { ActivityDeps } from "./deps.ts";
import { toActivityFailure } from "./failures.ts";
import { currentWorkflow, keepHeartbeating, writtenByOfCurrent } from "./heartbeat.ts";
import { BatchInputSchema, parseInput } from "./inputs.ts";

interface BatchHeartbeat {
  claimDate: string;
  /** Distinguishes a checkpoint of this batch from details of something else. */
  size: number;
  checkpoint: PolicyDaysCheckpoint | null;
}

function resumeFrom(details: unknown, input: BatchInput): PolicyDaysCheckpoint | null {
  const hb = details as Partial<BatchHeartbeat> | undefined | null;
  if (!hb || hb.claimDate !== input.claimDate || hb.size !== input.policyIds.length) return null;
  const cp = hb.checkpoint;
  if (!cp || typeof cp.done !== "number" || typeof cp.round !== "number" || !cp.totals) {
    return null;
  }
  return cp;
}

export function createCalculateBatch(deps: ActivityDeps) {
  return async function calculatePolicyBatch(input: BatchInput): Promise<BatchSummary> {
    const batch = parseInput(BatchInputSchema, input, "calculatePolicyBatch");
    const ctx = Context.current();
    const resume = resumeFrom(ctx.info.heartbeatDetails, batch);
    let latest: BatchHeartbeat = {
      claimDate: batch.claimDate,
      size: batch.policyIds.length,
      checkpoint: resume,
    };
    const stop = keepHeartbeating(() => latest, deps.config.heartbeatEveryMs);
    const log = deps.log?.child({
      workflowId: currentWorkflow().workflowId,
      activityId: ctx.info.activityId,
      attempt: ctx.info.attempt,
      claimDate: batch.claimDate,
    });
    if (resume) log?.info("batch resumes from its last checkpoint", { done: resume.done });
    const started = performance.now();
    let outcome: "ok" | "failed" = "failed";
    try {
      const result = await calculatePolicyDays(
        { ...deps, lockTtlMs: deps.config.lockTtlMs },
        {
          date: batch.claimDate,
          policyIds: batch.policyIds,
          writtenBy: writtenByOfCurrent(),
          cause: batch.cause,
          holder: { workflowId: currentWorkflow().workflowId, attempt: ctx.info.attempt },
          signal: ctx.cancellationSignal,
          chunkSize: deps.config.chunkSize,
          contentionRetries: deps.config.contentionRetries,
          contentionBackoffMs: deps.config.contentionBackoffMs,
          resume,
          onProgress: (checkpoint) => {
            latest = { ...latest, checkpoint };
            ctx.heartbeat(latest);
          },
        },
      );
      log?.info("batch calculated", { policyDays: batch.policyIds.length, totals: result.totals });
      outcome = "ok";
      return {
        claimDate: batch.claimDate,
        totals: result.totals,
        problems: result.problems,
        // Every one of them: the workflow retries them until their locks have run out.
        contendedIds: result.contendedIds,
        retryAfterMs: result.retryAfterMs,
      };
    } catch (error) {
      log?.warn("batch attempt failed", { error });
      throw toActivityFailure(error);
    } finally {
      stop();
      deps.observer?.batch?.((performance.now() - started) / 1000, outcome);
    }
  };
}
