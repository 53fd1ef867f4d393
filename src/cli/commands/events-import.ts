/**
 * `claims events import FILE [--recalculate]`: validated, all-or-nothing, idempotent import of
 * risk events; prints the policy-days the new and changed events affect and, with
 * --recalculate, starts their recalculation through Temporal (a few days: one workflow per
 * policy-day, a day already being computed is told to compute once more; many days: one
 * batched rerun workflow per claim date).
 */
import type { EventsImportFlags } from "../actions/events-import.ts";
import type { RegisterCommand } from "../context.ts";
import { integerFlag } from "../flags.ts";
import { FILE_FORMATS_HELP, groupCommand } from "./import-common.ts";

/**
 * A safety valve, not a performance limit (many days go through batched reruns): an import
 * that would recompute more than this many policy-days is probably a mistake in the file.
 */
export const DEFAULT_MAX_RECALCULATE = 5_000_000;

export const registerEventsImport: RegisterCommand = (program, ctx) => {
  groupCommand(program, "events", "manage risk events")
    .command("import")
    .description(
      "import risk events from a .json, .jsonl or .csv file (upsert by id) and list the " +
        "policy-days they affect",
    )
    .argument("<file>", "the file to import")
    .option(
      "--recalculate",
      "start the recalculation of the affected policy-days through Temporal",
    )
    .option(
      "--max-recalculate <n>",
      "with --recalculate: recompute at most this many policy-days; more are left to " +
        "`claims rerun` (exit 1 says so)",
      integerFlag("--max-recalculate", 1, 10_000_000),
      DEFAULT_MAX_RECALCULATE,
    )
    .option("--dry-run", "validate every row and write nothing")
    .option("--json", "print the result as JSON")
    .addHelpText("after", FILE_FORMATS_HELP)
    .action(async (file: string, opts: EventsImportFlags) => {
      const { run } = await import("../actions/events-import.ts");
      await run(ctx, file, opts);
    });
};
