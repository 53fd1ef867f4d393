/**
 * `claims verify [--from D --to D] [--json]`: recomputes every stored policy-day from the
 * stored events and reports each difference, cap breach, ledger gap and orphan; exit 1 when
 * anything is off, 0 with a one-line summary otherwise.
 */
import type { VerifyFlags } from "../actions/verify.ts";
import type { RegisterCommand } from "../context.ts";
import { checkRange, dateFlag, integerFlag } from "../flags.ts";

export const registerVerify: RegisterCommand = (program, ctx) => {
  program
    .command("verify")
    .description(
      "recompute every stored policy-day from the stored events and report any difference, " +
        "cap breach, ledger gap or orphan",
    )
    .option("--from <date>", "only claim dates from this one (YYYY-MM-DD)", dateFlag("--from"))
    .option("--to <date>", "only claim dates up to this one, included", dateFlag("--to"))
    .option("--json", "print the summary and the listed problems as JSON")
    .option(
      "--limit <n>",
      "problems listed at most (all are counted)",
      integerFlag("--limit", 0, 1_000_000),
      1000,
    )
    .option(
      "--page-size <n>",
      "policies read per page",
      integerFlag("--page-size", 1, 100_000),
      1000,
    )
    .addHelpText(
      "after",
      `
Checks, each reported with the policy, claim date and claim key:
  difference  a claim missing, extra, or with a field that differs from the recomputation
              (the domain calculator over the policy's whole coverage period)
  cap_breach  the claims of a policy paying more than its period cap, a payout above the
              uncapped tier, payout_amount != floor(sumInsured * payoutBps / 10000)
  ledger_gap  a day with relevant events but no ledger row, or a ledger row computed before
              the newest event of that day arrived or changed
  orphan      claims or ledger rows outside the coverage or without a policy, claims of a day
              without a ledger row, a ledger row whose claim count differs from the claims
  invalid_policy  a stored policy the calculator cannot take (dates outside the supported
              range 0002-01-01..9998-12-31, an unknown time zone): named and skipped, the
              other policies are still checked
Reads one page of policies at a time in one consistent snapshot, so any size works.`,
    )
    .action(async (flags: VerifyFlags) => {
      checkRange(flags.from, flags.to);
      const { run } = await import("../actions/verify.ts");
      await run(ctx, flags);
    });
};
