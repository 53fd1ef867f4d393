/**
 * `claims runs [--running] [--date D] [--json]`: the runs Temporal holds for this task queue
 * (daily runs, backfills, reruns, recalculations), newest first, with their kind, claim dates,
 * state, progress (running ones answer their progress query) and a link to the Temporal UI.
 * The Temporal SDK is imported inside the action: `claims --help` never loads it.
 */
import { InvalidArgumentError } from "commander";
import { isValidDate } from "../../domain/calendar.ts";
import type { RunView } from "../../temporal/runs.ts";
import type { RegisterCommand } from "../context.ts";
import { writeJson } from "../io.ts";

interface RunsOptions {
  running?: boolean;
  date?: string;
  limit: number;
  json?: boolean;
}

function dateOption(value: string): string {
  if (!isValidDate(value)) {
    throw new InvalidArgumentError(`--date must be an existing YYYY-MM-DD date, got "${value}"`);
  }
  return value;
}

function limitOption(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1000) {
    throw new InvalidArgumentError(`--limit must be an integer from 1 to 1000, got "${value}"`);
  }
  return n;
}

function progressText(run: RunView): string {
  const p = run.progress;
  if (!p) return run.state === "Running" ? "(no answer)" : "-";
  const days = `${p.done.toLocaleString("en-US")}${
    p.total !== null ? `/${p.total.toLocaleString("en-US")}` : ""
  } policy-days`;
  const dates = p.dates !== null ? `${p.datesDone}/${p.dates} dates, ` : "";
  return `${dates}${days}${p.notComputed ? `, ${p.notComputed} not computed` : ""}`;
}

export function renderRuns(runs: readonly RunView[]): string {
  if (runs.length === 0) return "no runs\n";
  const rows = runs.map((r) => [
    r.kind,
    r.claimDates
      ? (r.claimDates.from === r.claimDates.to
        ? r.claimDates.from
        : `${r.claimDates.from}..${r.claimDates.to}`)
      : "-",
    r.state,
    progressText(r),
    r.startTime.slice(0, 19).replace("T", " "),
    r.workflowId,
    r.url,
  ]);
  const header = ["kind", "claim dates", "state", "progress", "started (UTC)", "workflow", "link"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n") +
    "\n";
}

export const registerRuns: RegisterCommand = (program, ctx) => {
  program.command("runs")
    .description(
      "list the runs Temporal holds for this task queue: kind, claim dates, state, progress, UI link",
    )
    .option("--running", "only runs still running")
    .option("--date <date>", "only runs covering this claim date (YYYY-MM-DD)", dateOption)
    .option("--limit <n>", "at most this many runs, newest first (default 50)", limitOption, 50)
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      `
Kinds (search attribute RunKind): daily, backfill, rerun, recalculate. Claim dates come from the
ClaimDate search attribute (reruns: their first date; the last is in the memo). Links use
TEMPORAL_UI_URL (default: the Temporal address's host, port 8233).

Examples:
  claims runs --running
  claims runs --date 2025-06-03 --json`,
    )
    .action(async (options: RunsOptions) => {
      const [{ withTemporalClient }, { listRuns }] = await Promise.all([
        import("../../temporal/cli-support.ts"),
        import("../../temporal/runs.ts"),
      ]);
      const runs = await withTemporalClient(ctx, (client, config) =>
        listRuns(client, config, {
          running: options.running,
          date: options.date,
          limit: options.limit,
        }));
      if (options.json) writeJson(ctx.io.stdout, { runs });
      else ctx.io.stdout.write(renderRuns(runs));
    });
};
