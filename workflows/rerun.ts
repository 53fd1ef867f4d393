/**
 * A rerun: chosen policies (or all) over a date range, dates ascending. Its workflow id comes
 * from its parameters (`claims-rerun:<from>:<to>:<sha|all>`), so starting the same rerun again
 * while it runs attaches to it. Progress is a query; the result is a summary with totals per
 * date. Continue-as-new carries the date index, the date's cursor and the totals.
 */
import { ApplicationFailure, continueAsNew, patched, setHandler } from "@temporalio/workflow";
import { addDays, daysBetween, isValidDate } from "../src/domain/calendar.ts";
import {
  addTotals,
  appendProblems,
  emptyTotals,
  FailureTypes,
  INCOMPLETE_FAILURE_TYPE,
  incompleteMessage,
  MAX_RANGE_DAYS,
  type RerunCarried,
  type RerunInput,
  rerunProgressQuery,
  type RerunSummary,
  uncomputed,
} from "../src/temporal/shared.ts";
import {
  COMPLETE_DATES,
  fanOutDate,
  type IdSource,
  newDateState,
  refreshStatisticsAfter,
} from "./fan-out.ts";
import { checkFanOutOptions, historyIsLong } from "./limits.ts";

/** Per-date totals are kept up to this many dates (a 10-year rerun would carry too much). */
const MAX_DATE_TOTALS = 400;

function checkRange(input: RerunInput): number {
  for (const field of ["from", "to"] as const) {
    if (typeof input[field] !== "string" || !isValidDate(input[field])) {
      throw ApplicationFailure.nonRetryable(
        `${field}: must be an existing YYYY-MM-DD date, got ${JSON.stringify(input[field])}`,
        FailureTypes.INVALID_INPUT,
      );
    }
  }
  const days = daysBetween(input.from, input.to) + 1;
  if (days < 1 || days > MAX_RANGE_DAYS) {
    throw ApplicationFailure.nonRetryable(
      `to: must be from ${input.from} to ${MAX_RANGE_DAYS} days later, got ${input.to}`,
      FailureTypes.INVALID_INPUT,
    );
  }
  if (input.cause !== undefined && input.cause !== "policy_amended") {
    throw ApplicationFailure.nonRetryable(
      `cause: must be "policy_amended" or absent, got ${JSON.stringify(input.cause)}`,
      FailureTypes.INVALID_INPUT,
    );
  }
  if (input.policyIds !== null && !Array.isArray(input.policyIds)) {
    throw ApplicationFailure.nonRetryable(
      "policyIds: must be a list of policy ids or null (every policy)",
      FailureTypes.INVALID_INPUT,
    );
  }
  return days;
}

export async function rerunWorkflow(input: RerunInput): Promise<RerunSummary> {
  checkFanOutOptions(input);
  const dates = checkRange(input);
  const ids = input.policyIds === null ? null : [...new Set(input.policyIds)].sort();
  const cause = input.cause ? { cause: input.cause } : {};
  const source: IdSource = ids === null
    ? { kind: "all", ...cause }
    : { kind: "ids", ids, ...cause };
  const carried: RerunCarried = input.carried ?? {
    dateIndex: 0,
    state: newDateState(),
    totals: emptyTotals(),
    dateTotals: {},
    problems: [],
    continuedAsNew: 0,
    startedAt: new Date().toISOString(),
  };

  setHandler(rerunProgressQuery, () => {
    const totals = addTotals(carried.totals, carried.state.totals);
    return {
      from: input.from,
      to: input.to,
      dates,
      datesDone: carried.dateIndex,
      currentDate: carried.dateIndex < dates ? addDays(input.from, carried.dateIndex) : null,
      policyDaysDone: totals.policyDays,
      policyDaysTotal: ids === null ? null : ids.length * dates,
      totals,
      continuedAsNew: carried.continuedAsNew,
    };
  });

  while (carried.dateIndex < dates) {
    const date = addDays(input.from, carried.dateIndex);
    const outcome = await fanOutDate(date, source, input, carried.state, {
      shouldPause: () => historyIsLong(input.historyEventsLimit),
    });
    if (outcome === "paused") {
      await continueAsNew<typeof rerunWorkflow>({
        ...input,
        policyIds: ids,
        carried: { ...carried, continuedAsNew: carried.continuedAsNew + 1 },
      });
    }
    carried.totals = addTotals(carried.totals, carried.state.totals);
    carried.problems = appendProblems(carried.problems, carried.state.problems);
    if (dates <= MAX_DATE_TOTALS) carried.dateTotals[date] = carried.state.totals;
    carried.state = newDateState();
    carried.dateIndex++;
  }
  // Once at the end, like the daily run: a per-date refresh would add an activity per date to
  // every small recalculation rerun.
  await refreshStatisticsAfter(input);
  const summary: RerunSummary = {
    from: input.from,
    to: input.to,
    dates,
    totals: carried.totals,
    dateTotals: carried.dateTotals,
    problems: carried.problems,
    continuedAsNew: carried.continuedAsNew,
    startedAt: carried.startedAt,
    finishedAt: new Date().toISOString(),
  };
  // Every date was tried to its end (a failure stops no other date); days left uncomputed
  // fail the rerun, with the summary as the failure's details for whoever waits on it.
  if (patched(COMPLETE_DATES) && uncomputed(carried.totals) > 0) {
    throw ApplicationFailure.create({
      type: INCOMPLETE_FAILURE_TYPE,
      message: incompleteMessage(
        `the rerun of ${input.from} to ${input.to}`,
        carried.totals,
        carried.problems,
      ),
      details: [summary],
      nonRetryable: true,
    });
  }
  return summary;
}
