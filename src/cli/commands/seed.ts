/**
 * `claims seed`: a reproducible synthetic data set (same flags, same data, byte for byte),
 * written through the storage upserts in one transaction; with --late-file the late records go
 * to a JSON Lines file for a later `claims events import FILE --recalculate`.
 */
import { ZodError } from "zod";
import { problemsOf } from "../../domain/schemas.ts";
import { ClaimsError, ErrorCodes } from "../../errors.ts";
import { generateSeed, type SeedData } from "../../seed/generate.ts";
import { writeSeed } from "../../seed/write-seed.ts";
import type { RegisterCommand } from "../context.ts";
import { writeJson } from "../io.ts";
import { dateFlag, integerFlag, resolveFile, withDatabase } from "./ops-shared.ts";

interface SeedFlags {
  policies: number;
  days: number;
  eventsPerDay: number;
  seed: string;
  regions?: string;
  start?: string;
  lateFile?: string;
  json?: boolean;
}

const FLAG_NAMES: Record<string, string> = {
  policies: "--policies",
  days: "--days",
  eventsPerDay: "--events-per-day",
  seed: "--seed",
  regions: "--regions",
  start: "--start",
};

function generate(flags: SeedFlags): SeedData {
  try {
    return generateSeed({
      policies: flags.policies,
      days: flags.days,
      eventsPerDay: flags.eventsPerDay,
      seed: flags.seed,
      ...(flags.regions !== undefined
        ? { regions: flags.regions.split(",").map((r) => r.trim()) }
        : {}),
      ...(flags.start !== undefined ? { start: flags.start } : {}),
    });
  } catch (error) {
    if (!(error instanceof ZodError)) throw error;
    const problems = problemsOf(error).map((p) => {
      const flag = FLAG_NAMES[p.path.split(/[.[]/)[0] ?? ""] ?? p.path;
      return `${flag}: ${p.message}`;
    });
    throw new ClaimsError(ErrorCodes.INPUT_INVALID, problems.join("; "), { cause: error });
  }
}

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
      const data = generate(flags);
      const lateFile = flags.lateFile ? resolveFile(ctx, flags.lateFile) : undefined;
      const started = performance.now();
      const result = await withDatabase(
        ctx,
        "seeding",
        (database) => writeSeed(database.db, data, { lateFile }),
      );
      const durationMs = Math.round(performance.now() - started);
      if (flags.json) {
        writeJson(ctx.io.stdout, {
          ...result,
          late: { ...result.late, file: flags.lateFile ?? null },
          durationMs,
        });
        return;
      }
      const p = result.policies;
      const e = result.events;
      const out = ctx.io.stdout;
      out.write(
        `seed "${result.seed}": ${result.start}..${result.end}, regions ${
          result.regions.join(",")
        }\n`,
      );
      out.write(
        `policies: ${p.generated} (${p.inserted} inserted, ${p.updated} updated, ${p.unchanged} unchanged)\n`,
      );
      out.write(
        `events: ${e.written} written, ${e.retracted} of them retracted (${e.inserted} inserted, ${e.updated} updated, ${e.unchanged} unchanged)\n`,
      );
      out.write(
        flags.lateFile
          ? `late records: ${result.late.records} written to ${flags.lateFile}\n`
          : `late records: ${result.late.records} (stored with the rest; use --late-file to hold them back)\n`,
      );
      out.write(`data hash: sha256:${result.dataHash}\n`);
      out.write(`done in ${(durationMs / 1000).toFixed(1)} s\n`);
    });
};
