/**
 * `claims rerun (--policy ID... | --all) --from D --to D`: recomputes the policy-days of a
 * date range through Temporal. The workflow id derives from the parameters, so running the
 * same command again while the rerun runs attaches to it. On a terminal a progress bar follows
 * the rerun's `progress` query; --json prints the summary as JSON. Exit 1 when any policy-day
 * could not be computed; 2 for bad flags or unknown policies; 3 when Temporal is unreachable.
 */
import { InvalidArgumentError } from "commander";
import { daysBetween, isValidDate } from "../../domain/calendar.ts";
import { MAX_RANGE_DAYS } from "../../domain/date-range.ts";
import { ID_PATTERN } from "../../domain/ids.ts";
import type { RerunOptions } from "../actions/rerun.ts";
import type { RegisterCommand } from "../context.ts";
import { CliError, ExitCode } from "../io.ts";

/** Policy ids per --policy option; a larger set belongs in several reruns. */
const MAX_POLICIES = 10_000;

function dateOption(flag: string) {
  return (value: string): string => {
    if (!isValidDate(value)) {
      throw new InvalidArgumentError(`${flag} must be an existing YYYY-MM-DD date, got "${value}"`);
    }
    return value;
  };
}

function collectIds(value: string, previous: string[] | undefined): string[] {
  const ids = value.split(",").map((s) => s.trim()).filter(Boolean);
  for (const id of ids) {
    if (!ID_PATTERN.test(id)) {
      throw new InvalidArgumentError(
        `--policy must be ids matching ${ID_PATTERN.source}, got "${id}"`,
      );
    }
  }
  return [...(previous ?? []), ...ids];
}

function checkFlags(options: RerunOptions): { policyIds: string[] | null } {
  const ids = options.policy ?? [];
  if (options.all && ids.length > 0) {
    throw new CliError("use either --policy ID... or --all, not both", ExitCode.INVALID);
  }
  if (!options.all && ids.length === 0) {
    throw new CliError("name the policies: --policy ID... (repeatable) or --all", ExitCode.INVALID);
  }
  if (options.from > options.to) {
    throw new CliError(`--from ${options.from} is after --to ${options.to}`, ExitCode.INVALID);
  }
  const days = daysBetween(options.from, options.to) + 1;
  if (days > MAX_RANGE_DAYS) {
    throw new CliError(
      `--from ${options.from} --to ${options.to} spans ${days} days; at most ${MAX_RANGE_DAYS} (10 years)`,
      ExitCode.INVALID,
    );
  }
  const unique = [...new Set(ids)].sort();
  if (unique.length > MAX_POLICIES) {
    throw new CliError(
      `--policy names ${unique.length} policies; at most ${MAX_POLICIES} per rerun (use --all or split it)`,
      ExitCode.INVALID,
    );
  }
  return { policyIds: options.all ? null : unique };
}

export const registerRerun: RegisterCommand = (program, ctx) => {
  program.command("rerun")
    .description("recompute chosen policies (or all) over a date range through Temporal")
    .option("--policy <ids...>", "policy id(s); repeatable, or comma-separated", collectIds)
    .option("--all", "every policy covering each date")
    .requiredOption("--from <date>", "first claim date (YYYY-MM-DD)", dateOption("--from"))
    .requiredOption(
      "--to <date>",
      "last claim date (YYYY-MM-DD), at most 10 years later",
      dateOption("--to"),
    )
    .option("--wait", "wait for the rerun to finish and print its summary (default)")
    .option("--no-wait", "start (or attach to) the rerun and return at once")
    .option("--json", "print JSON (the summary, or the started workflow with --no-wait)")
    .addHelpText(
      "after",
      `
The rerun's workflow id is claims-rerun:<from>:<to>:<sha of the ids | all>: the same command
while it runs attaches to it. Ctrl-C detaches (the rerun goes on).

Examples:
  claims rerun --policy P-1 --policy P-2 --from 2025-03-01 --to 2025-03-31
  claims rerun --all --from 2025-03-30 --to 2025-03-30 --json`,
    )
    .action(async (options: RerunOptions) => {
      const { policyIds } = checkFlags(options);
      const { run } = await import("../actions/rerun.ts");
      await run(ctx, options, policyIds);
    });
};
