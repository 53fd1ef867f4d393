/**
 * The body of `claims events import FILE [--recalculate]` (src/cli/commands/events-import.ts):
 * validate, import, list the affected policy-days, start their recalculation.
 */
import type { Config } from "../../config.ts";
import { ClaimsError, ErrorCodes, hasCode } from "../../errors.ts";
import type { PolicyDay } from "../../imports/affected-days.ts";
import { importEvents } from "../../imports/import-file.ts";
import type { CliContext } from "../context.ts";
import { CliError, ExitCode, writeJson } from "../io.ts";
import { countsLine, validateOrFail } from "./import-common.ts";
import { withDatabase } from "./with-database.ts";

/** Affected days listed in text output; --json lists them all. */
const LISTED_DAYS = 50;

interface Recalculation {
  started: number;
  attached: number;
  batchWorkflowIds: string[];
}

interface Recalculator {
  recalculate(days: PolicyDay[], requestKey: string): Promise<Recalculation>;
  close(): Promise<void>;
}

/** Connects to Temporal before anything is written: if it is down, nothing is imported. */
async function connectRecalculator(config: Config): Promise<Recalculator> {
  // Loaded on demand: the Temporal client is only needed with --recalculate (and Deno runs
  // the other import paths without it).
  const { connectClient, isUnavailable, unreachable } = await import(
    "../../temporal/connection.ts"
  );
  const { recalculatePolicyDays } = await import("../../temporal/recalculate.ts");
  const handle = await connectClient(config);
  return {
    async recalculate(days, requestKey) {
      try {
        return await recalculatePolicyDays(handle.client, config, days, { requestKey });
      } catch (error) {
        if (error instanceof ClaimsError || !isUnavailable(error)) throw error;
        throw unreachable(config, error);
      }
    },
    close: () => handle.close(),
  };
}

function printText(
  ctx: CliContext,
  file: string,
  result: Awaited<ReturnType<typeof importEvents>>,
  recalculation: Recalculation | null,
  wanted: boolean,
): void {
  const out = ctx.io.stdout;
  out.write(countsLine("events import", file, result) + "\n");
  const days = result.affected;
  if (days.length === 0) {
    out.write("no policy-day is affected\n");
    return;
  }
  out.write(`${days.length} policy-day${days.length === 1 ? "" : "s"} affected:\n`);
  for (const d of days.slice(0, LISTED_DAYS)) out.write(`  ${d.policyId} ${d.claimDate}\n`);
  if (days.length > LISTED_DAYS) {
    out.write(`  … and ${days.length - LISTED_DAYS} more (--json lists them all)\n`);
  }
  if (recalculation && recalculation.batchWorkflowIds.length > 0) {
    out.write(
      `recalculation: ${recalculation.batchWorkflowIds.length} batched workflow(s), one per ` +
        `claim date (${recalculation.started} started, ${recalculation.attached} already ` +
        `running): ${recalculation.batchWorkflowIds[0]} …\n`,
    );
  } else if (recalculation) {
    out.write(
      `recalculation: ${recalculation.started} started, ${recalculation.attached} already ` +
        "running (told to compute once more)\n",
    );
  } else if (!wanted) {
    out.write(
      `not recalculated: pass --recalculate to start them, or run \`${rerunHint(days)}\`\n`,
    );
  }
}

/** `claims rerun --all --from D --to D` covering the affected days: the batched way. */
function rerunHint(days: readonly PolicyDay[]): string {
  let from = days[0]!.claimDate;
  let to = from;
  for (const d of days) {
    if (d.claimDate < from) from = d.claimDate;
    if (d.claimDate > to) to = d.claimDate;
  }
  return `claims rerun --all --from ${from} --to ${to}`;
}

export interface EventsImportFlags {
  json?: boolean;
  dryRun?: boolean;
  recalculate?: boolean;
  maxRecalculate: number;
}

export async function run(
  ctx: CliContext,
  file: string,
  opts: EventsImportFlags,
): Promise<void> {
  const json = Boolean(opts.json);
  const validation = await validateOrFail(ctx, file, "events", json);
  if (opts.dryRun) {
    const result = { file, kind: "events", rows: validation.rows, valid: true, dryRun: true };
    if (json) writeJson(ctx.io.stdout, result);
    else {ctx.io.stdout.write(
        `${file}: all ${validation.rows} events valid (dry run: nothing written)\n`,
      );}
    return;
  }
  // Temporal is checked before anything is written: when it is down nothing is imported,
  // and running the same command again later does everything.
  const recalculator = opts.recalculate ? await connectRecalculator(ctx.config()) : null;
  try {
    const result = await withDatabase(
      ctx,
      `importing ${file}`,
      (database) => importEvents(database.db, validation),
    );
    const report = (recalculation: Recalculation | null) => {
      if (json) writeJson(ctx.io.stdout, { ...result, file, recalculation });
      else printText(ctx, file, result, recalculation, Boolean(opts.recalculate));
    };
    if (!recalculator) return report(null);
    const days = result.affected;
    if (days.length > opts.maxRecalculate) {
      report(null);
      throw new CliError(
        `the events were imported; ${days.length} policy-days are affected, more than ` +
          `--max-recalculate ${opts.maxRecalculate}, so none was started: ` +
          `recompute them with \`${rerunHint(days)}\` (or raise --max-recalculate)`,
        ExitCode.FAILED,
      );
    }
    let recalculation: Recalculation;
    try {
      recalculation = days.length > 0
        ? await recalculator.recalculate(days, `${validation.sha256}:${days.length}`)
        : { started: 0, attached: 0, batchWorkflowIds: [] };
    } catch (error) {
      // The events are committed: say exactly what is left to do.
      report(null);
      throw new CliError(
        `the events were imported, but starting the recalculation failed: ${
          (error as Error).message
        }; recompute the affected days with \`${rerunHint(days)}\``,
        hasCode(error, ErrorCodes.SERVICE_UNAVAILABLE) ? ExitCode.UNAVAILABLE : ExitCode.FAILED,
        { cause: error },
      );
    }
    report(recalculation);
  } finally {
    await recalculator?.close();
  }
}
