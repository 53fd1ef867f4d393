/**
 * `claims seed`: a reproducible synthetic data set (same flags, same data, byte for byte),
 * written through the storage upserts in one transaction; with --late-file the late records go
 * to a JSON Lines file for a later `claims events import FILE --recalculate`.
 */
import type { SeedFlags } from "../actions/seed.ts";
import type { RegisterCommand } from "../context.ts";
import { dateFlag, integerFlag } from "../flags.ts";

export const registerSeed: RegisterCommand = (program, ctx) => {
  program
    .command("seed")
    .description("write a reproducible synthetic data set of policies and risk events")
    .requiredOption(
      "--policies <n>",
      "number of policies",
      integerFlag("--policies", 0, 10_000_000),
    )
    .requiredOption("--days <d>", "days the data set spans", integerFlag("--days", 1, 3_660))
    .requiredOption(
      "--events-per-day <e>",
      "risk events per region and day",
      integerFlag("--events-per-day", 0, 10_000),
    )
    .requiredOption("--seed <s>", "random seed (any text): same flags, same data")
    .option(
      "--regions <a,b,c>",
      "comma-separated regions (default alpine,coastal,delta,plains,valley)",
    )
    .option("--start <date>", "first day of the data set (default 2025-01-01)", dateFlag("--start"))
    .option(
      "--late-file <path>",
      "write late events to this JSON Lines file instead of the database " +
        "(import it later with `claims events import FILE --recalculate`)",
    )
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      `
The data set mixes time zones (DST zones, :30/:45 offsets, UTC-12 to UTC+14), payout modes,
sums insured (up to the 10^12 maximum), tiers and period caps; about 2% of events are
retracted and 3% arrive late (new events for past days, or corrections of earlier ones).
Generation is pure and seeded: no clock, no Math.random.`,
    )
    .action(async (flags: SeedFlags) => {
      const { run } = await import("../actions/seed.ts");
      await run(ctx, flags);
    });
};
