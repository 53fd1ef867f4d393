/**
 * Starting a rerun from a client. The workflow id derives from the parameters, so a second
 * start of the same rerun while the first runs attaches to it instead of computing everything
 * twice; once it has finished, the same start runs it again (reruns are for recomputing).
 */
import { createHash } from "node:crypto";
import {
  ApplicationFailure,
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
} from "@temporalio/client";
import type { Config } from "../config.ts";
import { fanOutOptionsFrom } from "./fan-out-options.ts";
import { type RunMemo, runSearchAttributes } from "./search-attributes.ts";
import {
  type FanOutOptions,
  INCOMPLETE_FAILURE_TYPE,
  type RecalculationCause,
  type RerunInput,
  type RerunProgress,
  rerunProgressQuery,
  type RerunSummary,
  rerunWorkflowId,
  WorkflowTypes,
} from "./shared.ts";

export interface RerunRequest {
  from: string;
  to: string;
  /** Policy ids, or null for every policy covering each date. */
  policyIds: readonly string[] | null;
  /** The workflow id; by default it derives from the parameters (`rerunIdOf`). */
  workflowId?: string;
  /** Why the days are computed again (recorded as the audit reason). */
  cause?: RecalculationCause;
  /** Its RunKind: rerun (default), or recalculate for the batches after late data. */
  kind?: "rerun" | "recalculate";
}

/** `all`, or the first 16 hex digits of sha256 over the sorted, distinct ids (one a line). */
export function rerunSelector(policyIds: readonly string[] | null): string {
  if (policyIds === null) return "all";
  const ids = [...new Set(policyIds)].sort();
  return createHash("sha256").update(ids.join("\n"), "utf8").digest("hex").slice(0, 16);
}

export function rerunIdOf(request: RerunRequest): string {
  return rerunWorkflowId(request.from, request.to, rerunSelector(request.policyIds));
}

export interface StartedRerun {
  workflowId: string;
  runId: string | undefined;
  /** True when a run with this id was already open and this start attached to it. */
  attached: boolean;
}

export async function startRerun(
  client: Client,
  config: Config,
  request: RerunRequest,
  overrides: Partial<FanOutOptions> = {},
): Promise<StartedRerun> {
  const workflowId = request.workflowId ?? rerunIdOf(request);
  const input: RerunInput = {
    ...fanOutOptionsFrom(config, overrides),
    from: request.from,
    to: request.to,
    policyIds: request.policyIds === null ? null : [...new Set(request.policyIds)].sort(),
    ...(request.cause ? { cause: request.cause } : {}),
  };
  try {
    const handle = await client.workflow.start(WorkflowTypes.rerun, {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args: [input],
      typedSearchAttributes: runSearchAttributes(request.kind ?? "rerun", request.from),
      memo: { claimDateTo: request.to } satisfies RunMemo,
      // FAIL (not USE_EXISTING) so that this call learns whether it attached.
      workflowIdConflictPolicy: "FAIL",
    });
    return { workflowId, runId: handle.firstExecutionRunId, attached: false };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const description = await client.workflow.getHandle(workflowId).describe();
    return { workflowId, runId: description.runId, attached: true };
  }
}

/** The progress of a running rerun, or null when it cannot be asked (no worker, finished). */
export async function rerunProgress(
  client: Client,
  workflowId: string,
): Promise<RerunProgress | null> {
  try {
    return await client.workflow.getHandle(workflowId).query(rerunProgressQuery);
  } catch {
    return null;
  }
}

/**
 * The rerun's summary once it ended. A rerun that left policy-days uncomputed fails with
 * PolicyDaysIncomplete and its summary as the failure's details: returned here with
 * `incomplete` set to the failure's message. Any other failure is thrown.
 */
export async function rerunResult(client: Client, workflowId: string): Promise<RerunSummary> {
  try {
    const summary = await client.workflow.getHandle(workflowId).result() as RerunSummary;
    return { ...summary, workflowId };
  } catch (error) {
    const incomplete = incompleteFailure(error);
    if (!incomplete) throw error;
    return { ...(incomplete.details as RerunSummary), workflowId, incomplete: incomplete.message };
  }
}

/** The PolicyDaysIncomplete failure inside a workflow failure, with its summary; else null. */
export function incompleteFailure(error: unknown): { message: string; details: unknown } | null {
  if (!(error instanceof WorkflowFailedError)) return null;
  const cause = error.cause;
  if (!(cause instanceof ApplicationFailure) || cause.type !== INCOMPLETE_FAILURE_TYPE) return null;
  const details = cause.details?.[0];
  if (typeof details !== "object" || details === null) return null;
  return { message: cause.message, details };
}
