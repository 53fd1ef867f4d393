/**
 * The body of `claims rerun` (src/cli/commands/rerun.ts): check the policies exist, start or
 * attach to the rerun workflow, follow its progress, print its summary.
 */
import { formatAmounts } from "../money.ts";
import { loadPolicies } from "../../store/policies.ts";
import type { RerunSummary } from "../../temporal/shared.ts";
import type { CliContext } from "../context.ts";
import { CliError, ExitCode, writeJson } from "../io.ts";
import { withDatabase } from "./with-database.ts";

export interface RerunOptions {
  policy?: string[];
  all?: boolean;
  from: string;
  to: string;
  /** undefined unless --wait or --no-wait was given: waiting is the default. */
  wait?: boolean;
  json?: boolean;
}

async function checkPoliciesExist(ctx: CliContext, ids: readonly string[]): Promise<void> {
  const missing = await withDatabase(ctx, "checking the policies of the rerun", async (db) => {
    const found = await loadPolicies(db.db, ids);
    return ids.filter((id) => !found.has(id));
  });
  if (missing.length > 0) {
    const shown = missing.slice(0, 10).map((id) => `"${id}"`).join(", ");
    throw new CliError(
      `--policy: unknown policy id${missing.length === 1 ? "" : "s"} ${shown}` +
        (missing.length > 10 ? ` and ${missing.length - 10} more` : "") +
        " (import them first: claims policies import FILE)",
      ExitCode.INVALID,
    );
  }
}

function summaryText(s: RerunSummary): string {
  const t = s.totals;
  const lines = [
    `rerun ${
      s.workflowId ?? ""
    } ${s.from} to ${s.to}: ${t.policyDays} policy-days over ${s.dates} date(s): ` +
    `${t.computed} computed, ${t.unchanged} unchanged, ${t.stale} stale, ${t.skipped} not covered, ` +
    `${t.contended} contended, ${t.failed} failed; ${t.claims} claims (${t.cappedClaims} capped)`,
    `payouts: ${formatAmounts(t.payouts ?? {})}${
      t.payoutsUnknown
        ? ` (and ${t.payoutsUnknown} policy-days computed by an older version ` +
          "whose payouts have no currency: see `claims report`)"
        : ""
    }`,
    ...s.problems.map((p) => `  ${p.status} ${p.policyId} ${p.claimDate}: ${p.type}: ${p.message}`),
    ...(s.incomplete ? [`error: ${s.incomplete}`] : []),
  ];
  return lines.join("\n") + "\n";
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the rerun of `policyIds` (null: every policy) once the flags were checked. */
export async function run(
  ctx: CliContext,
  options: RerunOptions,
  policyIds: string[] | null,
): Promise<void> {
  if (policyIds) await checkPoliciesExist(ctx, policyIds);
  const [{ withTemporalClient }, rerun, { renderProgressLine }] = await Promise.all([
    import("../../temporal/cli-support.ts"),
    import("../../temporal/rerun.ts"),
    import("../../temporal/progress.ts"),
  ]);
  await withTemporalClient(ctx, async (client, config) => {
    const started = await rerun.startRerun(client, config, {
      from: options.from,
      to: options.to,
      policyIds,
    });
    const state = started.attached ? "attached" : "started";
    if (options.wait === false) {
      if (options.json) writeJson(ctx.io.stdout, { ...started, state });
      else ctx.io.stdout.write(`rerun ${started.workflowId} ${state}\n`);
      return;
    }
    if (!options.json) ctx.io.stdout.write(`rerun ${started.workflowId} ${state}\n`);
    const tty = Boolean(ctx.io.stderr.isTTY);
    let finished = false;
    const result = rerun.rerunResult(client, started.workflowId).finally(() => {
      finished = true;
    });
    const interrupted = new Promise<"interrupted">((resolve) => {
      if (ctx.io.signal?.aborted) resolve("interrupted");
      ctx.io.signal?.addEventListener("abort", () => resolve("interrupted"), { once: true });
    });
    const progress = (async () => {
      while (tty && !finished && !ctx.io.signal?.aborted) {
        const p = await rerun.rerunProgress(client, started.workflowId);
        if (p && !finished) {
          ctx.io.stderr.write(`\r${renderProgressLine(p, ctx.io.stderr.columns ?? 80)}\x1b[K`);
        }
        await sleep(1_000);
      }
      if (tty) ctx.io.stderr.write("\r\x1b[K");
    })();
    const outcome = await Promise.race([result, interrupted]);
    finished = true;
    await progress;
    if (outcome === "interrupted") {
      ctx.io.stderr.write(
        `detached from ${started.workflowId}; it goes on (run the same command to attach)\n`,
      );
      ctx.setExitCode(ExitCode.INTERRUPTED);
      return;
    }
    if (options.json) writeJson(ctx.io.stdout, outcome);
    else ctx.io.stdout.write(summaryText(outcome));
    if (outcome.incomplete || outcome.totals.failed + outcome.totals.contended > 0) {
      ctx.setExitCode(ExitCode.FAILED);
    }
  });
}
