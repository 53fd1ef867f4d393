/**
 * Processes one claim date: page through policy ids (from the database, or from an explicit
 * list), run batch activities with bounded concurrency, and keep a cursor that only moves past
 * ids whose batch finished, so that continue-as-new can happen between any two batches.
 *
 * Why a prefix cursor: batches finish out of order; carrying "the last id such that everything
 * before it is done" is the smallest state that resumes exactly, with no id done twice on
 * purpose and none skipped.
 */
import {
  ActivityFailure,
  isCancellation,
  log,
  patched,
  sleep,
  workflowInfo,
} from "@temporalio/workflow";
import {
  addTotals,
  appendProblems,
  type BatchSummary,
  type DateState,
  DEFAULT_CONTENTION_DEADLINE_MS,
  emptyTotals,
  type FanOutOptions,
  MAX_CARRIED_CONTENDED,
  MAX_PROBLEMS,
  type PolicyIdPage,
  type RecalculationCause,
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

/** What a date's fan-out computes, and why (`cause`: the audit reason of a recalculation). */
export type IdSource =
  & ({ kind: "all" } | { kind: "ids"; ids: readonly string[] })
  & { cause?: RecalculationCause };

export interface FanOutHooks {
  /** True when the workflow should stop launching work and continue as new. */
  shouldPause(): boolean;
  /** Called whenever the state changed (progress queries read it). */
  onChange?(state: DateState, inFlight: number): void;
}

/**
 * The patch that lists the next page while the current one's batches run (no barrier between
 * pages), and runs the page and statistics queries as local activities: runs recorded before
 * it replay page by page (tests/temporal/fixtures/histories).
 */
export const PIPELINED_PAGES = "pipelined-pages";

/**
 * The patch that completes dates: every contended id is carried (not the first 100), and
 * retried in rounds with backoff until every blocking lock has run out or the deadline
 * passes; the run then fails naming what is left (see completeDate). Runs recorded before it
 * replay their two rounds 5 s apart (tests/temporal/fixtures/histories/v2-*).
 */
export const COMPLETE_DATES = "complete-dates";

/** Before complete dates: rounds and pause for the ids still contended after their batch. */
const CONTENTION_ROUNDS = 2;
const CONTENTION_PAUSE = "5 seconds";

/** Complete dates: the first pause, doubled each round up to the longest. */
const RETRY_FIRST_PAUSE_MS = 1_000;
const RETRY_LONGEST_PAUSE_MS = 60_000;
/** After the soonest blocking lock runs out, a little longer: its expiry is the server's. */
const RETRY_EXPIRY_MARGIN_MS = 250;

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
    const acts = fanOutActivities(options.timeouts);
    await (patched(PIPELINED_PAGES) ? acts.refreshStatisticsLocally() : acts.refreshStatistics());
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
  // Decided once, before any command of this run: runs recorded before it replay without.
  const complete = patched(COMPLETE_DATES);

  const record = (summary: BatchSummary) => {
    state.totals = addTotals(state.totals, summary.totals);
    state.problems = appendProblems(state.problems, summary.problems);
    // Ids beyond the cap stay counted as contended in the totals: the run ends incomplete
    // and says so, never silently done.
    const cap = complete ? MAX_CARRIED_CONTENDED : MAX_PROBLEMS;
    const room = cap - state.contendedIds.length;
    if (room > 0) state.contendedIds.push(...summary.contendedIds.slice(0, room));
    if (complete && summary.retryAfterMs != null) {
      const soonest = state.retryAfterMs ?? null;
      state.retryAfterMs = soonest === null
        ? summary.retryAfterMs
        : Math.min(soonest, summary.retryAfterMs);
    }
  };

  const runBatch = async (ids: string[]): Promise<BatchSummary> => {
    try {
      return await acts.calculatePolicyBatch(
        source.cause ? { claimDate, policyIds: ids, cause: source.cause } : {
          claimDate,
          policyIds: ids,
        },
      );
    } catch (error) {
      // Only an activity that gave up is a failed batch; a bug here must fail the task loudly.
      if (isCancellation(error) || !(error instanceof ActivityFailure)) throw error;
      return failedBatch(claimDate, ids, error);
    }
  };

  // Runs started before pipelined pages replay their recorded order: page by page.
  const pipelined = patched(PIPELINED_PAGES);
  const nextPage = (after: string | null): Promise<PolicyIdPage> =>
    source.kind === "all"
      ? (pipelined ? acts.listPolicyIdsForDateLocally : acts.listPolicyIdsForDate)({
        claimDate,
        after,
        limit: options.pageSize,
      })
      : Promise.resolve(pageOfList(source.ids, after, options.pageSize));

  // Batches in launch order; the cursor moves past the prefix of finished ones. A batch that
  // ends its page counts the page done there (and the date, after its last page).
  const launched: { last: string | null; finished: boolean; endsPage: PolicyIdPage | null }[] = [];
  const queued: { ids: string[]; endsPage: PolicyIdPage | null }[] = [];
  const running = new Set<Promise<void>>();
  let listing: Promise<void> | null = null;
  let listedAfter = state.cursor.after;
  let listedAll = state.cursor.done;
  let prefix = 0;
  let paused = false;

  const list = () => {
    const p: Promise<void> = nextPage(listedAfter).then((page) => {
      const batches = chunk(page.ids, options.batchSize);
      // An empty page still ends in the queue: a batch of no ids, done as soon as it is reached.
      if (batches.length === 0) batches.push([]);
      batches.forEach((ids, i) => {
        queued.push({ ids, endsPage: i === batches.length - 1 ? page : null });
      });
      if (page.next === null) listedAll = true;
      else listedAfter = page.next;
      if (listing === p) listing = null;
    });
    listing = p;
  };
  const launch = (batch: { ids: string[]; endsPage: PolicyIdPage | null }) => {
    const entry = { last: batch.ids.at(-1) ?? null, finished: false, endsPage: batch.endsPage };
    launched.push(entry);
    if (batch.ids.length === 0) {
      entry.finished = true;
      return;
    }
    const p: Promise<void> = runBatch(batch.ids).then((summary) => {
      record(summary);
      entry.finished = true;
      running.delete(p);
    });
    running.add(p);
  };
  const advanceCursor = () => {
    while (prefix < launched.length && launched[prefix]!.finished) {
      const entry = launched[prefix]!;
      if (entry.last !== null) state.cursor.after = entry.last;
      if (entry.endsPage) {
        state.cursor.pages++;
        if (entry.endsPage.next === null) state.cursor.done = true;
        else state.cursor.after = entry.endsPage.next;
      }
      prefix++;
    }
  };

  while (!state.cursor.done) {
    while (!paused && queued.length > 0 && running.size < options.batchConcurrency) {
      if (queued[0]!.ids.length > 0 && hooks.shouldPause()) {
        paused = true;
        break;
      }
      launch(queued.shift()!);
    }
    // Pipelined: the next page is listed while the batches before it run, and its batches take
    // lanes as they free up. Otherwise a page is listed once the previous one is done.
    const wantPage = pipelined ? queued.length < options.batchConcurrency : queued.length === 0 &&
      running.size === 0;
    if (!paused && listing === null && !listedAll && wantPage) {
      if (hooks.shouldPause()) paused = true;
      else list();
    }
    inFlight = running.size;
    changed();
    if (running.size === 0 && listing === null) {
      advanceCursor();
      if (paused) return "paused";
      continue; // the date is done, or the next page is due
    }
    await Promise.race(listing === null ? running : [...running, listing]);
    advanceCursor();
  }
  inFlight = 0;
  changed();

  if (complete) {
    return await completeDate(claimDate, options, state, hooks, runBatch, record, (n) => {
      inFlight = n;
      changed();
    });
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

/**
 * Retry rounds for the ids still contended after their batch, until none is left or the
 * deadline passes. Each round waits (1 s, doubling, at most 60 s; sooner when the batches
 * reported that the soonest blocking lock runs out earlier), then runs the ids again in
 * batches. A crashed worker's locks run out within one lock TTL, well inside the deadline, so
 * a run survives a crash on its own; what is left at the deadline ends the run incomplete
 * (the caller fails it). The deadline counts from the first round of this attempt of the run:
 * a retried run gets a whole new one.
 */
async function completeDate(
  claimDate: string,
  options: FanOutOptions,
  state: DateState,
  hooks: FanOutHooks,
  runBatch: (ids: string[]) => Promise<BatchSummary>,
  record: (summary: BatchSummary) => void,
  setInFlight: (n: number) => void,
): Promise<"done" | "paused"> {
  const attempt = workflowInfo().attempt;
  while (state.contendedIds.length > 0) {
    const now = Date.now();
    if (!state.retry || state.retry.attempt !== attempt) {
      state.retry = {
        deadline: now + (options.contentionDeadlineMs ?? DEFAULT_CONTENTION_DEADLINE_MS),
        attempt,
      };
    }
    if (now >= state.retry.deadline) break;
    if (hooks.shouldPause()) return "paused";
    const backoff = Math.min(
      RETRY_LONGEST_PAUSE_MS,
      RETRY_FIRST_PAUSE_MS * 2 ** Math.min(state.contentionRounds, 16),
    );
    const expiry = state.retryAfterMs ?? null;
    const pause = Math.min(
      expiry === null ? backoff : Math.max(RETRY_FIRST_PAUSE_MS, expiry + RETRY_EXPIRY_MARGIN_MS),
      backoff,
      Math.max(0, state.retry.deadline - now),
    );
    await sleep(pause);
    const retried = state.contendedIds;
    const again = new Set(retried);
    state.contendedIds = [];
    state.contentionRounds++;
    state.retryAfterMs = null;
    // They were counted as contended; the new attempt's outcome replaces that.
    state.totals = {
      ...state.totals,
      policyDays: state.totals.policyDays - retried.length,
      contended: state.totals.contended - retried.length,
    };
    state.problems = state.problems.filter((p) =>
      !(p.status === "contended" && again.has(p.policyId))
    );
    log.info("retrying contended policy-days", {
      claimDate,
      policyDays: retried.length,
      round: state.contentionRounds,
      pausedMs: pause,
    });
    const batches = chunk(retried, options.batchSize);
    const lanes = Math.min(options.batchConcurrency, batches.length);
    setInFlight(lanes);
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        for (let ids = batches.shift(); ids; ids = batches.shift()) record(await runBatch(ids));
      }),
    );
    setInFlight(0);
  }
  return "done";
}
