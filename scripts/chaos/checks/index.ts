/** The final-state checks of the chaos run, in the order the report lists them. */
import { auditReplays } from "./audit.ts";
import { capInvariant, matchesWholePeriod, noDuplicates } from "./claims.ts";
import { type Check, type CheckContext, type CheckResult, LISTED_PROBLEMS } from "./context.ts";
import { ledgerComplete } from "./ledger.ts";
import { noLocksHeld } from "./locks.ts";
import { verifyCommand } from "./verify.ts";

export type { Check, CheckContext, CheckResult };

export const CHECKS: readonly Check[] = [
  ledgerComplete,
  matchesWholePeriod,
  verifyCommand,
  noDuplicates,
  capInvariant,
  auditReplays,
  noLocksHeld,
];

/** Runs every check (a check that throws is a failed check, with the error as its problem). */
export async function runChecks(
  ctx: CheckContext,
  checks: readonly Check[] = CHECKS,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    const started = performance.now();
    let problems: string[];
    try {
      problems = await check.run(ctx);
    } catch (error) {
      problems = [`the check itself failed: ${(error as Error).message}`];
    }
    results.push({
      name: check.name,
      description: check.description,
      ok: problems.length === 0,
      problems: problems.length,
      listed: problems.slice(0, LISTED_PROBLEMS),
      durationMs: Math.round(performance.now() - started),
    });
  }
  return results;
}
