/**
 * Heartbeats while an activity works: the server learns the attempt is alive (a killed worker
 * is noticed after one heartbeat timeout, not the start-to-close timeout), cancellation can
 * reach the attempt, and the details (a checkpoint) let the next attempt resume.
 */
import { Context } from "@temporalio/activity";

/** Heartbeats `details()` now and every third of the heartbeat timeout until stopped. */
export function keepHeartbeating(details: () => unknown, fallbackEveryMs = 10_000): () => void {
  const ctx = Context.current();
  const timeoutMs = ctx.info.heartbeatTimeoutMs;
  const everyMs = timeoutMs ? Math.max(200, Math.floor(timeoutMs / 3)) : fallbackEveryMs;
  ctx.heartbeat(details());
  const timer = setInterval(() => ctx.heartbeat(details()), everyMs);
  return () => clearInterval(timer);
}

/** The workflow that scheduled the running activity (none for a standalone activity). */
export function currentWorkflow(): { workflowId: string; runId: string } {
  const execution = Context.current().info.workflowExecution;
  return execution ?? { workflowId: "standalone-activity", runId: "none" };
}

/** `workflowId/runId` of the workflow that scheduled the running activity. */
export function writtenByOfCurrent(): string {
  const { workflowId, runId } = currentWorkflow();
  return `${workflowId}/${runId}`;
}
