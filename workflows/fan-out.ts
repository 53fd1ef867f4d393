/**
 * Processes one claim date: page through policy ids (from the database, or from an explicit
 * list), run batch activities with bounded concurrency, and keep a cursor that only moves past
 * ids whose batch finished, so that continue-as-new can happen between any two batches.
 *
 * Why a prefix cursor: batches finish out of order; carrying "the last id such that everything
 * before it is done" is the smallest state that resumes exactly, with no id done twice on
 * purpose and none skipped.
 */
import { ActivityFailure, isCancellation, log, sleep } from "@temporalio/workflow";
import {
  addTotals,
  appendProblems,
  type BatchSummary,
  type DateState,
  emptyTotals,
  type FanOutOptions,
  MAX_PROBLEMS,
} from "../src/temporal/shared.ts";
import { fanOutActivities } from "./activities.ts";
import { chunk, pageOfList } from "./paging.ts";

export function newDateState(): DateState {
  return {
    cursor: { after: null, pages: 0, done: false },
    totals: emptyTotals(),
    problems: [],
    contendedIds: [],
    contentionRounds: 0,
  };
}

export type IdSource = { kind: "all" } | { kind: "ids"; ids: readonly string[] };

export interface FanOutHooks {
  /** True when the workflow should stop launching work and continue as new. */
  shouldPause(): boolean;
  /** Called whenever the state changed (progress queries read it). */
  onChange?(state: DateState, inFlight: number): void;
}

/** Rounds and pause for the ids that stayed contended through their batch's own retries. */
const CONTENTION_ROUNDS = 2;
const CONTENTION_PAUSE = "5 seconds";

function failedBatch(claimDate: string, ids: readonly string[], error: unknown): BatchSummary {
  const cause = error instanceof ActivityFailure ? error.cause ?? error : error;
  const message = cause instanceof Error ? cause.message : String(cause);
  const type = (cause as { type?: string } | null)?.type ?? (cause as Error)?.name ?? "Error";
  const totals = emptyTotals();
  totals.policyDays = ids.length;
  totals.failed = ids.length;
  return {
    claimDate,
    totals,
    problems: ids.slice(0, MAX_PROBLEMS).map((policyId) => ({
      policyId,
      claimDate,
      status: "failed" as const,
      type,
      message: `batch failed after its retries: ${message}`,
    })),
    contendedIds: [],
  };
}

/**
 * Planner statistics after a run's writes (src/store/statistics.ts). Housekeeping: its
 * failure (after its few retries) is logged and does not fail the run.
 */
export async function refreshStatisticsAfter(options: FanOutOptions): Promise<void> {
  try {
    await fanOutActivities(options.timeouts).refreshStatistics();
  } catch (error) {
    log.warn("refreshing planner statistics failed; the next run tries again", {
      error: String(error),
    });
  }
}

export async function fanOutDate(
  claimDate: string,
  source: IdSource,
  options: FanOutOptions,
  state: DateState,
  hooks: FanOutHooks,
): Promise<"done" | "paused"> {
  const acts = fanOutActivities(options.timeouts);
  let inFlight = 0;
  const changed = () => hooks.onChange?.(state, inFlight);

  const record = (summary: BatchSummary) => {
    state.totals = addTotals(state.totals, summary.totals);
    state.problems = appendProblems(state.problems, summary.problems);
    const room = MAX_PROBLEMS - state.contendedIds.length;
    if (room > 0) state.contendedIds.push(...summary.contendedIds.slice(0, room));
  };

  const runBatch = async (ids: string[]): Promise<BatchSummary> => {
    try {
      return await acts.calculatePolicyBatch({ claimDate, policyIds: ids });
    } catch (error) {
      // Only an activity that gave up is a failed batch; a bug here must fail the task loudly.
      if (isCancellation(error) || !(error instanceof ActivityFailure)) throw error;
      return failedBatch(claimDate, ids, error);
    }
  };

  while (!state.cursor.done) {
    if (hooks.shouldPause()) return "paused";
    const page = source.kind === "all"
      ? await acts.listPolicyIdsForDate({
        claimDate,
        after: state.cursor.after,
        limit: options.pageSize,
      })
      : pageOfList(source.ids, state.cursor.after, options.pageSize);
    const batches = chunk(page.ids, options.batchSize);
    const finished = batches.map(() => false);
    const running = new Set<Promise<void>>();
    let launched = 0;
    let prefix = 0;
    let paused = false;
    for (;;) {
      while (!paused && launched < batches.length && running.size < options.batchConcurrency) {
        if (hooks.shouldPause()) {
          paused = true;
          break;
        }
        const index = launched++;
        const p: Promise<void> = runBatch(batches[index]!).then((summary) => {
          record(summary);
          finished[index] = true;
          running.delete(p);
        });
        running.add(p);
      }
      inFlight = running.size;
      changed();
      if (running.size === 0) break;
      await Promise.race(running);
      while (prefix < launched && finished[prefix]) {
        const ids = batches[prefix]!;
        state.cursor.after = ids[ids.length - 1]!;
        prefix++;
      }
    }
    inFlight = 0;
    if (paused) {
      changed();
      return "paused";
    }
    state.cursor.pages++;
    if (page.next === null) state.cursor.done = true;
    else state.cursor.after = page.next;
    changed();
  }

  while (state.contendedIds.length > 0 && state.contentionRounds < CONTENTION_ROUNDS) {
    if (hooks.shouldPause()) return "paused";
    await sleep(CONTENTION_PAUSE);
    const retried = new Set(state.contendedIds);
    state.contendedIds = [];
    state.contentionRounds++;
    // They were counted as contended; the new attempt's outcome replaces that.
    state.totals = {
      ...state.totals,
      policyDays: state.totals.policyDays - retried.size,
      contended: state.totals.contended - retried.size,
    };
    state.problems = state.problems.filter((p) =>
      !(p.status === "contended" && retried.has(p.policyId))
    );
    inFlight = 1;
    changed();
    record(await runBatch([...retried]));
    inFlight = 0;
    changed();
  }
  return "done";
}
