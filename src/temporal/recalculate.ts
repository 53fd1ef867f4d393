/**
 * Recalculation of policy-days after late data (the events-import command calls this). Each
 * policy-day has one workflow id, `claim-calc:<policyId>:<date>`. When none is open, a new run
 * starts. When one is open, it is signalled `recalculate` (signalWithStart: atomic, and it
 * starts a run after all should the open one close in between), so it computes once more
 * after its current computation, which may have read the events before the new ones were
 * committed. Silently attaching to it would lose them.
 */
import { type Client, WorkflowExecutionAlreadyStartedError } from "@temporalio/client";
import type { Config } from "../config.ts";
import { isValidDate } from "../domain/calendar.ts";
import { ID_PATTERN } from "../domain/schemas.ts";
import { ClaimsError, ErrorCodes } from "../errors.ts";
import {
  DEFAULT_TIMEOUTS,
  policyDayWorkflowId,
  type PolicyDayWorkflowInput,
  recalculateSignal,
  WorkflowTypes,
} from "./shared.ts";

export interface PolicyDayRef {
  policyId: string;
  claimDate: string;
}

/** Requests in flight at once: enough to hide latency, few enough not to flood the frontend. */
const CONCURRENCY = 16;

function startOptions(config: Config, item: PolicyDayRef) {
  const input: PolicyDayWorkflowInput = {
    policyId: item.policyId,
    claimDate: item.claimDate,
    timeouts: { ...DEFAULT_TIMEOUTS, heartbeatTimeoutMs: config.worker.heartbeatTimeoutMs },
  };
  return {
    taskQueue: config.temporal.taskQueue,
    workflowId: policyDayWorkflowId(item.policyId, item.claimDate),
    args: [input] as [PolicyDayWorkflowInput],
  };
}

/**
 * Starts the policy-day workflow, or attaches to the open run with that id
 * (`workflowIdConflictPolicy: USE_EXISTING`). Returns the workflow id.
 */
export async function startPolicyDay(
  client: Client,
  config: Config,
  item: PolicyDayRef,
): Promise<{ workflowId: string; runId: string | undefined }> {
  const handle = await client.workflow.start(WorkflowTypes.policyDay, {
    ...startOptions(config, item),
    workflowIdConflictPolicy: "USE_EXISTING",
  });
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
}

/** Starts, or makes the open run compute once more: `started` and `attached` count which. */
async function recalculateOne(
  client: Client,
  config: Config,
  item: PolicyDayRef,
): Promise<"started" | "attached"> {
  const options = startOptions(config, item);
  try {
    // Most late data concerns days with no open run: one round trip, and an exact count.
    await client.workflow.start(WorkflowTypes.policyDay, {
      ...options,
      workflowIdConflictPolicy: "FAIL",
    });
    return "started";
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  await client.workflow.signalWithStart(WorkflowTypes.policyDay, {
    ...options,
    signal: recalculateSignal,
    signalArgs: [],
  });
  return "attached";
}

export async function recalculatePolicyDays(
  client: Client,
  config: Config,
  items: readonly PolicyDayRef[],
): Promise<{ started: number; attached: number }> {
  items.forEach((item, index) => {
    if (typeof item?.policyId !== "string" || !ID_PATTERN.test(item.policyId)) {
      throw new ClaimsError(
        ErrorCodes.INPUT_INVALID,
        `items[${index}].policyId: must match ${ID_PATTERN.source}, got ${
          JSON.stringify(item?.policyId)
        }`,
      );
    }
    if (typeof item.claimDate !== "string" || !isValidDate(item.claimDate)) {
      throw new ClaimsError(
        ErrorCodes.INPUT_INVALID,
        `items[${index}].claimDate: must be an existing YYYY-MM-DD date, got ${
          JSON.stringify(item.claimDate)
        }`,
      );
    }
  });
  const unique = new Map<string, PolicyDayRef>();
  for (const item of items) unique.set(policyDayWorkflowId(item.policyId, item.claimDate), item);
  const queue = [...unique.values()];
  let started = 0;
  let attached = 0;
  const workers = Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      if ((await recalculateOne(client, config, item)) === "started") started++;
      else attached++;
    }
  });
  await Promise.all(workers);
  return { started, attached };
}
