/**
 * The daily run (SPEC §6). The run with nominal time T computes claim date D = (UTC date of T)
 * − 1 day for every policy covering D. T comes from the schedule's `TemporalScheduledStartTime`
 * search attribute, never from the clock: a backfilled or late run must compute the day it
 * stands for. Manual starts name the date instead.
 *
 * The history stays small: the run continues as new (carrying cursor and totals) when the
 * server suggests it or the history reaches `historyEventsLimit` events, so a day of 100,000+
 * policies fits comfortably.
 */
import {
  ApplicationFailure,
  continueAsNew,
  patched,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from "@temporalio/workflow";
import { defineSearchAttributeKey } from "@temporalio/common";
import { isValidDate } from "../src/domain/calendar.ts";
import {
  claimDateOfNominalTime,
  type DailyRunCarried,
  type DailyRunInput,
  dailyRunProgressQuery,
  type DailyRunSummary,
  FailureTypes,
  INCOMPLETE_FAILURE_TYPE,
  incompleteMessage,
  uncomputed,
} from "../src/temporal/shared.ts";
import {
  CLAIM_DATE,
  DEFAULT_CATCHUP_WINDOW_MS,
  RUN_KIND,
  RUN_SEARCH_ATTRIBUTES,
  type RunKind,
  scheduledRunKind,
} from "../src/temporal/search-attributes.ts";
import { COMPLETE_DATES, fanOutDate, newDateState, refreshStatisticsAfter } from "./fan-out.ts";
import { checkFanOutOptions, historyIsLong } from "./limits.ts";

const SCHEDULED_START_TIME = defineSearchAttributeKey("TemporalScheduledStartTime", "DATETIME");

function resolveDate(input: DailyRunInput): { claimDate: string; nominalTime: string | null } {
  if (input.claimDate !== undefined) {
    if (typeof input.claimDate !== "string" || !isValidDate(input.claimDate)) {
      throw ApplicationFailure.nonRetryable(
        `claimDate: must be an existing YYYY-MM-DD date, got ${JSON.stringify(input.claimDate)}`,
        FailureTypes.INVALID_INPUT,
      );
    }
    return { claimDate: input.claimDate, nominalTime: null };
  }
  const nominal = workflowInfo().typedSearchAttributes.get(SCHEDULED_START_TIME);
  if (!nominal) {
    throw ApplicationFailure.nonRetryable(
      "claimDate: missing; a run not started by the schedule must name its claim date",
      FailureTypes.INVALID_INPUT,
    );
  }
  const when = new Date(nominal);
  return { claimDate: claimDateOfNominalTime(when), nominalTime: when.toISOString() };
}

/**
 * ClaimDate (known only from the nominal time) and RunKind, so that visibility can list runs by
 * date and kind (src/temporal/search-attributes.ts). Attributes carry over continue-as-new, so
 * a continued run finds them set and upserts nothing.
 */
function upsertRunAttributes(carried: DailyRunCarried, input: DailyRunInput): void {
  const info = workflowInfo();
  const current = info.typedSearchAttributes;
  const updates: ({ key: typeof CLAIM_DATE; value: string } | {
    key: typeof RUN_KIND;
    value: string;
  })[] = [];
  if (current.get(CLAIM_DATE) !== carried.claimDate) {
    updates.push({ key: CLAIM_DATE, value: carried.claimDate });
  }
  const kind = current.get(RUN_KIND) as RunKind | undefined;
  let wanted: RunKind = kind ?? "daily";
  if (carried.nominalTime !== null && kind !== "backfill") {
    wanted = scheduledRunKind(
      new Date(carried.nominalTime),
      info.startTime,
      input.catchupWindowMs ?? DEFAULT_CATCHUP_WINDOW_MS,
    );
  }
  if (wanted !== kind) updates.push({ key: RUN_KIND, value: wanted });
  if (updates.length > 0) upsertSearchAttributes(updates);
}

export async function dailyRunWorkflow(input: DailyRunInput): Promise<DailyRunSummary> {
  checkFanOutOptions(input);
  const carried: DailyRunCarried = input.carried ?? {
    ...resolveDate(input),
    state: newDateState(),
    continuedAsNew: 0,
    startedAt: new Date().toISOString(),
  };
  const state = carried.state;
  // Runs recorded before it replay without the upsert command.
  if (patched(RUN_SEARCH_ATTRIBUTES)) upsertRunAttributes(carried, input);
  let inFlightBatches = 0;
  setHandler(dailyRunProgressQuery, () => ({
    claimDate: carried.claimDate,
    nominalTime: carried.nominalTime,
    cursor: state.cursor,
    totals: state.totals,
    inFlightBatches,
    continuedAsNew: carried.continuedAsNew,
  }));

  const outcome = await fanOutDate(carried.claimDate, { kind: "all" }, input, state, {
    shouldPause: () => historyIsLong(input.historyEventsLimit),
    onChange: (_s, inFlight) => {
      inFlightBatches = inFlight;
    },
  });
  if (outcome === "paused") {
    await continueAsNew<typeof dailyRunWorkflow>({
      ...input,
      carried: { ...carried, state, continuedAsNew: carried.continuedAsNew + 1 },
    });
  }
  await refreshStatisticsAfter(input);
  const summary: DailyRunSummary = {
    claimDate: carried.claimDate,
    nominalTime: carried.nominalTime,
    totals: state.totals,
    problems: state.problems,
    continuedAsNew: carried.continuedAsNew,
    startedAt: carried.startedAt,
    finishedAt: new Date().toISOString(),
  };
  // A run with days left uncomputed is a failed run, never a completed one: the schedule's
  // retry policy runs it again, and the failure is what alerts see (same patch as the retry
  // rounds: it is decided once per run, in fanOutDate).
  if (patched(COMPLETE_DATES) && uncomputed(state.totals) > 0) {
    throw ApplicationFailure.create({
      type: INCOMPLETE_FAILURE_TYPE,
      message: incompleteMessage(
        `the daily run of ${carried.claimDate}`,
        state.totals,
        state.problems,
      ),
      details: [summary],
    });
  }
  return summary;
}
