/**
 * `claims report --from D --to D [--policy ID] [--format table|json|csv]`: per claim date and
 * per region, policy-days computed, claims, capped claims and payouts per currency.
 * The format is `table` unless --format says otherwise (on a terminal and in a pipe alike,
 * so a script never gets a surprise); json and csv are for machines.
 */
import { buildClaimsReport } from "../../report/claims-report.ts";
import { renderReport, reportToJson } from "../../report/render-report.ts";
import type { RegisterCommand } from "../context.ts";
import { type OutputFormat, parseFormat } from "../format.ts";
import { writeJson } from "../io.ts";
import { checkRange, dateFlag, idFlag, withDatabase } from "./ops-shared.ts";
import { InvalidArgumentError } from "commander";

interface ReportFlags {
  from: string;
  to: string;
  policy?: string;
  format: OutputFormat;
}

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
      const report = await withDatabase(
        ctx,
        "building the report",
        (database) =>
          buildClaimsReport(database.sql, {
            from: flags.from,
            to: flags.to,
            policyId: flags.policy,
          }),
      );
      if (flags.format === "json") writeJson(ctx.io.stdout, reportToJson(report));
      else ctx.io.stdout.write(renderReport(report, flags.format));
    });
};
