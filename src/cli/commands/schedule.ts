/**
 * `claims schedule ensure|describe|pause|unpause|trigger|backfill|delete`: the daily schedule
 * (SCHEDULE_ID, default claims-daily). `ensure` is idempotent (creates or updates to the
 * configuration); `backfill --from D --to D` runs the daily run once for every claim date of
 * the range. Human-readable output, or JSON with --json.
 */
import { type Command, InvalidArgumentError } from "commander";
import { SCHEDULE_OVERLAP_POLICIES, type ScheduleOverlapName } from "../../config.ts";
import { isValidDate } from "../../domain/calendar.ts";
import type { CliContext, RegisterCommand } from "../context.ts";
import { CliError, ExitCode, writeJson } from "../io.ts";

function dateOption(flag: string) {
  return (value: string): string => {
    if (!isValidDate(value)) {
      throw new InvalidArgumentError(`${flag} must be an existing YYYY-MM-DD date, got "${value}"`);
    }
    return value;
  };
}

function overlapOption(value: string): ScheduleOverlapName {
  const upper = value.toUpperCase().replaceAll("-", "_");
  if ((SCHEDULE_OVERLAP_POLICIES as readonly string[]).includes(upper)) {
    return upper as ScheduleOverlapName;
  }
  throw new InvalidArgumentError(
    `--overlap must be one of ${SCHEDULE_OVERLAP_POLICIES.join(", ")}, got "${value}"`,
  );
}

const EXAMPLES = `
The daily run with nominal time T computes claim date D = (UTC date of T) - 1 day for every
policy covering D. Settings: SCHEDULE_ID, SCHEDULE_TIME (HH:MM), SCHEDULE_TIMEZONE,
SCHEDULE_CATCHUP_WINDOW, SCHEDULE_OVERLAP, TEMPORAL_TASK_QUEUE, CLAIMS_BATCH_SIZE,
CLAIMS_BATCH_CONCURRENCY, CLAIMS_PAGE_SIZE.

Examples:
  claims schedule ensure
  claims schedule describe --json
  claims schedule backfill --from 2025-03-01 --to 2025-03-31
  claims schedule backfill --from 2025-03-01 --to 2025-03-31 --wait`;

interface JsonFlag {
  json?: boolean;
}

async function temporal() {
  const [support, schedule] = await Promise.all([
    import("../../temporal/cli-support.ts"),
    import("../../temporal/schedule.ts"),
  ]);
  return { ...support, ...schedule };
}

function print(ctx: CliContext, json: boolean | undefined, value: unknown, text: string): void {
  if (json) writeJson(ctx.io.stdout, value);
  else ctx.io.stdout.write(text.endsWith("\n") ? text : text + "\n");
}

function addEnsure(schedule: Command, ctx: CliContext): void {
  schedule.command("ensure")
    .description("create the daily schedule, or update it to the configuration (idempotent)")
    .option(
      "--overlap <policy>",
      `what to do when a run is due while one runs: ${SCHEDULE_OVERLAP_POLICIES.join(", ")} ` +
        "(default SCHEDULE_OVERLAP, BUFFER_ALL)",
      overlapOption,
    )
    .option("--json", "print JSON")
    .action(async (options: JsonFlag & { overlap?: ScheduleOverlapName }) => {
      const t = await temporal();
      const result = await t.withTemporalClient(
        ctx,
        (client, config) => t.ensureSchedule(client, config, { overlap: options.overlap }),
      );
      print(
        ctx,
        options.json,
        result,
        `schedule ${result.scheduleId} ${result.action}: daily at ${result.time} ${result.timezone}, ` +
          `overlap ${result.overlap}, catch-up window ${result.catchupWindow}`,
      );
    });
}

function addDescribe(schedule: Command, ctx: CliContext): void {
  schedule.command("describe")
    .description("show the schedule: state, policies, recent and next runs with their claim dates")
    .option("--json", "print JSON")
    .action(async (options: JsonFlag) => {
      const t = await temporal();
      const view = await t.withTemporalClient(
        ctx,
        (client, config) => t.describeSchedule(client, config),
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
    });
}

function addStateCommand(
  schedule: Command,
  ctx: CliContext,
  name: "pause" | "unpause",
  description: string,
): void {
  schedule.command(name)
    .description(description)
    .option("--note <text>", "why (shown by describe)")
    .option("--json", "print JSON")
    .action(async (options: JsonFlag & { note?: string }) => {
      const t = await temporal();
      const scheduleId = await t.withTemporalClient(ctx, async (client, config) => {
        if (name === "pause") await t.pauseSchedule(client, config, options.note);
        else await t.unpauseSchedule(client, config, options.note);
        return config.schedule.id;
      });
      const state = name === "pause" ? "paused" : "unpaused";
      print(ctx, options.json, { scheduleId, state }, `schedule ${scheduleId} ${state}`);
    });
}

function addTrigger(schedule: Command, ctx: CliContext): void {
  schedule.command("trigger")
    .description("start a daily run now (nominal time now: claim date = yesterday, UTC)")
    .option("--json", "print JSON")
    .action(async (options: JsonFlag) => {
      const t = await temporal();
      const scheduleId = await t.withTemporalClient(ctx, async (client, config) => {
        await t.triggerSchedule(client, config);
        return config.schedule.id;
      });
      print(ctx, options.json, { scheduleId, triggered: true }, `schedule ${scheduleId} triggered`);
    });
}

function addBackfill(schedule: Command, ctx: CliContext): void {
  schedule.command("backfill")
    .description("run the daily run once for every claim date from --from to --to (none skipped)")
    .requiredOption("--from <date>", "first claim date (YYYY-MM-DD)", dateOption("--from"))
    .requiredOption("--to <date>", "last claim date (YYYY-MM-DD)", dateOption("--to"))
    .option("--json", "print JSON")
    .option(
      "--wait",
      "follow the runs until each has ended: progress, rate and ETA (exit 1 if one failed)",
    )
    .action(async (options: JsonFlag & { from: string; to: string; wait?: boolean }) => {
      if (options.from > options.to) {
        throw new CliError(`--from ${options.from} is after --to ${options.to}`, ExitCode.INVALID);
      }
      const t = await temporal();
      // The range is checked before connecting: bad flags are exit 2 even with Temporal down.
      try {
        t.checkBackfillRange(ctx.config(), options.from, options.to);
      } catch (error) {
        if (error instanceof t.BackfillRangeError) {
          throw new CliError(error.message, ExitCode.INVALID, { cause: error });
        }
        throw error;
      }
      await t.withTemporalClient(ctx, async (client, config) => {
        const requestedAt = new Date();
        let result: Awaited<ReturnType<typeof t.backfillSchedule>>;
        try {
          result = await t.backfillSchedule(client, config, options.from, options.to);
        } catch (error) {
          if (error instanceof t.BackfillRangeError) {
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
    });
}

function addDelete(schedule: Command, ctx: CliContext): void {
  schedule.command("delete")
    .description("delete the schedule (running daily runs go on); no-op when it does not exist")
    .option("--json", "print JSON")
    .action(async (options: JsonFlag) => {
      const t = await temporal();
      const [scheduleId, deleted] = await t.withTemporalClient(
        ctx,
        async (client, config) =>
          [config.schedule.id, await t.deleteSchedule(client, config)] as const,
      );
      print(
        ctx,
        options.json,
        { scheduleId, deleted },
        deleted ? `schedule ${scheduleId} deleted` : `schedule ${scheduleId} did not exist`,
      );
    });
}

export const registerSchedule: RegisterCommand = (program, ctx) => {
  const schedule = program.command("schedule")
    .description(
      "manage the daily schedule: ensure, describe, pause, unpause, trigger, backfill, delete",
    )
    .addHelpText("after", EXAMPLES);
  addEnsure(schedule, ctx);
  addDescribe(schedule, ctx);
  addStateCommand(schedule, ctx, "pause", "pause the schedule (no daily runs until unpaused)");
  addStateCommand(schedule, ctx, "unpause", "unpause the schedule");
  addTrigger(schedule, ctx);
  addBackfill(schedule, ctx);
  addDelete(schedule, ctx);
};
