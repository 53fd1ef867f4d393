/**
 * What `claims schedule backfill --wait` does once the backfill is asked for: work out its runs
 * and how many policy-days they cover (PostgreSQL; the ETA needs it, nothing else does), follow
 * them to their end (backfill-progress.ts), print, and set the exit code: 0 when every run
 * completed, 1 when one failed, 130 when interrupted (the runs go on).
 */
import type { Client } from "@temporalio/client";
import type { CliContext } from "../cli/context.ts";
import { ExitCode, writeJson } from "../cli/io.ts";
import type { Config } from "../config.ts";
import { connectSql } from "../store/connection.ts";
import { backfillPrinter, backfillRuns, waitForBackfill } from "./backfill-progress.ts";
import { type BackfillResult, nominalTimesByClaimDate } from "./schedule.ts";

/** Policy-days the daily runs of from..to cover; null when PostgreSQL cannot say. */
export async function policyDaysBetween(
  databaseUrl: string,
  from: string,
  to: string,
): Promise<number | null> {
  const sql = connectSql(databaseUrl, { max: 1, applicationName: "claims-cli" });
  try {
    const [row] = await sql<{ n: string }[]>`
      select count(*)::text as n
      from generate_series(${from}::date, ${to}::date, interval '1 day') as d(day)
      join policies p on p.coverage_start <= d.day::date and p.coverage_end >= d.day::date`;
    return row ? Number(row.n) : null;
  } catch {
    return null;
  } finally {
    await sql.end({ timeout: 2 });
  }
}

export async function followBackfill(
  ctx: CliContext,
  client: Client,
  config: Config,
  result: BackfillResult,
  requestedAt: Date,
  json: boolean | undefined,
): Promise<void> {
  const nominal = [...nominalTimesByClaimDate(config, result.from, result.to).values()].flat();
  const runs = backfillRuns(config.schedule.id, nominal, result.manualRuns);
  const total = await policyDaysBetween(config.databaseUrl, result.from, result.to);
  const out = ctx.io.stdout;
  if (!json && total === null) {
    out.write("(PostgreSQL did not say how many policy-days the dates cover: no ETA)\n");
  }
  const printer = json ? null : backfillPrinter(out);
  const { snapshot, interrupted } = await waitForBackfill(client, runs, {
    requestedAt,
    total,
    signal: ctx.io.signal,
    onSnapshot: (s) => printer?.print(s),
  });
  printer?.end();
  const failed = snapshot.runs.filter((r) => r.state === "failed");
  if (json) writeJson(out, { ...result, wait: snapshot });
  else {
    for (const run of failed) {
      out.write(`failed: ${run.workflowId} (claim date ${run.claimDate}): ${run.error}\n`);
    }
  }
  if (interrupted) {
    ctx.io.stderr.write("stopped waiting; the backfill's runs go on (`claims runs --running`)\n");
    ctx.setExitCode(ExitCode.INTERRUPTED);
  } else if (failed.length > 0) ctx.setExitCode(ExitCode.FAILED);
}
