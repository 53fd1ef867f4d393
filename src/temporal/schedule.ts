/**
 * The daily schedule (SPEC §6): one Temporal Schedule that starts the daily run at
 * SCHEDULE_TIME in SCHEDULE_TIMEZONE. The run derives its claim date from the nominal time
 * (D = UTC date of T − 1), so a backfill over claim dates is a backfill over the UTC days
 * after them. Every operation is idempotent: `ensure` creates or updates, `delete` of a
 * missing schedule is a no-op.
 */
import {
  type Client,
  ScheduleAlreadyRunning,
  type ScheduleDescription,
  type ScheduleHandle,
  ScheduleNotFoundError,
  type ScheduleOverlapPolicy,
} from "@temporalio/client";
import type { Config, ScheduleOverlapName } from "../config.ts";
import { addDays, daysBetween, zoneOffsetMs } from "../domain/calendar.ts";
import { fanOutOptionsFrom } from "./fan-out-options.ts";
import { durationMs, RUN_KIND, runSearchAttributes } from "./search-attributes.ts";
import {
  claimDateOfNominalTime,
  type DailyRunInput,
  MAX_RANGE_DAYS,
  nominalDayOfClaimDate,
  WorkflowTypes,
} from "./shared.ts";

export interface ScheduleSettings {
  overlap?: ScheduleOverlapName;
}

function clock(config: Config): { hour: number; minute: number } {
  const [hour, minute] = config.schedule.time.split(":").map(Number) as [number, number];
  return { hour, minute };
}

function desired(config: Config, settings: ScheduleSettings) {
  const { hour, minute } = clock(config);
  const input: DailyRunInput = {
    ...fanOutOptionsFrom(config),
    catchupWindowMs: durationMs(config.schedule.catchupWindow),
  };
  return {
    spec: {
      calendars: [{ hour, minute, comment: "daily claims run: claim date = UTC date - 1" }],
      timezone: config.schedule.timezone,
    },
    action: {
      type: "startWorkflow" as const,
      workflowType: WorkflowTypes.dailyRun,
      // The server appends the nominal time: `claims-daily-2025-06-02T13:00:00Z`.
      workflowId: config.schedule.id,
      taskQueue: config.temporal.taskQueue,
      args: [input],
      // The run upserts its ClaimDate (from its nominal time), and RunKind=backfill when it
      // started too late to be the schedule's own (src/temporal/search-attributes.ts).
      typedSearchAttributes: [{ key: RUN_KIND, value: "daily" }],
      // A run that ends with policy-days uncomputed fails (PolicyDaysIncomplete) and is run
      // again, a few times with growing pauses: each attempt retries its contended days up to
      // CLAIMS_CONTENTION_DEADLINE_MS. Only then does the failure stand for an operator.
      retry: {
        initialInterval: "1 minute",
        backoffCoefficient: 4,
        maximumInterval: "1 hour",
        maximumAttempts: 4,
      },
    },
    policies: {
      overlap: (settings.overlap ?? config.schedule.overlap) as ScheduleOverlapPolicy,
      catchupWindow: config.schedule.catchupWindow,
      pauseOnFailure: false,
    },
  };
}

export interface EnsureResult {
  scheduleId: string;
  action: "created" | "updated";
  time: string;
  timezone: string;
  overlap: ScheduleOverlapName;
  catchupWindow: string;
}

/** Creates the schedule, or updates it to the configuration (keeping paused/unpaused as is). */
export async function ensureSchedule(
  client: Client,
  config: Config,
  settings: ScheduleSettings = {},
): Promise<EnsureResult> {
  const want = desired(config, settings);
  const result = {
    scheduleId: config.schedule.id,
    time: config.schedule.time,
    timezone: config.schedule.timezone,
    overlap: settings.overlap ?? config.schedule.overlap,
    catchupWindow: config.schedule.catchupWindow,
  };
  try {
    await client.schedule.create({
      scheduleId: config.schedule.id,
      ...want,
      state: { note: "created by claims schedule ensure" },
    });
    return { ...result, action: "created" };
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  const handle = client.schedule.getHandle(config.schedule.id);
  let updatedBefore: number | undefined;
  await handle.update((previous) => {
    updatedBefore = previous.info.lastUpdatedAt?.getTime();
    return { ...want, state: { paused: previous.state.paused, note: previous.state.note } };
  });
  await updateApplied(handle, updatedBefore);
  return { ...result, action: "updated" };
}

const UPDATE_APPLIED_TIMEOUT_MS = 30_000;

/**
 * Returns once the schedule has applied an update (its last-updated time moved), or after 30 s.
 * The server hands an update to the schedule's own workflow as a signal and returns at once; a
 * pause sent before that workflow ran would be applied first and then undone by the update,
 * which carries the paused state read before it (Temporal's scheduler applies a pending
 * pause before a pending update). On a busy self-hosted cluster `ensure` then `pause` lost the
 * pause that way; waiting here makes `ensure` mean "applied".
 */
async function updateApplied(handle: ScheduleHandle, before: number | undefined): Promise<void> {
  const deadline = Date.now() + UPDATE_APPLIED_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const after = (await handle.describe()).info.lastUpdatedAt?.getTime();
    if (after !== undefined && after !== before) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ScheduleView {
  scheduleId: string;
  paused: boolean;
  note: string | null;
  calendars: unknown;
  timezone: string | null;
  workflowType: string;
  taskQueue: string;
  overlap: string;
  catchupWindowMs: number;
  actionsTaken: number;
  missedCatchupWindow: number;
  skippedOverlap: number;
  running: string[];
  recent: { nominalTime: string; claimDate: string; takenAt: string; workflowId: string }[];
  next: { nominalTime: string; claimDate: string }[];
}

export function viewOf(d: ScheduleDescription): ScheduleView {
  return {
    scheduleId: d.scheduleId,
    paused: d.state.paused,
    note: d.state.note ?? null,
    calendars: d.spec.calendars ?? [],
    timezone: d.spec.timezone ?? null,
    workflowType: d.action.workflowType,
    taskQueue: d.action.taskQueue ?? "",
    overlap: d.policies.overlap ?? "SKIP",
    catchupWindowMs: d.policies.catchupWindow,
    actionsTaken: d.info.numActionsTaken,
    missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
    skippedOverlap: d.info.numActionsSkippedOverlap,
    running: d.info.runningActions.map((a) => a.workflow.workflowId),
    recent: d.info.recentActions.map((a) => ({
      nominalTime: a.scheduledAt.toISOString(),
      claimDate: claimDateOfNominalTime(a.scheduledAt),
      takenAt: a.takenAt.toISOString(),
      workflowId: a.action.workflow.workflowId,
    })),
    next: d.info.nextActionTimes.map((t) => ({
      nominalTime: t.toISOString(),
      claimDate: claimDateOfNominalTime(t),
    })),
  };
}

export async function describeSchedule(client: Client, config: Config): Promise<ScheduleView> {
  return viewOf(await client.schedule.getHandle(config.schedule.id).describe());
}

export async function pauseSchedule(client: Client, config: Config, note?: string) {
  await client.schedule.getHandle(config.schedule.id).pause(note ?? "paused by claims schedule");
}

export async function unpauseSchedule(client: Client, config: Config, note?: string) {
  await client.schedule.getHandle(config.schedule.id).unpause(
    note ?? "unpaused by claims schedule",
  );
}

/** Runs the daily run now (nominal time = now, so claim date = yesterday, UTC). */
export async function triggerSchedule(client: Client, config: Config) {
  await client.schedule.getHandle(config.schedule.id).trigger("ALLOW_ALL");
}

/** Deletes the schedule; false when there was none. Running daily runs are not touched. */
export async function deleteSchedule(client: Client, config: Config): Promise<boolean> {
  try {
    await client.schedule.getHandle(config.schedule.id).delete();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

/** The instant of wall-clock `hour:minute` on local `date` in `timeZone` (DST-aware). */
function localInstant(date: string, hour: number, minute: number, timeZone: string): number {
  const wall = Date.parse(`${date}T00:00:00Z`) + (hour * 60 + minute) * 60_000;
  let guess = wall - zoneOffsetMs(wall, timeZone);
  guess = wall - zoneOffsetMs(guess, timeZone);
  return guess;
}

/**
 * The nominal times the schedule has around a range of claim dates, by claim date. With the
 * default UTC zone each claim date has exactly one; a local-time schedule can, on a DST change
 * near midnight UTC, give a UTC day none or two, which the backfill then makes up for.
 */
export function nominalTimesByClaimDate(
  config: Config,
  from: string,
  to: string,
): Map<string, Date[]> {
  const { hour, minute } = clock(config);
  const out = new Map<string, Date[]>();
  for (let d = addDays(from, -1); d <= addDays(to, 2); d = addDays(d, 1)) {
    const t = new Date(localInstant(d, hour, minute, config.schedule.timezone));
    const claimDate = claimDateOfNominalTime(t);
    if (claimDate < from || claimDate > to) continue;
    out.set(claimDate, [...(out.get(claimDate) ?? []), t]);
  }
  return out;
}

export interface BackfillResult {
  scheduleId: string;
  from: string;
  to: string;
  /** Claim dates the schedule's backfill covers (one daily run each). */
  claimDates: string[];
  /** Claim dates with no nominal time in the window (DST edge), started as manual runs. */
  manualRuns: { claimDate: string; workflowId: string }[];
  window: { start: string; end: string };
}

export class BackfillRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackfillRangeError";
  }
}

/**
 * Throws a BackfillRangeError when from..to is not a range to backfill: reversed, over ten
 * years, or ending with a claim date whose daily run is not due yet. Needs no server, so the
 * CLI calls it before connecting: bad flags are exit 2 whether Temporal is up or not.
 */
export function checkBackfillRange(
  config: Config,
  from: string,
  to: string,
  now: Date = new Date(),
): Map<string, Date[]> {
  const days = daysBetween(from, to) + 1;
  if (days < 1) throw new BackfillRangeError(`--to ${to} is before --from ${from}`);
  if (days > MAX_RANGE_DAYS) {
    throw new BackfillRangeError(
      `--from ${from} --to ${to} spans ${days} days; at most ${MAX_RANGE_DAYS} (10 years)`,
    );
  }
  const times = nominalTimesByClaimDate(config, from, to);
  const latest = Math.max(...[...times.values()].flat().map((t) => t.getTime()));
  if (latest > now.getTime()) {
    throw new BackfillRangeError(
      `--to ${to}: its daily run is due at ${new Date(latest).toISOString()}, in the future; ` +
        `backfill only claim dates whose run time has passed`,
    );
  }
  return times;
}

/**
 * Runs the daily run once for every claim date from..to (overlap ALLOW_ALL: none is skipped
 * for running at the same time as another). Refuses claim dates whose run is not due yet.
 */
export async function backfillSchedule(
  client: Client,
  config: Config,
  from: string,
  to: string,
  now: Date = new Date(),
): Promise<BackfillResult> {
  const times = checkBackfillRange(config, from, to, now);
  // One ms before the first UTC day and its last ms: right whether the server treats the
  // window's ends as inclusive or exclusive (nominal times are whole minutes).
  const start = new Date(nominalDayOfClaimDate(from).start.getTime() - 1);
  const end = new Date(nominalDayOfClaimDate(to).end.getTime() - 1);
  const handle = client.schedule.getHandle(config.schedule.id);
  await handle.backfill({ start, end, overlap: "ALLOW_ALL" });

  const manualRuns: BackfillResult["manualRuns"] = [];
  const claimDates: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    if (times.has(d)) {
      claimDates.push(d);
      continue;
    }
    const { workflowId } = await startDailyRun(client, config, d);
    manualRuns.push({ claimDate: d, workflowId });
  }
  return {
    scheduleId: config.schedule.id,
    from,
    to,
    claimDates,
    manualRuns,
    window: { start: start.toISOString(), end: end.toISOString() },
  };
}

/**
 * Starts the daily run for one claim date by hand (no schedule), attaching if it runs. Only the
 * backfill starts them (claim dates with no nominal time), so their RunKind is backfill.
 */
export async function startDailyRun(
  client: Client,
  config: Config,
  claimDate: string,
): Promise<{ workflowId: string }> {
  const workflowId = `${config.schedule.id}-manual-${claimDate}`;
  const input: DailyRunInput = { ...fanOutOptionsFrom(config), claimDate };
  await client.workflow.start(WorkflowTypes.dailyRun, {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args: [input],
    workflowIdConflictPolicy: "USE_EXISTING",
    typedSearchAttributes: runSearchAttributes("backfill", claimDate),
  });
  return { workflowId };
}
