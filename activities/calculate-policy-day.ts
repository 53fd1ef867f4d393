/**
 * One policy-day under its lock: take `lock:claim_calc:<policyId>:<date>`, load, compute,
 * write with the lease's fencing token, release (also on error). Contention fails the attempt
 * with a retryable `LockContended` so that Temporal retries it with backoff; a stale fence is a
 * result (`stale`: the newer writer's result stands), not an error.
 */
import { Context } from "@temporalio/activity";
import { calculatePolicyDays } from "../src/calc/policy-days.ts";
import type { PolicyDaySummary } from "../src/temporal/shared.ts";
import type { ActivityDeps } from "./deps.ts";
import { itemFailure, toActivityFailure } from "./failures.ts";
import { currentWorkflow, keepHeartbeating, writtenByOfCurrent } from "./heartbeat.ts";
import { parseInput, PolicyDayInputSchema } from "./inputs.ts";

export function createCalculatePolicyDay(deps: ActivityDeps) {
  return async function calculatePolicyDay(input: {
    policyId: string;
    claimDate: string;
    cause?: "policy_amended";
  }): Promise<PolicyDaySummary> {
    const { policyId, claimDate, cause } = parseInput(
      PolicyDayInputSchema,
      input,
      "calculatePolicyDay",
    );
    const ctx = Context.current();
    const stop = keepHeartbeating(
      () => ({ policyId, claimDate }),
      deps.config.heartbeatEveryMs,
    );
    try {
      const result = await calculatePolicyDays(
        { ...deps, lockTtlMs: deps.config.lockTtlMs },
        {
          date: claimDate,
          policyIds: [policyId],
          writtenBy: writtenByOfCurrent(),
          cause,
          holder: { workflowId: currentWorkflow().workflowId, attempt: ctx.info.attempt },
          signal: ctx.cancellationSignal,
          contentionRetries: 0,
        },
      );
      const item = result.items[0];
      if (!item) throw new Error(`calculatePolicyDay: no result for ${policyId}/${claimDate}`);
      if (item.status !== "computed" && item.status !== "unchanged" && item.status !== "stale") {
        throw itemFailure(item);
      }
      deps.log?.info("policy-day calculated", {
        policyId,
        claimDate,
        status: item.status,
        claims: item.claims,
        fenceToken: item.fenceToken,
        attempt: ctx.info.attempt,
      });
      return {
        policyId,
        claimDate,
        status: item.status,
        claims: item.claims,
        cappedClaims: item.cappedClaims,
        payoutAmount: item.payoutAmount.toString(),
        ...(item.currency === null ? {} : { currency: item.currency }),
        fenceToken: (item.fenceToken ?? 0n).toString(),
      };
    } catch (error) {
      throw toActivityFailure(error);
    } finally {
      stop();
    }
  };
}
