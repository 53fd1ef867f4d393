/** The body of `claims report` (src/cli/commands/report.ts): query, render, print. */
import { buildClaimsReport } from "../../report/claims-report.ts";
import { renderReport, reportToJson } from "../../report/render-report.ts";
import type { CliContext } from "../context.ts";
import type { OutputFormat } from "../format.ts";
import { writeJson } from "../io.ts";
import { withDatabase } from "./with-database.ts";

export interface ReportFlags {
  from: string;
  to: string;
  policy?: string;
  format: OutputFormat;
}

export async function run(ctx: CliContext, flags: ReportFlags): Promise<void> {
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
}
