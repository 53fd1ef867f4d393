/**
 * `claims rerun (--policy ID... | --all) --from D --to D`: recomputes the policy-days of a
 * date range through Temporal. The workflow id derives from the parameters, so running the
 * same command again while the rerun runs attaches to it. On a terminal a progress bar follows
 * the rerun's `progress` query; --json prints the summary as JSON. Exit 1 when any policy-day
 * could not be computed; 2 for bad flags or unknown policies; 3 when Temporal is unreachable.
 */
import { formatAmounts } from "../money.ts";
import { InvalidArgumentError } from "commander";
import { daysBetween, isValidDate } from "../../domain/calendar.ts";
import { ID_PATTERN } from "../../domain/schemas.ts";
import { loadPolicies } from "../../store/policies.ts";
import { MAX_RANGE_DAYS, type RerunSummary } from "../../temporal/shared.ts";
import type { CliContext, RegisterCommand } from "../context.ts";
import { CliError, ExitCode, writeJson } from "../io.ts";
import { withDatabase } from "./ops-shared.ts";

interface RerunOptions {
  policy?: string[];
  all?: boolean;
  from: string;
  to: string;
  /** undefined unless --wait or --no-wait was given: waiting is the default. */
  wait?: boolean;
  json?: boolean;
}

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
    });
};
