/**
 * One policy-day, id `claim-calc:<policyId>:<date>`. Its activity takes the lock, computes,
 * writes and releases. A `recalculate` signal received while a computation runs makes the run
 * compute once more afterwards: that computation may have read the events before the late
 * ones were committed, so attaching silently to it would lose them.
 */
import { continueAsNew, setHandler, workflowInfo } from "@temporalio/workflow";
import {
  type PolicyDaySummary,
  type PolicyDayWorkflowInput,
  recalculateSignal,
} from "../src/temporal/shared.ts";
import { policyDayActivities } from "./activities.ts";

export async function policyDayWorkflow(input: PolicyDayWorkflowInput): Promise<PolicyDaySummary> {
  const { calculatePolicyDay } = policyDayActivities(input.timeouts);
  let requested = false;
  // Registered before the first computation: a signal that came with the start (signalWithStart)
  // is delivered here and then cleared by the loop, so a fresh run computes exactly once.
  setHandler(recalculateSignal, () => {
    requested = true;
  });
  let computations = 0;
  let result: PolicyDaySummary;
  do {
    requested = false;
    result = await calculatePolicyDay({
      policyId: input.policyId,
      claimDate: input.claimDate,
      ...(input.cause ? { cause: input.cause } : {}),
    });
    computations++;
    if (requested && workflowInfo().continueAsNewSuggested) {
      // A policy-day recalculated thousands of times in one run: start a fresh history.
      await continueAsNew<typeof policyDayWorkflow>(input);
    }
  } while (requested);
  return { ...result, computations };
}
