/** The body of `claims verify` (src/cli/commands/verify.ts): recompute, list, summarise. */
import { formatProblem } from "../../verify/problems.ts";
import { summaryLine, verifyStore } from "../../verify/verify-store.ts";
import type { CliContext } from "../context.ts";
import { ExitCode, writeJson } from "../io.ts";
import { withDatabase } from "./with-database.ts";

export interface VerifyFlags {
  from?: string;
  to?: string;
  json?: boolean;
  limit: number;
  pageSize: number;
}

export async function run(ctx: CliContext, flags: VerifyFlags): Promise<void> {
  const range = flags.from !== undefined || flags.to !== undefined
    ? { from: flags.from ?? "0001-01-01", to: flags.to ?? "9999-12-31" }
    : undefined;
  let printed = 0;
  const summary = await withDatabase(ctx, "verifying", (database) =>
    verifyStore(database.sql, {
      range,
      pageSize: flags.pageSize,
      maxListed: flags.limit,
      onProblem: flags.json ? undefined : (problem) => {
        if (printed++ < flags.limit) ctx.io.stdout.write(formatProblem(problem) + "\n");
      },
    }));
  if (flags.json) writeJson(ctx.io.stdout, summary);
  else {
    if (summary.problems > summary.listed.length) {
      ctx.io.stdout.write(
        `… ${summary.problems - summary.listed.length} more problem(s) not listed (--limit)\n`,
      );
    }
    ctx.io.stdout.write(summaryLine(summary) + "\n");
  }
  if (!summary.ok) ctx.setExitCode(ExitCode.FAILED);
}
