/**
 * `claims report --from D --to D [--policy ID] [--format table|json|csv]`: per claim date and
 * per region, policy-days computed, claims, capped claims and payouts per currency.
 * The format is `table` unless --format says otherwise (on a terminal and in a pipe alike,
 * so a script never gets a surprise); json and csv are for machines.
 */
import { InvalidArgumentError } from "commander";
import type { ReportFlags } from "../actions/report.ts";
import type { RegisterCommand } from "../context.ts";
import { checkRange, dateFlag, idFlag } from "../flags.ts";
import { parseFormat } from "../format.ts";

export const registerReport: RegisterCommand = (program, ctx) => {
  program
    .command("report")
    .description("claims per claim date and per region, with totals per currency")
    .requiredOption("--from <date>", "first claim date (YYYY-MM-DD)", dateFlag("--from"))
    .requiredOption("--to <date>", "last claim date (YYYY-MM-DD), included", dateFlag("--to"))
    .option("--policy <id>", "only this policy", idFlag("--policy"))
    .option("--format <format>", "table, json or csv", (value: string) => {
      try {
        return parseFormat(value);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
    }, "table")
    .addHelpText(
      "after",
      `
Columns: policy-days = ledger rows (policy-days computed), claims, capped = claims paid less
than their tier, then one column per currency with the total payout in minor units (exact
integers; in JSON they are strings so no float rounds them).`,
    )
    .action(async (flags: ReportFlags) => {
      checkRange(flags.from, flags.to);
      const { run } = await import("../actions/report.ts");
      await run(ctx, flags);
    });
};
