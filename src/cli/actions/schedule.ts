/**
 * The bodies of `claims schedule ensure|describe|pause|unpause|trigger|backfill|delete`
 * (src/cli/commands/schedule.ts): each talks to Temporal for the length of one command.
 */
import type { ScheduleOverlapName } from "../../schedule-overlap.ts";
import { withTemporalClient } from "../../temporal/cli-support.ts";
import {
  BackfillRangeError,
  backfillSchedule,
  checkBackfillRange,
  deleteSchedule,
  describeSchedule,
  ensureSchedule,
  pauseSchedule,
  triggerSchedule,
  unpauseSchedule,
} from "../../temporal/schedule.ts";
import type { CliContext } from "../context.ts";
import { CliError, ExitCode, writeJson } from "../io.ts";

export interface JsonFlag {
  json?: boolean;
}

function print(ctx: CliContext, json: boolean | undefined, value: unknown, text: string): void {
  if (json) writeJson(ctx.io.stdout, value);
  else ctx.io.stdout.write(text.endsWith("\n") ? text : text + "\n");
}

export async function ensure(
  ctx: CliContext,
  options: JsonFlag & { overlap?: ScheduleOverlapName },
): Promise<void> {
  const result = await withTemporalClient(
    ctx,
    (client, config) => ensureSchedule(client, config, { overlap: options.overlap }),
  );
  print(
    ctx,
    options.json,
    result,
    `schedule ${result.scheduleId} ${result.action}: daily at ${result.time} ${result.timezone}, ` +
      `overlap ${result.overlap}, catch-up window ${result.catchupWindow}`,
  );
}

export async function describe(ctx: CliContext, options: JsonFlag): Promise<void> {
  const view = await withTemporalClient(
    ctx,
    (client, config) => describeSchedule(client, config),
  );
  const lines = [
    `schedule ${view.scheduleId}: ${view.paused ? "PAUSED" : "active"}` +
    (view.note ? ` (${view.note})` : ""),
    `  runs ${view.workflowType} on task queue ${view.taskQueue}, timezone ${
      view.timezone ?? "UTC"
    }, overlap ${view.overlap}, catch-up window ${view.catchupWindowMs} ms`,
    `  actions taken ${view.actionsTaken}, missed (catch-up window) ${view.missedCatchupWindow}, ` +
    `skipped (overlap) ${view.skippedOverlap}`,
    ...view.running.map((id) => `  running: ${id}`),
    ...view.recent.map((r) =>
      `  recent: ${r.nominalTime} -> claim date ${r.claimDate} (${r.workflowId})`
    ),
    ...view.next.map((n) => `  next:   ${n.nominalTime} -> claim date ${n.claimDate}`),
  ];
  print(ctx, options.json, view, lines.join("\n"));
}

export async function setState(
  ctx: CliContext,
  name: "pause" | "unpause",
  options: JsonFlag & { note?: string },
): Promise<void> {
  const scheduleId = await withTemporalClient(ctx, async (client, config) => {
    if (name === "pause") await pauseSchedule(client, config, options.note);
    else await unpauseSchedule(client, config, options.note);
    return config.schedule.id;
  });
  const state = name === "pause" ? "paused" : "unpaused";
  print(ctx, options.json, { scheduleId, state }, `schedule ${scheduleId} ${state}`);
}

export async function trigger(ctx: CliContext, options: JsonFlag): Promise<void> {
  const scheduleId = await withTemporalClient(ctx, async (client, config) => {
    await triggerSchedule(client, config);
    return config.schedule.id;
  });
  print(ctx, options.json, { scheduleId, triggered: true }, `schedule ${scheduleId} triggered`);
}

export async function backfill(
  ctx: CliContext,
  options: JsonFlag & { from: string; to: string; wait?: boolean },
): Promise<void> {
  // The range is checked before connecting: bad flags are exit 2 even with Temporal down.
  try {
    checkBackfillRange(ctx.config(), options.from, options.to);
  } catch (error) {
    if (error instanceof BackfillRangeError) {
      throw new CliError(error.message, ExitCode.INVALID, { cause: error });
    }
    throw error;
  }
  await withTemporalClient(ctx, async (client, config) => {
    const requestedAt = new Date();
    let result: Awaited<ReturnType<typeof backfillSchedule>>;
    try {
      result = await backfillSchedule(client, config, options.from, options.to);
    } catch (error) {
      if (error instanceof BackfillRangeError) {
        throw new CliError(error.message, ExitCode.INVALID, { cause: error });
      }
      throw error;
    }
    const count = result.claimDates.length + result.manualRuns.length;
    const started =
      `schedule ${result.scheduleId}: backfill of ${count} claim date(s) ${result.from} to ${result.to} started` +
      (result.manualRuns.length
        ? ` (${result.manualRuns.length} as manual runs: no nominal time that day)`
        : "");
    if (!options.wait) return print(ctx, options.json, result, started);
    if (!options.json) ctx.io.stdout.write(started + "\n");
    const { followBackfill } = await import("../../temporal/backfill-follow.ts");
    await followBackfill(ctx, client, config, result, requestedAt, options.json);
  });
}

export async function remove(ctx: CliContext, options: JsonFlag): Promise<void> {
  const [scheduleId, deleted] = await withTemporalClient(
    ctx,
    async (client, config) => [config.schedule.id, await deleteSchedule(client, config)] as const,
  );
  print(
    ctx,
    options.json,
    { scheduleId, deleted },
    deleted ? `schedule ${scheduleId} deleted` : `schedule ${scheduleId} did not exist`,
  );
}
