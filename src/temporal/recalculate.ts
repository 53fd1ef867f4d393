/**
 * Recalculation of policy-days after late data (the events-import command calls this).
 *
 * A few policy-days: each has one workflow id, `claim-calc:<policyId>:<date>`. When none is
 * open, a new run starts. When one is open, it is signalled `recalculate` (signalWithStart:
 * atomic, and it starts a run after all should the open one close in between), so it computes
 * once more after its current computation, which may have read the events before the new ones
 * were committed. Silently attaching to it would lose them.
 *
 * Many policy-days (one regional event touches every policy of its region): one workflow per
 * policy-day would cost a workflow start, a history and a one-row transaction each, so they go
 * through the batched rerun workflow instead, one per claim date with that date's policy ids.
 * Its id names the date, the ids and the request (`requestKey`: what was imported), so running
 * the same import again while it runs attaches to it, and a later, different import never
 * attaches to a run that may have read the events before it.
 */
import { createHash } from "node:crypto";
import { type Client, WorkflowExecutionAlreadyStartedError } from "@temporalio/client";
import type { Config } from "../config.ts";
import { isValidDate } from "../domain/calendar.ts";
import { ID_PATTERN } from "../domain/schemas.ts";
import { ClaimsError, ErrorCodes } from "../errors.ts";
import { runSearchAttributes } from "./search-attributes.ts";
import {
  DEFAULT_TIMEOUTS,
  policyDayWorkflowId,
  type PolicyDayWorkflowInput,
  recalculateSignal,
  type RecalculationCause,
  WorkflowTypes,
} from "./shared.ts";

export interface PolicyDayRef {
  policyId: string;
  claimDate: string;
}

/** Requests in flight at once: enough to hide latency, few enough not to flood the frontend. */
const CONCURRENCY = 16;
/** Up to this many policy-days get a workflow each; more go through batched reruns. */
export const PER_DAY_WORKFLOWS_MAX = 200;
/**
 * A date with more affected policies than this is recomputed for every policy covering it:
 * the explicit id list would make a workflow input of several hundred kB (Temporal's payload
 * limit is 2 MB), and at that share of the book the superset costs little more.
 */
export const BATCH_IDS_MAX = 20_000;

export interface RecalculationResult {
  /** Workflows started (per policy-day or batched). */
  started: number;
  /** Open workflows this request attached to (told to compute once more, or the same batch). */
  attached: number;
  /** The batched rerun workflow ids, when the days went in batches. */
  batchWorkflowIds: string[];
}

export interface RecalculateOptions {
  /** Names what caused the recalculation (e.g. a hash of the imported file), for batch ids. */
  requestKey?: string;
  /** Why (a policy amendment: recorded as the audit reason of the days' claim changes). */
  cause?: RecalculationCause;
}

function startOptions(config: Config, item: PolicyDayRef, cause?: RecalculationCause) {
  const input: PolicyDayWorkflowInput = {
    policyId: item.policyId,
    claimDate: item.claimDate,
    timeouts: { ...DEFAULT_TIMEOUTS, heartbeatTimeoutMs: config.worker.heartbeatTimeoutMs },
    ...(cause ? { cause } : {}),
  };
  return {
    taskQueue: config.temporal.taskQueue,
    workflowId: policyDayWorkflowId(item.policyId, item.claimDate),
    args: [input] as [PolicyDayWorkflowInput],
    typedSearchAttributes: runSearchAttributes("recalculate", item.claimDate),
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
  cause: RecalculationCause | undefined,
): Promise<"started" | "attached"> {
  const options = startOptions(config, item, cause);
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
  options: RecalculateOptions = {},
): Promise<RecalculationResult> {
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
  if (unique.size > PER_DAY_WORKFLOWS_MAX) {
    return await recalculateInBatches(client, config, [...unique.values()], options);
  }
  const queue = [...unique.values()];
  let started = 0;
  let attached = 0;
  const workers = Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      if ((await recalculateOne(client, config, item, options.cause)) === "started") started++;
      else attached++;
    }
  });
  await Promise.all(workers);
  return { started, attached, batchWorkflowIds: [] };
}

function shortHash(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex").slice(0, 16);
}

/** One batched rerun per claim date (dates ascending), each with that date's policy ids. */
async function recalculateInBatches(
  client: Client,
  config: Config,
  items: readonly PolicyDayRef[],
  options: RecalculateOptions,
): Promise<RecalculationResult> {
  const { rerunSelector, startRerun } = await import("./rerun.ts");
  const byDate = new Map<string, string[]>();
  for (const item of items) {
    const ids = byDate.get(item.claimDate) ?? [];
    ids.push(item.policyId);
    byDate.set(item.claimDate, ids);
  }
  const dates = [...byDate.keys()].sort();
  const request = options.requestKey ??
    shortHash(dates.map((d) => `${d}:${[...byDate.get(d)!].sort().join(",")}`).join("\n"));
  let started = 0;
  let attached = 0;
  const batchWorkflowIds: string[] = [];
  for (const date of dates) {
    const ids = byDate.get(date)!;
    const policyIds = ids.length > BATCH_IDS_MAX ? null : ids;
    const workflowId = `claims-recalc:${date}:${rerunSelector(policyIds)}:${
      shortHash(request).slice(0, 12)
    }`;
    const run = await startRerun(client, config, {
      from: date,
      to: date,
      policyIds,
      workflowId,
      ...(options.cause ? { cause: options.cause } : {}),
      kind: "recalculate",
    });
    if (run.attached) attached++;
    else started++;
    batchWorkflowIds.push(workflowId);
  }
  return { started, attached, batchWorkflowIds };
}
