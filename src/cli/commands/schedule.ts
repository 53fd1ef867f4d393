/**
 * `claims schedule ensure|describe|pause|unpause|trigger|backfill|delete`: the daily schedule
 * (SCHEDULE_ID, default claims-daily). `ensure` is idempotent (creates or updates to the
 * configuration); `backfill --from D --to D` runs the daily run once for every claim date of
 * the range. Human-readable output, or JSON with --json.
 */
import { type Command, InvalidArgumentError } from "commander";
import { isValidDate } from "../../domain/calendar.ts";
import { SCHEDULE_OVERLAP_POLICIES, type ScheduleOverlapName } from "../../schedule-overlap.ts";
import type { JsonFlag } from "../actions/schedule.ts";
import type { CliContext, RegisterCommand } from "../context.ts";
import { CliError, ExitCode } from "../io.ts";

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

/** The subcommands' bodies: they load the Temporal client, only when one runs. */
const actions = () => import("../actions/schedule.ts");

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
      await (await actions()).ensure(ctx, options);
    });
}

function addDescribe(schedule: Command, ctx: CliContext): void {
  schedule.command("describe")
    .description("show the schedule: state, policies, recent and next runs with their claim dates")
    .option("--json", "print JSON")
    .action(async (options: JsonFlag) => {
      await (await actions()).describe(ctx, options);
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
      await (await actions()).setState(ctx, name, options);
    });
}

function addTrigger(schedule: Command, ctx: CliContext): void {
  schedule.command("trigger")
    .description("start a daily run now (nominal time now: claim date = yesterday, UTC)")
    .option("--json", "print JSON")
    .action(async (options: JsonFlag) => {
      await (await actions()).trigger(ctx, options);
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
      await (await actions()).backfill(ctx, options);
    });
}

function addDelete(schedule: Command, ctx: CliContext): void {
  schedule.command("delete")
    .description("delete the schedule (running daily runs go on); no-op when it does not exist")
    .option("--json", "print JSON")
    .action(async (options: JsonFlag) => {
      await (await actions()).remove(ctx, options);
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
