/**
 * The measurements that go through Temporal, timed from the client the way an operator sees
 * them: from the start request to the result.
 *
 *   dailyRun   the project's design: one daily-run workflow per date (startDailyRun), batch
 *              activities with bounded concurrency, continue-as-new;
 *   naive      what a typical Temporal user writes first: one policy-day workflow
 *              (`claim-calc:<policyId>:<date>`, startPolicyDay) per policy, started a few at a
 *              time and awaited.
 */
import type { Client } from "@temporalio/client";
import type { Config } from "../../src/config.ts";
import { startPolicyDay } from "../../src/temporal/recalculate.ts";
import { startDailyRun } from "../../src/temporal/schedule.ts";
import type { DailyRunSummary, PolicyDaySummary } from "../../src/temporal/shared.ts";

export interface DailyRunMeasurement {
  date: string;
  ms: number;
  summary: DailyRunSummary;
}

export async function runDailyRun(
  client: Client,
  config: Config,
  date: string,
): Promise<DailyRunMeasurement> {
  const started = performance.now();
  const { workflowId } = await startDailyRun(client, config, date);
  // result() follows the continue-as-new chain to the last run's result.
  const summary = await client.workflow.getHandle(workflowId).result() as DailyRunSummary;
  return { date, ms: performance.now() - started, summary };
}

export interface NaiveMeasurement {
  policyDays: number;
  ms: number;
  /** Start requests in flight at once. */
  startConcurrency: number;
  statuses: Record<string, number>;
}

/** Runs `work` over `items` with at most `concurrency` calls in flight; results in item order. */
async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}

const RESULT_POLLS = 64;

export async function runNaive(
  client: Client,
  config: Config,
  policyIds: readonly string[],
  date: string,
  startConcurrency: number,
): Promise<NaiveMeasurement> {
  const started = performance.now();
  const workflowIds = await pool(policyIds, startConcurrency, async (policyId) => {
    const { workflowId } = await startPolicyDay(client, config, { policyId, claimDate: date });
    return workflowId;
  });
  // Awaited once all are started, a bounded number of long polls at a time, in start order:
  // once the last workflow is done, the remaining results come back at once.
  const summaries = await pool(
    workflowIds,
    RESULT_POLLS,
    (id) => client.workflow.getHandle(id).result() as Promise<PolicyDaySummary>,
  );
  const statuses: Record<string, number> = {};
  for (const s of summaries) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
  return {
    policyDays: policyIds.length,
    ms: performance.now() - started,
    startConcurrency,
    statuses,
  };
}
